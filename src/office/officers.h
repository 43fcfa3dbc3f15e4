/*
 * officers — office officers as facts in the log, their projection, and the backend
 * that auth (office/auth.h) uses to find them (docs/AUTH.md "Officers in the log").
 *
 * Event kinds (all sealed under the data key; subject "officer:<username>"; actor the
 * officer, operator or process that caused it):
 *   officer.added v1            {"name", "password_hash", "roles": [..], "totp_secret"?,
 *                                "username"}
 *   officer.password_changed v1 {"password_hash", "reason": "set"|"rehash", "username"}
 *   officer.totp_reset v1       {"totp_secret", "username"}
 *   officer.disabled v1         {"reason"?, "username"}
 *   officer.login v1            {"client_ip", "totp_step"?, "username"}
 *   officer.locked_out v1       {"failures", "until_ms", "username"} (no longer written:
 *                               throttling has no lockout; kept for older logs)
 *   officer.enabled v1          {"reason"?, "username"}              (re-enabled)
 *   officer.roles_changed v1    {"roles": [..], "username"}
 *   officer.sessions_revoked v1 {"reason"?, "username"}   (sessions are in memory only)
 * The password hash (Argon2id string) and the TOTP secret live only in sealed event
 * bodies: `paspor rebuild` must be able to restore them, and sealed bodies keep them
 * encrypted at rest. The projection table `officers` holds the public state (roles,
 * disabled, last TOTP step) and the seq numbers of the events that carry the
 * current hash and secret; officers_lookup opens those events with the data key.
 *
 * officers_register_kinds() registers these kinds and the table as the "officers" kind
 * set (log/kinds.h); src/main.c calls it at start-up. The writes are writer operations
 * (log/writer.h writer_fn, like the workflow's and the booklet stock's), one per event
 * kind, on a struct officer_op that starts with the office's operation header (struct
 * wf_hdr, office/refusal.h): the admin API runs them through the office's operation
 * table (office/ops.h), `paspor office user` through node_cli_submit (one request to
 * a running writer, waited for until it is durable). With op.checked (the
 * API) the preconditions are checked in the writer's transaction against the
 * projection and refused with hdr.reason set; without (the CLI), a duplicate username
 * is refused by the table's PRIMARY KEY inside the request's savepoint (ERR_IO from
 * SQLite: "UNIQUE constraint failed") and changing an officer that does not exist is
 * ERR_INPUT from the projection.
 *
 * Ownership: struct officers_reader owns its read-only SQLite connection and borrows
 * the data key (which must outlive it); lookups are serialised by its mutex.
 */
#ifndef PASPOR_OFFICE_OFFICERS_H
#define PASPOR_OFFICE_OFFICERS_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "log/event.h"
#include "log/writer.h"
#include "office/auth.h"
#include "office/refusal.h"
#include "util/buf.h"
#include "util/err.h"

struct writer;

#define OFFICERS_TABLE_SQL                                                              \
	"CREATE TABLE IF NOT EXISTS officers (username TEXT PRIMARY KEY,"               \
	" name TEXT NOT NULL, roles TEXT NOT NULL, hash_seq INTEGER NOT NULL,"          \
	" totp_seq INTEGER, totp_last_step INTEGER NOT NULL DEFAULT 0,"                 \
	" disabled INTEGER NOT NULL DEFAULT 0, locked_until_ms INTEGER NOT NULL DEFAULT 0," \
	" last_login_ms INTEGER, added_seq INTEGER NOT NULL, added_ms INTEGER NOT NULL,"   \
	" added_by TEXT NOT NULL) WITHOUT ROWID"

/* Registers the "officers" kind set; 0, or -1 when the registry is full. */
int officers_register_kinds(void);

/* The role names of mask as a new JSON array (NULL when out of memory). */
json_t *officers_roles_json(unsigned roles);

/* ---- writing ---- */

