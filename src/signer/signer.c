/*
 * signer — configuration, event kinds, policy and serving loop (see signer.h).
 */
#include "signer/signer.h"

#include "signer/admin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <libconfig.h>
#include <sodium.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "icao/sod.h"
#include "log/db.h"
#include "log/kinds.h"
#include "log/node.h"
#include "log/writer.h"
#include "signer/policy.h"
#include "signproto/proto.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/log.h"

/* ---- configuration ---- */

static int conf_str(config_t *cf, const char *name, char *out, size_t size, struct err *e)
{
	const char *v = NULL;
	if (config_lookup_string(cf, name, &v) != CONFIG_TRUE || !*v)
		return err_set(e, ERR_INPUT, "signer.conf: '%s' is missing (a string)", name);
	if (strlen(v) >= size)
		return err_set(e, ERR_INPUT, "signer.conf: '%s' is too long", name);
	strcpy(out, v);
	return 0;
}

static int conf_uint(config_t *cf, const char *name, unsigned lo, unsigned hi, unsigned *out,
		     struct err *e)
{
	int v = 0;
	if (config_lookup_int(cf, name, &v) != CONFIG_TRUE)
		return err_set(e, ERR_INPUT, "signer.conf: '%s' is missing (an integer)", name);
	if (v < (int)lo || (unsigned)v > hi)
		return err_set(e, ERR_INPUT, "signer.conf: '%s' must be %u to %u", name, lo, hi);
	*out = (unsigned)v;
	return 0;
}

/* An optional text setting: out gets its value when valid() accepts it, dflt when it is
 * not set. why: the message when valid() refuses it, a format that may name the value
 * once (%s). */
static int conf_opt(config_t *cf, const char *name, const char *dflt, int (*valid)(const char *),
		    const char *why, char *out, size_t size, struct err *e)
{
	const char *v = NULL;
	snprintf(out, size, "%s", dflt);
	if (config_lookup_string(cf, name, &v) != CONFIG_TRUE)
		return 0;
	if (valid(v) < 0)
		return err_set(e, ERR_INPUT, why, v);
	snprintf(out, size, "%s", v);
	return 0;
}

int signer_state_valid(const char *s)
{
	if (!s || strlen(s) != 3 || s[0] < 'A' || s[0] > 'Z')
		return -1;
	for (int i = 1; i < 3; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] == '<' && (i == 2 || s[2] == '<'))))
			return -1;
	return 0;
}

int signer_zone_valid(const char *z)
{
	if (!z || !*z || strlen(z) >= 64 || z[0] == '/' || strstr(z, ".."))
		return -1;
	for (const char *q = z; *q; q++)
		if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
		      (*q >= '0' && *q <= '9') || strchr("/_-+", *q)))
			return -1;
	char path[128];
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", z);
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
}

int signer_config_load(const char *dir, struct signer_config *c, struct err *e)
{
	memset(c, 0, sizeof *c);
	char *path = fs_join(dir, "signer.conf");
	if (!path)
		return err_nomem(e);
	config_t cf;
	config_init(&cf);
	int rc = -1;
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		err_set(e, ERR_INPUT, "'%s': %s (line %d)", path, config_error_text(&cf),
			config_error_line(&cf));
	} else if (conf_str(&cf, "module", c->module, sizeof c->module, e) == 0 &&
		   conf_str(&cf, "token", c->token, sizeof c->token, e) == 0 &&
		   conf_str(&cf, "key_label", c->key_label, sizeof c->key_label, e) == 0 &&
		   conf_str(&cf, "pin_file", c->pin_file, sizeof c->pin_file, e) == 0 &&
		   conf_uint(&cf, "per_minute", 1, 100000, &c->per_minute, e) == 0 &&
		   conf_uint(&cf, "per_day", 1, 10000000, &c->per_day, e) == 0 &&
		   conf_uint(&cf, "warn_days", 0, 92, &c->warn_days, e) == 0 &&
		   /* state: optional (a signer.conf written before issue 13 has none) */
		   conf_opt(&cf, "state", SIGNER_DEFAULT_STATE, signer_state_valid,
			    "signer.conf: 'state' must be 3 letters A-Z (or a 1-2 letter code "
			    "padded with '<', e.g. \"D<<\")", c->state, sizeof c->state, e) == 0 &&
		   /* timezone: optional; a zone file must exist for it */
		   conf_opt(&cf, "timezone", SIGNER_DEFAULT_ZONE, signer_zone_valid,
			    "signer.conf: 'timezone' '%s' is not a zone of /usr/share/zoneinfo "
			    "(e.g. Asia/Jakarta, UTC)", c->timezone, sizeof c->timezone, e) == 0) {
		rc = 0;
	}
	config_destroy(&cf);
	mem_free(path);
	return rc;
}

static int quoted_ok(const char *s)
{
	return !strpbrk(s, "\"\\\n");
}

