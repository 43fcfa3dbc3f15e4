/*
 * auth — officer authentication for the office node, without HTTP (docs/AUTH.md).
 *
 * What it does:
 *   - passwords: Argon2id strings (libsodium crypto_pwhash_str); every hash and verify
 *     passes a counting semaphore (at most cfg.hash_cap at once; others wait up to
 *     cfg.hash_wait_ms, then AUTH_BUSY) so concurrent logins cannot exhaust memory;
 *     a hash made with an older cost is replaced at the next good login (an
 *     officer.password_changed event, reason "rehash"); an unknown username still
 *     spends one verify (against a dummy hash), so timing does not tell names apart;
 *   - TOTP (RFC 6238: SHA-1, 30 s steps, 6 digits; liboath), ±1 step, each step used
 *     at most once per officer (the last accepted step is kept in memory and, through
 *     the officer.login event, in the log);
 *   - sessions: 256-bit random tokens, kept in a fixed-size in-memory table only as
 *     their BLAKE2b hash, with an idle timeout and an absolute lifetime, a CSRF token
 *     per session (double submit, compared in constant time on its hash), logout;
 *   - throttling without a lockout (docs/AUTH.md "Throttling"): exponential backoff per
 *     (username, client) pair and per client, and a per-username token bucket across
 *     all clients; a client from which the officer has logged in (a known client)
 *     passes the per-client and per-username throttles, so failures from elsewhere can
 *     slow but never shut out the officer at their usual desk. Every throttle answers
 *     before the password is verified, so a throttled right password and a throttled
 *     wrong one get the same answer. Failures are only counted (struct auth_stats);
 *   - authorization: roles (office/roles.h) of the session's officer.
 *
 * The officers themselves live in the log (office/officers.h); auth reaches them
 * through struct auth_backend: lookup (the officer's roles, hash, TOTP secret, state)
 * and record (append an event whose actor is "officer:<username>"). Tests plug in an
 * in-memory backend.
 *
 * Results: functions that judge a request return enum auth_result; the HTTP layer maps
 * it with auth_http_status (401, 403, 429, 503, 500) to util/http.h's problem types.
 * The message in struct err never says whether a username exists: every credential
 * failure is AUTH_DENIED "wrong username, password or code" (ERR_INPUT).
 *
 * Threads: every function may be called from any thread; struct auth has one mutex for
 * its tables (held briefly, never during hashing or backend calls). Ownership: the
 * backend's ctx and the config's clock ctx are borrowed and must outlive the auth;
 * auth_free wipes and frees the tables.
 */
#ifndef PASPOR_OFFICE_AUTH_H
#define PASPOR_OFFICE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "office/roles.h"
#include "util/buf.h"
#include "util/err.h"

#define AUTH_USERNAME_MAX 32          /* [a-z][a-z0-9._-]{0,31} */
#define AUTH_PASSWORD_MIN 12          /* characters (code points) */
#define AUTH_PASSWORD_MAX 1024        /* bytes */
#define AUTH_HASH_MAX 128             /* crypto_pwhash_STRBYTES */
#define AUTH_TOTP_SECRET_MAX 64       /* base32 text; 20 random bytes make 32 */
#define AUTH_TOKEN_LEN 43             /* base64url of 32 bytes, no padding */
#define AUTH_ACTOR_MAX (8 + AUTH_USERNAME_MAX)
#define AUTH_COOKIE_NAME "paspor_session"
#define AUTH_CSRF_HEADER "X-CSRF-Token"

enum auth_result {
	AUTH_OK = 0,
	AUTH_DENIED,    /* 401: bad credentials, no or expired session */
	AUTH_FORBIDDEN, /* 403: role, CSRF token, separation of duties */
	AUTH_THROTTLED, /* 429: backoff; retry_after_s says when */
	AUTH_BUSY,      /* 503: too many password hashes in progress; retry */
	AUTH_ERROR,     /* 500: the backend failed (the message says what) */
};