/* One officer event (subject "officer:<username>", actor hdr.actor). checked: refused
 * in the transaction, with hdr.reason, when the officer does not exist
 * (WF_NO_OFFICER; for officer_add: exists, WF_OFFICER_EXISTS), is already disabled
 * (officer_disable) or not disabled (officer_enable) (WF_INVALID_STATE), or when the
 * new roles need a TOTP secret the officer has not (officer_set_roles,
 * WF_NEEDS_TOTP). A malformed username is ERR_INPUT. */
struct officer_op {
	struct wf_hdr hdr;         /* actor in; app unused; reason, seq out */
	const char *username;
	int checked;               /* 1: the preconditions above (the API) */
	unsigned roles;            /* officer_add, officer_set_roles */
	const char *name;          /* officer_add: display name (NULL: the username) */
	const char *password_hash; /* officer_add, officer_set_password */
	const char *totp_secret;   /* officer_add (NULL: none), officer_reset_totp */
	const char *reason;        /* disable, enable, revoke: NULL or "" for none */
};
int officer_add(struct writer_txn *tx, void *arg, struct err *e);             /* added */
int officer_set_password(struct writer_txn *tx, void *arg, struct err *e);    /* "set" */
int officer_reset_totp(struct writer_txn *tx, void *arg, struct err *e);      /* totp_reset */
int officer_disable(struct writer_txn *tx, void *arg, struct err *e);         /* disabled */
int officer_enable(struct writer_txn *tx, void *arg, struct err *e);          /* enabled */
int officer_set_roles(struct writer_txn *tx, void *arg, struct err *e);       /* roles_changed */
int officer_revoke_sessions(struct writer_txn *tx, void *arg, struct err *e); /* revoked */

/* Any officer.* kind (v1) with a canonical body. */
int officers_record(struct writer *w, const char *actor, const char *username,
		    const char *kind, const uint8_t *body, size_t len, struct err *e);

/* ---- reading ---- */

/* Lines "username<TAB>roles<TAB>state<TAB>totp<TAB>name\n" ordered by username, where
 * state is "active" or "disabled" and totp is "totp" or "-". No secrets. */
int officers_list(sqlite3 *db, struct buf *out, struct err *e);

/* One officer's public state in the projection (through any connection, the writer's
 * too): 1 with *disabled and *has_totp set, 0 when there is no such officer (both 0),
 * -1 on error. */
int officers_state(sqlite3 *db, const char *username, int *disabled, int *has_totp,
		   struct err *e);

/* The officers as the admin API shows them (no secrets): a new array (json_decref) of
 * {username, name, roles, state "active"|"disabled", totp, added_ms, added_by,
 * last_login_ms?}: every officer ordered by username when username is NULL, else the
 * one named (an empty array when there is none). */
int officers_read_json(sqlite3 *db, const char *username, json_t **out, struct err *e);

struct officers_reader {
	sqlite3 *db;
	const uint8_t *data_key; /* borrowed, EVENT_KEY_BYTES */
	struct writer *writer;   /* borrowed, may be NULL: when set, a lookup reads only
				  * what is durable (writer_wait_durable) */
	pthread_mutex_t mu;
};

/* Opens db_path (paspor.db) read-only. */
int officers_reader_open(struct officers_reader *r, const char *db_path,
			 const uint8_t *data_key, struct err *e);
void officers_reader_close(struct officers_reader *r);
/* 1 and *out filled (secrets from the sealed events), 0 no such officer, -1 error. */
int officers_lookup(struct officers_reader *r, const char *username, struct auth_record *out,
		    struct err *e);

/* The backend auth needs: lookups through reader, events through writer. */
struct officers_backend {
	struct officers_reader *reader;
	struct writer *writer;
};
struct auth_backend officers_auth_backend(struct officers_backend *b);

/* `paspor office user` (cmd_user.c), called from cmd_office.c's table. */
int cmd_office_user(int argc, char **argv);

#endif