int signer_config_write(const char *dir, const struct signer_config *c, struct err *e)
{
	if (!quoted_ok(c->module) || !quoted_ok(c->token) || !quoted_ok(c->key_label) ||
	    !quoted_ok(c->pin_file) || signer_state_valid(c->state) < 0 ||
	    signer_zone_valid(c->timezone) < 0)
		return err_set(e, ERR_INPUT, "signer configuration: no quotes, backslashes or "
			       "newlines in strings; a state of 3 letters; a known timezone");
	struct buf b;
	buf_init(&b, 8192);
	buf_addf(&b, "# paspor signer configuration (docs/SIGNER.md)\n"
		 "module = \"%s\";\ntoken = \"%s\";\nkey_label = \"%s\";\npin_file = \"%s\";\n"
		 "per_minute = %u;\nper_day = %u;\nwarn_days = %u;\n"
		 "state = \"%s\";      # issuing state and nationality it signs for\n"
		 "timezone = \"%s\";   # its 'today' (the issue date it accepts)\n",
		 c->module, c->token, c->key_label, c->pin_file, c->per_minute, c->per_day,
		 c->warn_days, c->state, c->timezone);
	char *path = fs_join(dir, "signer.conf");
	int rc = !path ? err_nomem(e) : !buf_ok(&b) ? err_nomem(e)
		 : fs_write_atomic(path, b.data, b.len, 0600, e);
	mem_free(path);
	buf_release(&b);
	return rc;
}

void signer_config_token(const struct signer_config *c, struct p11_token *t)
{
	t->module = c->module;
	t->token = c->token;
	t->key_label = c->key_label;
	t->pin_file = c->pin_file;
}

int signer_booklet_nth(const char *first, unsigned long i, char out[32], struct err *e)
{
	size_t n = strlen(first), d = n;
	if (n == 0 || n > PROTO_BOOKLET_MAX)
		return err_set(e, ERR_INPUT, "booklet number '%s': 1 to %d characters", first,
			       PROTO_BOOKLET_MAX);
	while (d > 0 && first[d - 1] >= '0' && first[d - 1] <= '9')
		d--;
	size_t w = n - d;
	if (w == 0 || w > 12)
		return err_set(e, ERR_INPUT, "booklet number '%s' must end in 1 to 12 digits",
			       first);
	unsigned long long v = 0, lim = 1;
	for (size_t k = d; k < n; k++) {
		v = v * 10 + (unsigned)(first[k] - '0');
		lim *= 10;
	}
	if (v + i >= lim)
		return err_set(e, ERR_INPUT, "booklet numbers from '%s' run out of digits", first);
	snprintf(out, 32, "%.*s%0*llu", (int)d, first, (int)w, v + i);
	return 0;
}

/* ---- event kinds ---- */

static int check_obj(const json_t *body, const char *kind, const char *const *str_fields,
		     const char *int_field, struct err *e)
{
	if (!json_is_object(body))
		return err_set(e, ERR_INPUT, "%s: body is not an object", kind);
	size_t known = 0;
	for (size_t i = 0; str_fields[i]; i++) {
		const json_t *v = json_object_get(body, str_fields[i]);
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > PROTO_REASON_MAX)
			return err_set(e, ERR_INPUT, "%s: field '%s' must be a string of 1 to %u "
				       "bytes", kind, str_fields[i], PROTO_REASON_MAX);
		known++;
	}
	if (int_field) {
		const json_t *v = json_object_get(body, int_field);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return err_set(e, ERR_INPUT, "%s: field '%s' must be an integer >= 0", kind,
				       int_field);
		known++;
	}
	if (json_object_size(body) != known)
		return err_set(e, ERR_INPUT, "%s: unknown field", kind);
	return 0;
}

static const char *str(const json_t *body, const char *k)
{
	return json_string_value(json_object_get(body, k));
}

static int added_check(const void *ctx, const json_t *b, struct err *e)
{
	(void)ctx;
	static const char *const f[] = { "first", NULL };
	if (check_obj(b, "signer.booklets_added", f, "count", e) < 0)
		return -1;
	json_int_t n = json_integer_value(json_object_get(b, "count"));
	if (n < 1 || n > SIGNER_BOOKLETS_MAX)
		return err_set(e, ERR_INPUT, "signer.booklets_added: field 'count' out of range");
	return 0;
}

static int exec_bound(sqlite3 *db, const char *sql, const char *a, const char *b, int64_t i,
		      int want_change, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, sql, &st, e) < 0)
		return -1;
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, i);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(db, e, "signer tables");
	sqlite3_finalize(st);
	if (rc == 0 && want_change && sqlite3_changes(db) != 1)
		return err_set(e, ERR_INPUT, "booklet is not in a state for this event");
	return rc;
}

static int added_project(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	const char *first = str(b, "first");
	json_int_t n = json_integer_value(json_object_get(b, "count"));
	for (json_int_t i = 0; i < n; i++) {
		char num[32];
		if (signer_booklet_nth(first, (unsigned long)i, num, e) < 0 ||
		    exec_bound(db, "INSERT INTO signer_booklets(number, state, app, time_ms) "
			       "VALUES (?1, 'stock', ?2, ?3)", num, "", ev->time_ms, 0, e) < 0)
			return -1;
	}
	return 0;
}

static int spoiled_check(const void *ctx, const json_t *b, struct err *e)
{
	(void)ctx;
	static const char *const f[] = { "booklet", "reason", NULL };
	return check_obj(b, "signer.booklet_spoiled", f, NULL, e);
}

static int spoiled_project(sqlite3 *db, const struct event *ev, const json_t *b,
			   struct err *e)
{
	return exec_bound(db, "UPDATE signer_booklets SET state = 'spoiled', time_ms = ?3 "
			  "WHERE number = ?1 AND ?2 IS NOT NULL", str(b, "booklet"), "",
			  ev->time_ms, 1, e);
}