/* What the backend knows of one officer. Holds secrets: wiped after use. */
struct auth_record {
	char username[AUTH_USERNAME_MAX + 1];
	unsigned roles;                        /* mask of ROLE_BIT */
	int disabled;
	char password_hash[AUTH_HASH_MAX];     /* "$argon2id$…" */
	char totp_secret[AUTH_TOTP_SECRET_MAX + 1]; /* base32, "" when none */
	int64_t totp_last_step;                /* last accepted TOTP step, 0 if none */
};

struct auth_backend {
	void *ctx;
	/* 1 and *out filled when the officer exists, 0 when not, -1 on failure. */
	int (*lookup)(void *ctx, const char *username, struct auth_record *out, struct err *e);
	/* Appends event `kind` (version 1; body canonical JSON) with subject
	 * "officer:<username>" and the given actor ("officer:<username>" for a login or a
	 * rehash); returns when it is durable. */
	int (*record)(void *ctx, const char *actor, const char *username, const char *kind,
		      const uint8_t *body, size_t len, struct err *e);
};

struct auth_config {
	unsigned long long pw_ops; /* Argon2id passes (AUTH_PW_OPS) */
	size_t pw_mem;             /* Argon2id memory in bytes (AUTH_PW_MEM) */
	unsigned hash_cap;         /* concurrent hashes (2) */
	int64_t hash_wait_ms;      /* wait for a hashing slot before AUTH_BUSY (5000) */
	int64_t idle_ms;           /* session idle timeout (30 min) */
	int64_t lifetime_ms;       /* session absolute lifetime (12 h) */
	size_t max_sessions;       /* session table size (1024) */
	unsigned sessions_per_officer; /* the oldest is dropped beyond this (8) */
	unsigned backoff_after;    /* failures of one (username, client) pair before its
				    * backoff starts (3) */
	unsigned ip_backoff_after; /* failures from one client, any username, before its
				    * backoff starts (10) */
	int64_t backoff_base_ms;   /* first backoff delay, doubled per failure (1000) */
	int64_t backoff_max_ms;    /* cap of one delay (60 s) */
	int64_t forget_ms;         /* failures quiet this long are forgotten (1 h) */
	unsigned user_burst;       /* failures of one username from clients it is not known
				    * at before they are slowed (10: the bucket's size) */
	int64_t user_refill_ms;    /* then one more such failure per this (30 s) */
	int64_t known_ms;          /* a client stays known this long after the officer's
				    * last good login from it (30 days) */
	size_t max_counters;       /* entries per failure table and known clients (4096) */
	/* clock (UTC ms); NULL: the system clock. Tests inject one. */
	int64_t (*now_ms)(void *ctx);
	void *clock_ctx;
};

/* Argon2id cost: 3 passes over 32 MiB — with hash_cap 2, at most 64 MiB in hashing. */
#define AUTH_PW_OPS 3ULL
#define AUTH_PW_MEM ((size_t)32 << 20)

void auth_config_defaults(struct auth_config *c);

struct auth;

/* backend may be NULL for hashing only (the CLI). */
int auth_new(struct auth **out, const struct auth_config *cfg, const struct auth_backend *b,
	     struct err *e);
void auth_free(struct auth *a);

/* The officer behind a session. */
struct auth_officer {
	char username[AUTH_USERNAME_MAX + 1];
	char actor[AUTH_ACTOR_MAX + 1]; /* "officer:<username>": the actor of its events */
	unsigned roles;
};

struct auth_session_out {
	char token[AUTH_TOKEN_LEN + 1]; /* the session cookie's value */
	char csrf[AUTH_TOKEN_LEN + 1];  /* to be sent back in X-CSRF-Token */
	struct auth_officer officer;
	int64_t expires_ms;             /* absolute end of the session */
	int64_t retry_after_s;          /* AUTH_THROTTLED / AUTH_BUSY: when to retry */
};