static int installed_check(const void *ctx, const json_t *b, struct err *e)
{
	(void)ctx;
	static const char *const f[] = { "serial", "subject", "pkup_end", NULL };
	return check_obj(b, "signer.cert_installed", f, NULL, e);
}

static int no_project(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	(void)db;
	(void)ev;
	(void)b;
	(void)e;
	return 0;
}

static int signed_check(const void *ctx, const json_t *b, struct err *e)
{
	(void)ctx;
	static const char *const f[] = { "booklet", "app", "lso_sha256", "cert_serial", NULL };
	return check_obj(b, "signer.signed", f, NULL, e);
}

static int signed2_check(const void *ctx, const json_t *b, struct err *e)
{
	(void)ctx;
	static const char *const f[] = { "booklet", "app", "document_number", "issue_date",
					 "expiry_date", "dg1_hmac", "dg2_hmac", "lso_sha256",
					 "cert_serial", NULL };
	if (check_obj(b, "signer.signed", f, NULL, e) < 0)
		return -1;
	static const char *const hex[] = { "dg1_hmac", "dg2_hmac", "lso_sha256", NULL };
	for (size_t i = 0; hex[i]; i++) {
		const char *v = str(b, hex[i]);
		if (strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64)
			return err_set(e, ERR_INPUT, "signer.signed: field '%s' must be 64 hex "
				       "digits", hex[i]);
	}
	if (strcmp(str(b, "document_number"), str(b, "booklet")) != 0)
		return err_set(e, ERR_INPUT, "signer.signed: the document number must be the "
			       "booklet's");
	return 0;
}

static int signed_project(sqlite3 *db, const struct event *ev, const json_t *b, struct err *e)
{
	if (exec_bound(db, "UPDATE signer_booklets SET state = 'signed', app = ?2, "
		       "time_ms = ?3 WHERE number = ?1 AND state IN ('stock', 'spoiled')",
		       str(b, "booklet"), str(b, "app"), ev->time_ms, 1, e) < 0)
		return -1;
	return exec_bound(db, "INSERT INTO signer_signatures(booklet, app, time_ms) "
			  "VALUES (?1, ?2, ?3)", str(b, "booklet"), str(b, "app"), ev->time_ms,
			  0, e);
}

static int refused_check(const void *ctx, const json_t *b, struct err *e)
{
	(void)ctx;
	static const char *const f[] = { "booklet", "app", "reason", NULL };
	return check_obj(b, "signer.refused", f, NULL, e);
}

static const char *const refusal_codes[] = {
	"malformed", "oversized", "bad_lso", "unknown_booklet", "booklet_signed",
	"clock_behind", "rate_minute", "rate_day", "key_period", "cert_validity",
	"sign_failed", "bad_dg1", "bad_dg2", "document_code", "issuing_state", "nationality",
	"document_number", "issue_date", "expiry", NULL,
};

static int refused2_check(const void *ctx, const json_t *b, struct err *e)
{
	(void)ctx;
	static const char *const f[] = { "booklet", "app", "code", "reason", "peer", NULL };
	if (check_obj(b, "signer.refused", f, NULL, e) < 0)
		return -1;
	const char *c = str(b, "code");
	for (size_t i = 0; refusal_codes[i]; i++)
		if (strcmp(c, refusal_codes[i]) == 0)
			return 0;
	return err_set(e, ERR_INPUT, "signer.refused: field 'code' is not a known code");
}

static const struct kind_def signer_defs[] = {
	{ "signer.booklets_added", 1, 1, added_check, added_project, NULL },
	{ "signer.booklet_spoiled", 1, 1, spoiled_check, spoiled_project, NULL },
	{ "signer.cert_installed", 1, 1, installed_check, no_project, NULL },
	{ "signer.signed", 1, 1, signed_check, signed_project, NULL },
	{ "signer.signed", 2, 1, signed2_check, signed_project, NULL },
	{ "signer.refused", 1, 1, refused_check, no_project, NULL },
	{ "signer.refused", 2, 1, refused2_check, no_project, NULL },
};

static const struct kind_table signer_tables[] = {
	{ "signer_booklets",
	  "CREATE TABLE IF NOT EXISTS signer_booklets (number TEXT PRIMARY KEY, "
	  "state TEXT NOT NULL, app TEXT NOT NULL, time_ms INTEGER NOT NULL)" },
	{ "signer_signatures",
	  "CREATE TABLE IF NOT EXISTS signer_signatures (id INTEGER PRIMARY KEY, "
	  "booklet TEXT NOT NULL, app TEXT NOT NULL, time_ms INTEGER NOT NULL);"
	  "CREATE INDEX IF NOT EXISTS signer_signatures_time ON signer_signatures(time_ms)" },
};

static const struct kind_set signer_set = {
	"signer", signer_defs, sizeof signer_defs / sizeof signer_defs[0], signer_tables,
	sizeof signer_tables / sizeof signer_tables[0],
};

int signer_register_kinds(void)
{
	return kinds_register(&signer_set);
}

/* ---- recording one event ---- */

struct one_event {
	const char *kind, *subject;
	const json_t *body;
};

static int append_one(struct writer_txn *tx, void *arg, struct err *e)
{
	struct one_event *o = arg;
	return writer_txn_append_json(tx, SIGNER_ACTOR, o->kind, 1, o->subject, o->body, NULL, e);
}

/* The signer checks the clock itself against its last signature (policy); the node's
 * own clock guard would refuse to record that refusal, so its tolerance is wide. */
static void signer_node_opts(struct node_opts *o, const struct kek_source *kek)
{
	memset(o, 0, sizeof *o);
	node_opts_from_env(o);
	o->kek = kek;
	o->clock_tolerance_ms = (int64_t)100 * 365 * 86400 * 1000;
}

/* 1 when a process answers on DIR/signer.sock (a running signer). */
static int signer_running(const char *dir)
{
	char *path = fs_join(dir, "signer.sock");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int up = 0;
	if (path && strlen(path) < sizeof a.sun_path) {
		strcpy(a.sun_path, path);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			up = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
			close(fd);
		}
	}
	mem_free(path);
	return up;
}

/* 1 when another process holds dir's node lock (DIR/lock, flock: log/node.h), the one
 * reason node_open says a data directory "is in use". */
static int node_locked(const char *dir)
{
	char *path = fs_join(dir, "lock");
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	mem_free(path);
	if (fd < 0)
		return 0;
	int locked = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd); /* releases the probe's lock when it got one */
	return locked;
}

int signer_record(const char *dir, const struct kek_source *kek, const char *kind,
		  const char *subject, const json_t *body, struct err *e)
{
	if (signer_running(dir)) {
		/* a running signer holds its log: an operator event goes through its operator
		 * socket, anything else waits until it is stopped */
		int absent = 0;
		if (admin_kind_allowed(kind) &&
		    admin_call(dir, kind, subject, body, &absent, e) == 0)
			return 0;
		if (!admin_kind_allowed(kind) || absent) {
			err_clear(e);
			return err_set(e, ERR_IO, "the signer is running on %s/signer.sock and holds "
				       "its log%s: stop the signer first (SIGTERM), then run this "
				       "again", dir, absent ? ", and has no operator socket" : "");
		}
		return -1;
	}
	struct node n;
	struct node_opts o;
	signer_node_opts(&o, kek);
	if (node_open(&n, dir, &o, e) < 0) {
		if (e->code == ERR_IO && node_locked(dir))
			err_prefix(e, "stop the signer (or the other paspor process) first");
		return -1;
	}
	struct writer *w;
	int rc = -1;
	if (writer_start(&w, &n, e) == 0) {
		struct one_event ev = { kind, subject, body };
		rc = writer_submit(w, append_one, &ev, NULL, e);
		writer_stop(w);
	}
	node_close(&n);
	return rc;
}

int signer_cert_matches(X509 *x, EVP_PKEY *pub)
{
	if (EVP_PKEY_eq(X509_get0_pubkey(x), pub) == 1)
		return 1;
	/* a certificate with explicit EC parameters: compare the points */
	unsigned char p1[160], p2[160];
	size_t l1 = 0, l2 = 0;
	return EVP_PKEY_get_octet_string_param(X509_get0_pubkey(x), "pub", p1, sizeof p1,
					       &l1) == 1 &&
	       EVP_PKEY_get_octet_string_param(pub, "pub", p2, sizeof p2, &l2) == 1 &&
	       l1 == l2 && memcmp(p1, p2, l1) == 0;
}

/* ---- serving ---- */

struct server {
	struct node node;
	struct writer *w;
	struct signer_config cfg;
	struct p11_key key;
	X509 *cert;
	char serial[96];
	time_t pkup_start, pkup_end, cert_not_after;
	uint8_t *hmac_key;               /* SIGNER_HMAC_KEY_LEN, sodium_malloc'd */
};

struct job {
	struct server *s;
	const struct proto_request *req; /* NULL: malformed (reason says why) */
	int status;
	const char *code;                 /* refusal code (refusal_codes), "" to sign */
	struct signer_content content;    /* what the policy read from EF.DG1 */
	char peer[96];                    /* the caller's credentials (SO_PEERCRED) */
	char reason[PROTO_REASON_MAX + 1];
	struct buf *sod;
};

static int64_t query_i64(sqlite3 *db, const char *sql, const char *a, int64_t i, int64_t *out,
			 struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, sql, &st, e) < 0)
		return -1;
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, i);
	int r = sqlite3_step(st);
	*out = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : db_error(db, e, "signer tables");
}