enum auth_result auth_login(struct auth *a, const char *username, const char *password,
			    const char *totp_code, const char *client_ip,
			    struct auth_session_out *out, struct err *e);

/*
 * Checks an officer's credentials exactly as auth_login does (throttling, password,
 * disabled accounts, TOTP when the officer has a secret or a role
 * that needs one, each code once; a failure counts towards the username's and the
 * client's throttles) but records no login and creates no session: for a second officer
 * who confirms an act in another officer's request (a witness). *out is the officer on
 * AUTH_OK. An accepted TOTP step is kept in memory only (no officer.login event).
 */
enum auth_result auth_verify_credentials(struct auth *a, const char *username,
					 const char *password, const char *totp_code,
					 const char *client_ip, struct auth_officer *out,
					 struct err *e);

/* Checks a session token; csrf is the X-CSRF-Token header for state-changing requests,
 * NULL for safe methods (GET, HEAD). Touches the session (idle timeout). */
enum auth_result auth_session_check(struct auth *a, const char *token, const char *csrf,
				    struct auth_officer *out, struct err *e);
/* Destroys the session (no error when there is none). */
void auth_logout(struct auth *a, const char *token);
/* Destroys every session of an officer (disabled, password or TOTP reset, revoked);
 * returns how many. A login of that officer in progress when this is called does not
 * create a session from what it read before (it reads the officer again). */
size_t auth_revoke_officer(struct auth *a, const char *username);
/* Gives every live session of an officer the roles in mask (a role change, effective
 * at the session's next request); returns how many sessions. Like a revocation, a
 * login in progress reads the officer again. */
size_t auth_set_roles(struct auth *a, const char *username, unsigned roles);

/* AUTH_OK when the officer's roles allow the action, else AUTH_FORBIDDEN. */
enum auth_result auth_authorize(const struct auth_officer *o, enum action act, struct err *e);

int auth_http_status(enum auth_result r);

/* "paspor_session=<token>; HttpOnly; [Secure; ]SameSite=Strict; Path=/" (token NULL or
 * "": the cookie that clears it, Max-Age=0). */
int auth_cookie(struct buf *out, const char *token, int tls);

/* ---- passwords ---- */

/* 0 when the password may be set (AUTH_PASSWORD_MIN characters .. AUTH_PASSWORD_MAX
 * bytes, valid UTF-8, no control characters), else ERR_INPUT. */
int auth_password_acceptable(const char *password, struct err *e);
/* Hashes through the semaphore (ERR_IO "busy" on timeout). */
int auth_password_hash(struct auth *a, const char *password, char out[AUTH_HASH_MAX],
		       struct err *e);
/* 1 when the username is well formed: [a-z][a-z0-9._-]{0,31}. */
int auth_username_valid(const char *username);

/* ---- TOTP (RFC 6238, SHA-1, 30 s, 6 digits) ---- */

/* A new random secret: base32 of 20 bytes (32 characters). */
int auth_totp_new_secret(char out[AUTH_TOTP_SECRET_MAX + 1], struct err *e);
/* otpauth://totp/<issuer>:<username>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30 */
int auth_totp_uri(struct buf *out, const char *issuer, const char *username,
		  const char *secret);
/* The code at time now_s (tests, tools). */
int auth_totp_code(const char *secret, int64_t now_s, char out[7], struct err *e);
/* 0 and *step when code is valid at now_s ±1 step, -1 (ERR_INPUT) otherwise. */
int auth_totp_verify(const char *secret, const char *code, int64_t now_s, int64_t *step,
		     struct err *e);

struct auth_stats {
	unsigned long logins_ok, logins_failed, throttled, busy;
	unsigned long rehashes;
	unsigned long hashes; /* hashes and verifies done (each login spends one) */
	unsigned hashing_now, hashing_peak;
	size_t sessions;
};
void auth_get_stats(struct auth *a, struct auth_stats *s);

#endif