static int booklet_state(sqlite3 *db, const char *b, char out[16], struct err *e)
{
	sqlite3_stmt *st;
	out[0] = 0;
	if (db_prepare(db, "SELECT state FROM signer_booklets WHERE number = ?1", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, b, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		snprintf(out, 16, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : db_error(db, e, "signer tables");
}

static void fmt_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The signer's local date "YYYYMMDD" at now (its timezone, set at serve start). */
static void local_today(int64_t now, char out[9])
{
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 9, "%Y%m%d", &tm);
}

/* A refusal by one of the policy checks: code and reason already set; a data group
 * that does not parse is a bad request, the rest are refusals. */
static int refused(struct job *j, const char *code)
{
	j->status = strncmp(code, "bad_", 4) == 0 ? PROTO_BAD_REQUEST : PROTO_REFUSED;
	j->code = code;
	return 0;
}

/* The policy: 0 and reason[0] == 0 to sign, 0 with a reason to refuse, -1 on error. */
static int decide(struct job *j, sqlite3 *db, int64_t now, struct err *e)
{
	const struct proto_request *r = j->req;
	struct signer_policy pol;
	memset(&pol, 0, sizeof pol);
	memcpy(pol.state, j->s->cfg.state, sizeof pol.state);
	local_today(now, pol.today);
	pol.cert_not_after = j->s->cert_not_after;
	const char *code = NULL;
	j->status = PROTO_REFUSED;
	if (signer_check_content(r, &pol, &j->content, &code, j->reason, e) < 0)
		return -1;
	if (code)
		return refused(j, code);
	char state[16];
	if (booklet_state(db, r->booklet, state, e) < 0)
		return -1;
	if (!state[0]) {
		j->code = "unknown_booklet";
		snprintf(j->reason, sizeof j->reason, "booklet %s is not in the signer's stock",
			 r->booklet);
		return 0;
	}
	if (strcmp(state, "signed") == 0) {
		j->code = "booklet_signed";
		snprintf(j->reason, sizeof j->reason, "booklet %s is signed already (spoil it "
			 "first to sign again)", r->booklet);
		return 0;
	}
	int64_t last, minute, day;
	if (query_i64(db, "SELECT coalesce(max(time_ms), 0) FROM signer_signatures "
		      "WHERE ?1 IS NULL OR ?2 IS NOT NULL", NULL, 0, &last, e) < 0 ||
	    query_i64(db, "SELECT count(*) FROM signer_signatures WHERE time_ms > ?2 "
		      "OR ?1 IS NOT NULL", NULL, now - 60000, &minute, e) < 0 ||
	    query_i64(db, "SELECT count(*) FROM signer_signatures WHERE time_ms > ?2 "
		      "OR ?1 IS NOT NULL", NULL, now - 86400000, &day, e) < 0)
		return -1;
	char t1[32], t2[32];
	if (now < last) {
		j->code = "clock_behind";
		fmt_time(now, t1);
		fmt_time(last, t2);
		snprintf(j->reason, sizeof j->reason, "the clock (%s) is earlier than the last "
			 "signature (%s): fix the clock", t1, t2);
		return 0;
	}
	if (minute >= (int64_t)j->s->cfg.per_minute) {
		j->code = "rate_minute";
		snprintf(j->reason, sizeof j->reason, "rate cap: %u signatures in the last "
			 "minute", j->s->cfg.per_minute);
		return 0;
	}
	if (day >= (int64_t)j->s->cfg.per_day) {
		j->code = "rate_day";
		snprintf(j->reason, sizeof j->reason, "rate cap: %u signatures in the last day",
			 j->s->cfg.per_day);
		return 0;
	}
	time_t ns = (time_t)(now / 1000);
	if (ns < j->s->pkup_start || ns > j->s->pkup_end) {
		j->code = "key_period";
		fmt_time((int64_t)j->s->pkup_start * 1000, t1);
		fmt_time((int64_t)j->s->pkup_end * 1000, t2);
		snprintf(j->reason, sizeof j->reason, "the ds key is outside its private key "
			 "usage period (%s to %s)", t1, t2);
		return 0;
	}
	if (X509_cmp_time(X509_get0_notAfter(j->s->cert), &ns) < 0 ||
	    X509_cmp_time(X509_get0_notBefore(j->s->cert), &ns) > 0) {
		j->code = "cert_validity";
		snprintf(j->reason, sizeof j->reason, "the ds certificate is not valid now");
		return 0;
	}
	signer_check_dates(r, &pol, &j->content, &code, j->reason);
	if (code)
		return refused(j, code);
	j->status = PROTO_OK;
	j->code = "";
	j->reason[0] = 0;
	return 0;
}

static int refusal_event(struct writer_txn *tx, const struct job *j, struct err *e)
{
	const char *b = j->req ? j->req->booklet : "-", *a = j->req ? j->req->app : "-";
	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "booklet", b, "app", a, "code",
				 j->code, "reason", j->reason, "peer", j->peer);
	if (!body)
		return err_nomem(e);
	char subject[64];
	snprintf(subject, sizeof subject, "booklet:%s", b);
	int rc = writer_txn_append_json(tx, SIGNER_ACTOR, "signer.refused", 2, subject, body,
					NULL, e);
	json_decref(body);
	return rc;
}

static void hex_of(const uint8_t *h, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static int sha256_dg(const uint8_t *p, size_t n, int dg, struct sod_dg_hash *h,
		     struct err *e)
{
	unsigned int len = 0;
	if (!EVP_Digest(p, n, h->hash, &len, EVP_sha256(), NULL))
		return err_openssl(e, ERR_CRYPTO, "cannot hash EF.DG%d", dg);
	h->dg = dg;
	h->len = len;
	return 0;
}

/* The signature list of a range (proto.h type 2), read in the writer's transaction. */
static int list_txn(struct job *j, sqlite3 *db, struct err *e)
{
	const struct proto_request *r = j->req;
	struct proto_list *l = mem_calloc(1, sizeof *l);
	if (!l)
		return err_nomem(e);
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT id, time_ms, booklet, app FROM signer_signatures "
		       "WHERE id > ?1 AND time_ms >= ?2 AND time_ms < ?3 ORDER BY id LIMIT ?4",
		       &st, e) < 0) {
		mem_free(l);
		return -1;
	}
	sqlite3_bind_int64(st, 1, r->after > INT64_MAX ? INT64_MAX : (int64_t)r->after);
	sqlite3_bind_int64(st, 2, r->from_ms > INT64_MAX ? INT64_MAX : (int64_t)r->from_ms);
	sqlite3_bind_int64(st, 3, r->to_ms > INT64_MAX ? INT64_MAX : (int64_t)r->to_ms);
	sqlite3_bind_int(st, 4, PROTO_LIST_MAX + 1);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (l->n == PROTO_LIST_MAX) {
			l->more = 1;
			break;
		}
		struct proto_signature *g = &l->sig[l->n++];
		g->id = (uint64_t)sqlite3_column_int64(st, 0);
		g->time_ms = sqlite3_column_int64(st, 1);
		snprintf(g->booklet, sizeof g->booklet, "%s",
			 (const char *)sqlite3_column_text(st, 2));
		snprintf(g->app, sizeof g->app, "%s", (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	int r2 = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(db, e, "signer tables");
	buf_reset(j->sod);
	if (r2 == 0)
		r2 = proto_encode_list(l, j->sod, e);
	mem_free(l);
	if (r2 < 0)
		return -1;
	j->status = PROTO_OK;
	j->code = "";
	return 0;
}

static int handle_txn(struct writer_txn *tx, void *arg, struct err *e)
{
	struct job *j = arg;
	if (!j->req)
		return refusal_event(tx, j, e);
	if (j->req->type == PROTO_TYPE_LIST)
		return list_txn(j, writer_txn_db(tx), e);
	int64_t now = node_now_ms(&j->s->node);
	if (decide(j, writer_txn_db(tx), now, e) < 0)
		return -1;
	if (j->status != PROTO_OK)
		return refusal_event(tx, j, e);
	/* the security object is the signer's own: SHA-256 of the data groups received */
	const struct proto_request *r = j->req;
	struct lds_security_object *lso = mem_calloc(1, sizeof *lso);
	if (!lso)
		return err_nomem(e);
	struct buf der;
	buf_init(&der, 4096);
	lso->version = 0;
	lso->hash_nid = NID_sha256;
	lso->n = 2;
	int rc = sha256_dg(r->dg1, r->dg1_len, 1, &lso->dg[0], e) < 0 ||
		 sha256_dg(r->dg2, r->dg2_len, 2, &lso->dg[1], e) < 0 ||
		 sod_encode_lso(lso, &der, e) < 0 ? -1 : 0;
	mem_free(lso);
	if (rc < 0) {
		buf_release(&der);
		return -1;
	}
	struct err se = ERR_INIT;
	buf_reset(j->sod);
	if (sod_sign(der.data, der.len, j->s->key.key, j->s->cert, j->sod, &se) < 0) {
		buf_release(&der);
		j->status = PROTO_FAILED;
		j->code = "sign_failed";
		snprintf(j->reason, sizeof j->reason, "signing failed: %.400s", se.msg);
		buf_reset(j->sod);
		return refusal_event(tx, j, e);
	}
	uint8_t h[32];
	char lso_hex[65], dg1_hmac[65], dg2_hmac[65], issue[11], expiry[11];
	EVP_Digest(der.data, der.len, h, NULL, EVP_sha256(), NULL);
	buf_release(&der);
	hex_of(h, 32, lso_hex);
	signer_hmac_hex(j->s->hmac_key, r->dg1, r->dg1_len, dg1_hmac);
	signer_hmac_hex(j->s->hmac_key, r->dg2, r->dg2_len, dg2_hmac);
	snprintf(issue, sizeof issue, "%.4s-%.2s-%.2s", r->issue_date, r->issue_date + 4,
		 r->issue_date + 6);
	snprintf(expiry, sizeof expiry, "%.4s-%.2s-%.2s", j->content.expiry,
		 j->content.expiry + 4, j->content.expiry + 6);
	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "booklet",
				 r->booklet, "app", r->app, "document_number",
				 j->content.document_number, "issue_date", issue, "expiry_date",
				 expiry, "dg1_hmac", dg1_hmac, "dg2_hmac", dg2_hmac, "lso_sha256",
				 lso_hex, "cert_serial", j->s->serial);
	if (!body)
		return err_nomem(e);
	char subject[64];
	snprintf(subject, sizeof subject, "booklet:%s", r->booklet);
	rc = writer_txn_append_json(tx, SIGNER_ACTOR, "signer.signed", 2, subject, body, NULL,
				    e);
	json_decref(body);
	return rc;
}

int signer_hmac_key(const uint8_t *data_key, uint8_t *out)
{
	return crypto_kdf_derive_from_key(out, SIGNER_HMAC_KEY_LEN, 1, "pspsgnhm", data_key);
}

void signer_hmac_hex(const uint8_t *key, const uint8_t *p, size_t n, char hex[65])
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, p, n, key);
	hex_of(mac, sizeof mac, hex);
}

static void respond(int fd, const struct job *j)
{
	struct proto_response r;
	memset(&r, 0, sizeof r);
	r.status = j->status;
	/* a refusal's reason starts with its code ("booklet_signed: …"), so that a caller
	 * can act on it (the office explains a booklet signed but never recorded) */
	if (j->code && j->code[0])
		snprintf(r.reason, sizeof r.reason, "%.40s: %.460s", j->code, j->reason);
	else
		snprintf(r.reason, sizeof r.reason, "%s", j->reason);
	if (j->status == PROTO_OK && j->sod) {
		r.sod = j->sod->data;
		r.sod_len = j->sod->len;
	}
	struct buf out;
	buf_init(&out, PROTO_RESPONSE_MAX);
	struct err e = ERR_INIT;
	if (proto_encode_response(&r, &out, &e) < 0 ||
	    proto_write_frame(fd, out.data, out.len, &e) < 0)
		log_warnx("signer: cannot answer: %s", e.msg);
	buf_release(&out);
}

/* "uid=U gid=G pid=P" of the process at the other end of fd, or "unknown". */
static void peer_of(int fd, char out[96])
{
	struct ucred uc;
	socklen_t l = sizeof uc;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) == 0)
		snprintf(out, 96, "uid=%u gid=%u pid=%d", (unsigned)uc.uid, (unsigned)uc.gid,
			 (int)uc.pid);
	else
		snprintf(out, 96, "unknown");
}

static void serve_one(struct server *s, int fd)
{
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct buf in, sod;
	buf_init(&in, PROTO_REQUEST_MAX);
	buf_init(&sod, PROTO_PAYLOAD_MAX);
	struct proto_request req;
	struct job j = { s, NULL, PROTO_BAD_REQUEST, "malformed", { "", "", "" }, "", "", &sod };
	peer_of(fd, j.peer);
	struct err e = ERR_INIT;
	uint8_t first;
	ssize_t pk;
	do
		pk = recv(fd, &first, 1, MSG_PEEK);
	while (pk < 0 && errno == EINTR);
	if (pk == 0) {
		/* closed before sending a byte: no request, nothing to refuse or record */
		goto out;
	}
	if (proto_read_frame(fd, &in, PROTO_REQUEST_MAX, &e) < 0) {
		/* proto_read_frame's one ERR_INPUT: the frame's header announced more than
		 * PROTO_REQUEST_MAX bytes (signer/proto.h) */
		if (e.code == ERR_INPUT)
			j.code = "oversized";
		snprintf(j.reason, sizeof j.reason, "malformed request: %.400s", e.msg);
	} else if (proto_decode_request(in.data, in.len, &req, &e) < 0) {
		snprintf(j.reason, sizeof j.reason, "malformed request: %.400s", e.msg);
	} else {
		j.req = &req;
	}
	struct err we = ERR_INIT;
	if (writer_submit(s->w, handle_txn, &j, NULL, &we) < 0) {
		log_warnx("signer: cannot record: %s", we.msg);
		j.status = PROTO_FAILED;
		snprintf(j.reason, sizeof j.reason, "the signer cannot record in its log: %.400s",
			 we.msg);
	} else if (j.status == PROTO_OK && req.type == PROTO_TYPE_LIST) {
		log_info("signer: listed signatures for %s", j.peer);
	} else if (j.status == PROTO_OK) {
		log_info("signer: signed booklet %s for %s", req.booklet, req.app);
	} else {
		log_info("signer: refused: %s", j.reason);
	}
	respond(fd, &j);
out:
	buf_release(&in);
	buf_release(&sod);
}

/* One operator request on DIR/signer-admin.sock (admin.h): only the signer's own user
 * (or root); one event of an operator kind, appended through the writer. */
static void serve_admin(struct server *s, int fd)
{
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct job j = { s, NULL, PROTO_BAD_REQUEST, "", { "", "", "" }, "", "", NULL };
	peer_of(fd, j.peer);
	struct ucred uc;
	socklen_t l = sizeof uc;
	struct buf in;
	buf_init(&in, ADMIN_REQUEST_MAX);
	struct err e = ERR_INIT;
	char kind[ADMIN_KIND_MAX + 1], subject[ADMIN_SUBJECT_MAX + 1];
	json_t *body = NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0 ||
	    (uc.uid != geteuid() && uc.uid != 0)) {
		j.status = PROTO_REFUSED;
		snprintf(j.reason, sizeof j.reason, "only the signer's own user may use its "
			 "operator socket");
	} else if (proto_read_frame(fd, &in, ADMIN_REQUEST_MAX, &e) < 0 ||
		   admin_decode(in.data, in.len, kind, subject, &body, &e) < 0) {
		snprintf(j.reason, sizeof j.reason, "malformed operator request: %.400s", e.msg);
	} else {
		struct one_event ev = { kind, subject, body };
		struct err we = ERR_INIT;
		if (writer_submit(s->w, append_one, &ev, NULL, &we) < 0) {
			j.status = we.code == ERR_INPUT ? PROTO_REFUSED : PROTO_FAILED;
			snprintf(j.reason, sizeof j.reason, "%.500s", we.msg);
		} else {
			j.status = PROTO_OK;
		}
	}
	log_info("signer: operator request from %s: %s%s%s", j.peer,
		 j.status == PROTO_OK ? kind : "refused", j.status == PROTO_OK ? "" : ": ",
		 j.status == PROTO_OK ? "" : j.reason);
	respond(fd, &j);
	json_decref(body);
	buf_release(&in);
}

static int load_cert_info(struct server *s, const char *dir, struct err *e)
{
	char *path = fs_join(dir, "ds.cert.pem");
	if (!path)
		return err_nomem(e);
	FILE *f = fopen(path, "r");
	if (!f) {
		err_errno(e, ERR_INPUT, "'%s' (install one: paspor signer key install)", path);
		mem_free(path);
		return -1;
	}
	s->cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!s->cert) {
		err_openssl(e, ERR_INPUT, "'%s': not a PEM certificate", path);
		mem_free(path);
		return -1;
	}
	mem_free(path);
	PKEY_USAGE_PERIOD *p = X509_get_ext_d2i(s->cert, NID_private_key_usage_period, NULL,
						 NULL);
	if (!p || !p->notBefore || !p->notAfter) {
		PKEY_USAGE_PERIOD_free(p);
		return err_set(e, ERR_INPUT, "the ds certificate has no private key usage "
			       "period");
	}
	struct tm a, b;
	ASN1_TIME_to_tm(p->notBefore, &a);
	ASN1_TIME_to_tm(p->notAfter, &b);
	s->pkup_start = timegm(&a);
	s->pkup_end = timegm(&b);
	struct tm na;
	ASN1_TIME_to_tm(X509_get0_notAfter(s->cert), &na);
	s->cert_not_after = timegm(&na);
	PKEY_USAGE_PERIOD_free(p);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(s->cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	snprintf(s->serial, sizeof s->serial, "%s", hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	return 0;
}

static int listen_on(const char *dir, const char *name, mode_t mode, char **sock_path,
		     struct err *e)
{
	*sock_path = fs_join(dir, name);
	if (!*sock_path)
		return err_nomem(e);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(*sock_path) >= sizeof a.sun_path)
		return err_set(e, ERR_INPUT, "socket path '%s' is too long", *sock_path);
	strcpy(a.sun_path, *sock_path);
	unlink(*sock_path); /* a stale socket of a signer that died (the node lock is ours) */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_errno(e, ERR_IO, "socket");
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&a, sizeof a);
	umask(old);
	if (r < 0 || chmod(*sock_path, mode) < 0 || listen(fd, 64) < 0) {
		err_errno(e, ERR_IO, "cannot listen on '%s'", *sock_path);
		close(fd);
		return -1;
	}
	return fd;
}

int signer_serve(const char *dir, const struct kek_source *kek, volatile sig_atomic_t *stop,
		 struct err *e)
{
	struct server *s = mem_calloc(1, sizeof *s);
	if (!s)
		return err_nomem(e);
	int rc = -1, lfd = -1, afd = -1, node_open_ok = 0;
	char *sock_path = NULL, *admin_path = NULL;
	struct node_opts o;
	signer_node_opts(&o, kek);
	struct p11_token t;
	if (signer_config_load(dir, &s->cfg, e) < 0 || load_cert_info(s, dir, e) < 0)
		goto out;
	signer_config_token(&s->cfg, &t);
	/* the installed certificate must certify the token's key (p11 path first: it
	 * closes the module before the engine opens it) */
	EVP_PKEY *pub = NULL;
	if (p11_public_key(&t, &pub, e) < 0)
		goto out;
	int match = signer_cert_matches(s->cert, pub);
	EVP_PKEY_free(pub);
	if (!match) {
		err_set(e, ERR_VERIFY, "the installed certificate %s/ds.cert.pem (serial %s) does "
			"not certify the token's key '%s' in token '%s': install the right one "
			"(paspor signer key install)", dir, s->serial, s->cfg.key_label,
			s->cfg.token);
		goto out;
	}
	if (p11_load_key(&t, &s->key, e) < 0)
		goto out;
	/* the signer's "today" is the local date in its configured zone (set before any
	 * thread starts) */
	if (setenv("TZ", s->cfg.timezone, 1) < 0) {
		err_errno(e, ERR_IO, "setenv TZ");
		goto out;
	}
	tzset();
	if (node_open(&s->node, dir, &o, e) < 0)
		goto out;
	node_open_ok = 1;
	s->hmac_key = sodium_malloc(SIGNER_HMAC_KEY_LEN);
	if (!s->hmac_key || signer_hmac_key(s->node.keys.data_key, s->hmac_key) != 0) {
		err_set(e, ERR_CRYPTO, "cannot derive the signer's hmac key");
		goto out;
	}
	if (writer_start(&s->w, &s->node, e) < 0)
		goto out;
	if ((afd = listen_on(dir, ADMIN_SOCKET_NAME, 0600, &admin_path, e)) < 0 ||
	    (lfd = listen_on(dir, "signer.sock", 0660, &sock_path, e)) < 0)
		goto out;
	log_info("signer: serving on %s", sock_path);
	while (!*stop) {
		struct pollfd p[2] = { { lfd, POLLIN, 0 }, { afd, POLLIN, 0 } };
		int r = poll(p, 2, 500);
		if (r <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & POLLIN))
				continue;
			int fd = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			if (i == 0)
				serve_one(s, fd);
			else
				serve_admin(s, fd);
			close(fd);
		}
	}
	rc = 0;
out:
	if (lfd >= 0) {
		close(lfd);
		unlink(sock_path);
	}
	if (afd >= 0) {
		close(afd);
		unlink(admin_path);
	}
	mem_free(sock_path);
	mem_free(admin_path);
	if (s->w)
		writer_stop(s->w);
	if (node_open_ok)
		node_close(&s->node);
	p11_key_release(&s->key);
	X509_free(s->cert);
	if (s->hmac_key)
		sodium_free(s->hmac_key); /* wipes it */
	mem_free(s);
	return rc;
}
