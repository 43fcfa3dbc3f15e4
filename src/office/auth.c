/*
 * auth — passwords, TOTP, sessions, throttling (see auth.h and docs/AUTH.md).
 */
#include "office/auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <oath.h>
#include <sodium.h>
#include <utf8proc.h>

#include "log/canon.h"
#include "util/alloc.h"
#include "util/log.h"
#include "util/sodium_ready.h"

#define TOTP_STEP_S 30
#define TOTP_DIGITS 6
#define TOTP_SECRET_BYTES 20
#define HASH_BYTES 32
#define CLIENT_IP_MAX 64
/* "username\nclient": a (username, client) pair's key */
#define COUNTER_KEY_MAX (AUTH_USERNAME_MAX + 1 + CLIENT_IP_MAX)

/* A failure counter (backoff tables) or a token bucket's debt (the username table). */
struct counter {
	char key[COUNTER_KEY_MAX + 1]; /* pair, client or username; "" = free */
	unsigned failures;             /* backoff: failures; bucket: tokens taken */
	int64_t last_ms;               /* backoff: last failure; bucket: last refill */
};

struct counter_table {
	struct counter *c;
	size_t n;
};

struct totp_seen {
	char username[AUTH_USERNAME_MAX + 1];
	int64_t step;
};

struct session {
	int used;
	uint8_t token_hash[HASH_BYTES];
	uint8_t csrf_hash[HASH_BYTES];
	struct auth_officer officer;
	int64_t created_ms, last_ms;
};

struct auth {
	struct auth_config cfg;
	struct auth_backend backend;
	int has_backend;
	char dummy_hash[AUTH_HASH_MAX]; /* verified against for unknown usernames */

	/* hashing gate */
	pthread_mutex_t gate_mu;
	pthread_cond_t gate_cv;
	unsigned hashing, hashing_peak;
	unsigned long hashes;

	/* tables, under mu */
	pthread_mutex_t mu;
	struct counter_table pairs, ips, users;
	struct counter_table known; /* key: pair; last_ms: last good login from it */
	uint64_t officer_epoch;     /* bumped by every revocation and role change */
	struct totp_seen *seen;
	size_t nseen;
	struct session *sessions; /* sodium_malloc'd */
	struct auth_stats stats;
};

static int64_t now_ms(const struct auth *a)
{
	if (a->cfg.now_ms)
		return a->cfg.now_ms(a->cfg.clock_ctx);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void auth_config_defaults(struct auth_config *c)
{
	memset(c, 0, sizeof *c);
	c->pw_ops = AUTH_PW_OPS;
	c->pw_mem = AUTH_PW_MEM;
	c->hash_cap = 2;
	c->hash_wait_ms = 5000;
	c->idle_ms = 30LL * 60 * 1000;
	c->lifetime_ms = 12LL * 3600 * 1000;
	c->max_sessions = 1024;
	c->sessions_per_officer = 8;
	c->backoff_after = 3;
	c->ip_backoff_after = 10;
	c->backoff_base_ms = 1000;
	c->backoff_max_ms = 60 * 1000;
	c->forget_ms = 3600LL * 1000;
	c->user_burst = 10;
	c->user_refill_ms = 30 * 1000;
	c->known_ms = 30LL * 24 * 3600 * 1000;
	c->max_counters = 4096;
}

/* ---- the hashing gate (a counting semaphore with a bounded wait) ---- */

static int gate_enter(struct auth *a)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += a->cfg.hash_wait_ms / 1000;
	until.tv_nsec += (a->cfg.hash_wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&a->gate_mu);
	while (a->hashing >= a->cfg.hash_cap) {
		if (pthread_cond_timedwait(&a->gate_cv, &a->gate_mu, &until) == ETIMEDOUT &&
		    a->hashing >= a->cfg.hash_cap) {
			pthread_mutex_unlock(&a->gate_mu);
			return -1;
		}
	}
	a->hashing++;
	if (a->hashing > a->hashing_peak)
		a->hashing_peak = a->hashing;
	pthread_mutex_unlock(&a->gate_mu);
	return 0;
}

static void gate_leave(struct auth *a)
{
	pthread_mutex_lock(&a->gate_mu);
	a->hashing--;
	a->hashes++;
	pthread_cond_signal(&a->gate_cv);
	pthread_mutex_unlock(&a->gate_mu);
}

static int busy(struct auth *a, struct err *e)
{
	pthread_mutex_lock(&a->mu);
	a->stats.busy++;
	pthread_mutex_unlock(&a->mu);
	return err_set(e, ERR_IO, "password hashing is busy, retry");
}

static int hash_raw(const struct auth *a, const char *password, char out[AUTH_HASH_MAX],
		    struct err *e)
{
	if (crypto_pwhash_str(out, password, strlen(password), a->cfg.pw_ops, a->cfg.pw_mem) != 0)
		return err_set(e, ERR_NOMEM, "cannot hash password: out of memory");
	return 0;
}

int auth_password_hash(struct auth *a, const char *password, char out[AUTH_HASH_MAX],
		       struct err *e)
{
	if (gate_enter(a) < 0)
		return busy(a, e);
	int rc = hash_raw(a, password, out, e);
	gate_leave(a);
	return rc;
}

/* 1 match, 0 no match, -1 busy. */
static int verify_gated(struct auth *a, const char *hash, const char *password)
{
	if (gate_enter(a) < 0)
		return -1;
	int ok = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
	gate_leave(a);
	return ok;
}

int auth_password_acceptable(const char *password, struct err *e)
{
	size_t len = strlen(password);
	if (len > AUTH_PASSWORD_MAX)
		return err_set(e, ERR_INPUT, "password is longer than %d bytes", AUTH_PASSWORD_MAX);
	size_t chars = 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)password;
	utf8proc_ssize_t left = (utf8proc_ssize_t)len;
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
		if (n < 0)
			return err_set(e, ERR_INPUT, "password is not valid UTF-8");
		if (cp < 0x20 || cp == 0x7F)
			return err_set(e, ERR_INPUT, "password holds a control character");
		chars++;
		p += n;
		left -= n;
	}
	if (chars < AUTH_PASSWORD_MIN)
		return err_set(e, ERR_INPUT, "password is shorter than %d characters",
			       AUTH_PASSWORD_MIN);
	return 0;
}

int auth_username_valid(const char *u)
{
	size_t n = strlen(u);
	if (n == 0 || n > AUTH_USERNAME_MAX || !(u[0] >= 'a' && u[0] <= 'z'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = u[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* ---- TOTP ---- */

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_ok;
static void oath_start(void)
{
	oath_ok = oath_init() == OATH_OK;
}

static int oath_ready(struct err *e)
{
	pthread_once(&oath_once, oath_start);
	return oath_ok ? 0 : err_set(e, ERR_CRYPTO, "cannot start liboath");
}

int auth_totp_new_secret(char out[AUTH_TOTP_SECRET_MAX + 1], struct err *e)
{
	if (libsodium_ready(e) < 0 || oath_ready(e) < 0)
		return -1;
	char raw[TOTP_SECRET_BYTES];
	randombytes_buf(raw, sizeof raw);
	char *b32 = NULL;
	size_t n = 0;
	int rc = oath_base32_encode(raw, sizeof raw, &b32, &n);
	sodium_memzero(raw, sizeof raw);
	if (rc != OATH_OK || n > AUTH_TOTP_SECRET_MAX) {
		free(b32);
		return err_set(e, ERR_NOMEM, "cannot encode TOTP secret");
	}
	memcpy(out, b32, n);
	out[n] = 0;
	sodium_memzero(b32, n);
	free(b32);
	return 0;
}

/* Decodes a base32 secret into a malloc'd buffer (liboath's); the caller wipes it. */
static int secret_decode(const char *secret, char **raw, size_t *n, struct err *e)
{
	if (oath_ready(e) < 0)
		return -1;
	*raw = NULL;
	if (oath_base32_decode(secret, strlen(secret), raw, n) != OATH_OK || *n == 0) {
		free(*raw);
		*raw = NULL;
		return err_set(e, ERR_INPUT, "TOTP secret is not base32");
	}
	return 0;
}

static void secret_free(char *raw, size_t n)
{
	if (raw) {
		sodium_memzero(raw, n);
		free(raw);
	}
}

int auth_totp_code(const char *secret, int64_t now_s, char out[7], struct err *e)
{
	char *raw;
	size_t n;
	if (secret_decode(secret, &raw, &n, e) < 0)
		return -1;
	int rc = oath_totp_generate(raw, n, (time_t)now_s, TOTP_STEP_S, 0, TOTP_DIGITS, out);
	secret_free(raw, n);
	return rc == OATH_OK ? 0 : err_set(e, ERR_CRYPTO, "cannot compute TOTP code");
}

int auth_totp_verify(const char *secret, const char *code, int64_t now_s, int64_t *step,
		     struct err *e)
{
	if (!code || strlen(code) != TOTP_DIGITS || strspn(code, "0123456789") != TOTP_DIGITS)
		return err_set(e, ERR_INPUT, "TOTP code is not %d digits", TOTP_DIGITS);
	char *raw;
	size_t n;
	if (secret_decode(secret, &raw, &n, e) < 0)
		return -1;
	int pos = 0;
	int rc = oath_totp_validate2(raw, n, (time_t)now_s, TOTP_STEP_S, 0, 1, &pos, code);
	secret_free(raw, n);
	if (rc < 0)
		return err_set(e, ERR_INPUT, "TOTP code does not match");
	*step = now_s / TOTP_STEP_S + pos;
	return 0;
}

static void add_escaped(struct buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			buf_addch(out, c);
		else
			buf_addf(out, "%%%02X", c);
	}
}

int auth_totp_uri(struct buf *out, const char *issuer, const char *username,
		  const char *secret)
{
	buf_addstr(out, "otpauth://totp/");
	add_escaped(out, issuer);
	buf_addch(out, ':');
	add_escaped(out, username);
	buf_addf(out, "?secret=%s&issuer=", secret);
	add_escaped(out, issuer);
	buf_addf(out, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS, TOTP_STEP_S);
	return buf_ok(out) ? 0 : -1;
}

/* ---- failure counters ---- */

static struct counter *counter_get(struct counter_table *t, const char *key, int make)
{
	struct counter *free_slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < t->n; i++) {
		struct counter *c = &t->c[i];
		if (!c->key[0]) {
			if (!free_slot)
				free_slot = c;
			continue;
		}
		if (strcmp(c->key, key) == 0)
			return c;
		if (!oldest || c->last_ms < oldest->last_ms)
			oldest = c;
	}
	if (!make)
		return NULL;
	struct counter *c = free_slot ? free_slot : oldest; /* full: forget the oldest */
	memset(c, 0, sizeof *c);
	snprintf(c->key, sizeof c->key, "%s", key);
	return c;
}

/* Backoff: forgets failures quiet for forget_ms; returns ms to wait before the next
 * attempt (0: may try). There is no lockout: the wait never exceeds backoff_max_ms
 * after the last failure. */
static int64_t counter_wait(const struct auth *a, struct counter *c, unsigned after,
			    int64_t now)
{
	if (!c)
		return 0;
	if (c->failures && now - c->last_ms > a->cfg.forget_ms)
		c->failures = 0;
	if (c->failures < after)
		return 0;
	unsigned shift = c->failures - after;
	int64_t delay = a->cfg.backoff_max_ms;
	if (shift < 20 && (a->cfg.backoff_base_ms << shift) < delay)
		delay = a->cfg.backoff_base_ms << shift;
	return now < c->last_ms + delay ? c->last_ms + delay - now : 0;
}

static void counter_fail(struct counter_table *t, const char *key, int64_t now)
{
	struct counter *c = counter_get(t, key, 1);
	c->failures++;
	c->last_ms = now;
}

/* The username's bucket: gives back one token per user_refill_ms since the last refill. */
static void bucket_refill(const struct auth *a, struct counter *c, int64_t now)
{
	if (!c || !c->failures || now <= c->last_ms)
		return;
	int64_t back = (now - c->last_ms) / a->cfg.user_refill_ms;
	if (back >= (int64_t)c->failures) {
		c->failures = 0;
		c->last_ms = now;
	} else {
		c->failures -= (unsigned)back;
		c->last_ms += back * a->cfg.user_refill_ms;
	}
}

/* ms until the bucket has a token (0: it has one). */
static int64_t bucket_wait(const struct auth *a, struct counter *c, int64_t now)
{
	bucket_refill(a, c, now);
	if (!c || c->failures < a->cfg.user_burst)
		return 0;
	int64_t at = c->last_ms + a->cfg.user_refill_ms;
	return at > now ? at - now : 1;
}

static void bucket_take(const struct auth *a, struct counter_table *t, const char *key,
			int64_t now)
{
	struct counter *c = counter_get(t, key, 1);
	bucket_refill(a, c, now);
	if (!c->failures)
		c->last_ms = now;
	c->failures++;
}

/* Under mu: 1 when the officer has logged in from this client within known_ms. */
static int known_client(struct auth *a, const char *pair, int64_t now)
{
	struct counter *c = counter_get(&a->known, pair, 0);
	return c && now - c->last_ms < a->cfg.known_ms;
}

/* ---- sessions ---- */

static void token_hash(const char *token, uint8_t out[HASH_BYTES])
{
	crypto_generichash(out, HASH_BYTES, (const uint8_t *)token, strlen(token), NULL, 0);
}

static void new_token(char out[AUTH_TOKEN_LEN + 1])
{
	uint8_t raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, AUTH_TOKEN_LEN + 1, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

static int session_expired(const struct auth *a, const struct session *s, int64_t now)
{
	return now - s->last_ms >= a->cfg.idle_ms || now - s->created_ms >= a->cfg.lifetime_ms;
}

static void session_drop(struct session *s)
{
	sodium_memzero(s, sizeof *s);
}

/* Under mu. */
static struct session *session_find(struct auth *a, const char *token)
{
	if (!token || strlen(token) != AUTH_TOKEN_LEN)
		return NULL;
	uint8_t h[HASH_BYTES];
	token_hash(token, h);
	for (size_t i = 0; i < a->cfg.max_sessions; i++) {
		struct session *s = &a->sessions[i];
		if (s->used && sodium_memcmp(s->token_hash, h, HASH_BYTES) == 0)
			return s;
	}
	return NULL;
}

/* Under mu. */
static struct session *session_slot(struct auth *a, const char *username, int64_t now)
{
	struct session *free_slot = NULL, *oldest_own = NULL;
	unsigned own = 0;
	for (size_t i = 0; i < a->cfg.max_sessions; i++) {
		struct session *s = &a->sessions[i];
		if (s->used && session_expired(a, s, now)) {
			session_drop(s);
			a->stats.sessions--;
		}
		if (!s->used) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (strcmp(s->officer.username, username) == 0) {
			own++;
			if (!oldest_own || s->created_ms < oldest_own->created_ms)
				oldest_own = s;
		}
	}
	if (own >= a->cfg.sessions_per_officer) {
		session_drop(oldest_own);
		a->stats.sessions--;
		return oldest_own;
	}
	return free_slot;
}

/* ---- new, free ---- */

int auth_new(struct auth **out, const struct auth_config *cfg, const struct auth_backend *b,
	     struct err *e)
{
	*out = NULL;
	if (libsodium_ready(e) < 0 || oath_ready(e) < 0)
		return -1;
	struct auth *a = mem_calloc(1, sizeof *a);
	if (!a)
		return err_nomem(e);
	if (cfg)
		a->cfg = *cfg;
	else
		auth_config_defaults(&a->cfg);
	if (!a->cfg.hash_cap || !a->cfg.max_sessions || !a->cfg.max_counters ||
	    !a->cfg.sessions_per_officer || !a->cfg.user_burst || a->cfg.user_refill_ms <= 0) {
		mem_free(a);
		return err_set(e, ERR_INPUT, "auth configuration has a zero limit");
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->gate_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&a->gate_mu, NULL);
	pthread_mutex_init(&a->mu, NULL);
	*out = a;
	a->pairs.n = a->ips.n = a->users.n = a->known.n = a->cfg.max_counters;
	a->pairs.c = mem_calloc(a->cfg.max_counters, sizeof(struct counter));
	a->ips.c = mem_calloc(a->cfg.max_counters, sizeof(struct counter));
	a->users.c = mem_calloc(a->cfg.max_counters, sizeof(struct counter));
	a->known.c = mem_calloc(a->cfg.max_counters, sizeof(struct counter));
	a->seen = mem_calloc(a->cfg.max_counters, sizeof *a->seen);
	a->nseen = a->cfg.max_counters;
	a->sessions = sodium_allocarray(a->cfg.max_sessions, sizeof *a->sessions);
	if (!a->pairs.c || !a->ips.c || !a->users.c || !a->known.c || !a->seen || !a->sessions) {
		auth_free(a);
		*out = NULL;
		return err_nomem(e);
	}
	memset(a->sessions, 0, a->cfg.max_sessions * sizeof *a->sessions);
	if (b) {
		a->backend = *b;
		a->has_backend = 1;
		/* the hash an unknown username is verified against: same cost, random text */
		char pw[AUTH_TOKEN_LEN + 1];
		new_token(pw);
		int rc = hash_raw(a, pw, a->dummy_hash, e);
		sodium_memzero(pw, sizeof pw);
		if (rc < 0) {
			auth_free(a);
			*out = NULL;
			return -1;
		}
	}
	return 0;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	if (a->sessions)
		sodium_free(a->sessions); /* wipes */
	mem_free(a->pairs.c);
	mem_free(a->ips.c);
	mem_free(a->users.c);
	mem_free(a->known.c);
	mem_free(a->seen);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->gate_mu);
	pthread_cond_destroy(&a->gate_cv);
	sodium_memzero(a, sizeof *a);
	mem_free(a);
}

/* ---- login ---- */

static enum auth_result deny(struct err *e)
{
	err_set(e, ERR_INPUT, "wrong username, password or code");
	return AUTH_DENIED;
}

/* Records body (built from a json object, which is consumed) as event kind. */
static int record(struct auth *a, const char *actor, const char *username, const char *kind,
		  json_t *body, struct err *e)
{
	struct buf b;
	buf_init(&b, 4096);
	int rc = -1;
	if (!body)
		err_nomem(e);
	else if (canon_from_json(body, &b, e) == 0)
		rc = a->backend.record(a->backend.ctx, actor, username, kind, b.data, b.len, e);
	json_decref(body);
	if (b.data)
		sodium_memzero(b.data, b.len);
	buf_release(&b);
	return rc;
}

/* Under mu: the last TOTP step accepted for username in this process (0 if none);
 * with set, records step. */
static int64_t seen_step(struct auth *a, const char *username, int64_t set)
{
	struct totp_seen *free_slot = NULL;
	for (size_t i = 0; i < a->nseen; i++) {
		if (strcmp(a->seen[i].username, username) == 0) {
			if (set)
				a->seen[i].step = set;
			return a->seen[i].step;
		}
		if (!a->seen[i].username[0] && !free_slot)
			free_slot = &a->seen[i];
	}
	if (set) {
		struct totp_seen *s = free_slot ? free_slot : &a->seen[set % (int64_t)a->nseen];
		snprintf(s->username, sizeof s->username, "%s", username);
		s->step = set;
	}
	return 0;
}

static enum auth_result throttled(struct auth *a, int64_t wait_ms, int64_t *retry_after_s,
				  struct err *e)
{
	a->stats.throttled++;
	*retry_after_s = (wait_ms + 999) / 1000;
	err_set(e, ERR_INPUT, "too many failed logins, retry in %lld s", (long long)*retry_after_s);
	return AUTH_THROTTLED;
}

/* The client's key in the per-IP failure table. */
static void ip_key(char ip[CLIENT_IP_MAX + 1], const char *client_ip)
{
	snprintf(ip, CLIENT_IP_MAX + 1, "%s", client_ip && *client_ip ? client_ip : "unknown");
}

/*
 * The checks a login and a witness verification share: the throttles (docs/AUTH.md
 * "Throttling": backoff of the (username, client) pair; unless the client is known for
 * this username, backoff of the client and the username's bucket), all decided before
 * anything about the officer is read, so a right and a wrong password get the same
 * throttled answer; the officer's record (rec, the caller's sodium_malloc'd memory),
 * one password verify whether or not the officer exists, disabled accounts, the TOTP
 * code when the officer has a secret or a role that needs one (each step at most
 * once), and the failure accounting. AUTH_OK with rec filled and *step the accepted
 * TOTP step (0: none); a good check forgets the pair's failures and makes the client
 * known for this username.
 */
static enum auth_result credentials_check(struct auth *a, const char *username,
					  const char *password, const char *totp_code,
					  const char *ip, int64_t now, struct auth_record *rec,
					  int64_t *step, int64_t *retry_after_s, struct err *e)
{
	*step = 0;
	*retry_after_s = 0;
	if (!a->has_backend) {
		err_set(e, ERR_INTERNAL, "auth has no officer backend");
		return AUTH_ERROR;
	}
	if (!username)
		username = "";
	if (!password)
		password = "";
	char ukey[AUTH_USERNAME_MAX + 2], pkey[COUNTER_KEY_MAX + 1];
	snprintf(ukey, sizeof ukey, "%s", username); /* an over-long name is cut, still counted */
	snprintf(pkey, sizeof pkey, "%s\n%s", ukey, ip);

	pthread_mutex_lock(&a->mu);
	int known = known_client(a, pkey, now);
	int64_t wait = counter_wait(a, counter_get(&a->pairs, pkey, 0), a->cfg.backoff_after, now);
	if (!known) {
		int64_t w = counter_wait(a, counter_get(&a->ips, ip, 0), a->cfg.ip_backoff_after, now);
		if (w > wait)
			wait = w;
		w = bucket_wait(a, counter_get(&a->users, ukey, 0), now);
		if (w > wait)
			wait = w;
	}
	if (wait > 0) {
		enum auth_result r = throttled(a, wait, retry_after_s, e);
		pthread_mutex_unlock(&a->mu);
		return r;
	}
	pthread_mutex_unlock(&a->mu);

	int found = 0;
	if (auth_username_valid(username) && strlen(password) <= AUTH_PASSWORD_MAX) {
		found = a->backend.lookup(a->backend.ctx, username, rec, e);
		if (found < 0)
			return AUTH_ERROR;
	}
	/* one hash whether or not the officer exists */
	int match = verify_gated(a, found ? rec->password_hash : a->dummy_hash, password);
	if (match < 0) {
		busy(a, e);
		*retry_after_s = 1;
		return AUTH_BUSY;
	}
	int ok = found && match && !rec->disabled;
	if (ok && ((rec->roles & ROLES_NEED_TOTP) || rec->totp_secret[0])) {
		struct err te = ERR_INIT;
		if (!rec->totp_secret[0] || !totp_code ||
		    auth_totp_verify(rec->totp_secret, totp_code, now / 1000, step, &te) < 0)
			ok = 0;
	}
	pthread_mutex_lock(&a->mu);
	if (ok && *step) {
		int64_t last = seen_step(a, username, 0);
		if (rec->totp_last_step > last)
			last = rec->totp_last_step;
		if (*step <= last)
			ok = 0; /* a code already used (or an older one) */
		else
			seen_step(a, username, *step);
	}
	if (!ok) {
		a->stats.logins_failed++;
		counter_fail(&a->pairs, pkey, now);
		if (!known) {
			counter_fail(&a->ips, ip, now);
			bucket_take(a, &a->users, ukey, now);
		}
		pthread_mutex_unlock(&a->mu);
		*step = 0;
		return deny(e);
	}
	/* a good check forgets the pair's failures and makes the client known */
	struct counter *pc = counter_get(&a->pairs, pkey, 0);
	if (pc)
		memset(pc, 0, sizeof *pc);
	counter_get(&a->known, pkey, 1)->last_ms = now;
	pthread_mutex_unlock(&a->mu);
	return AUTH_OK;
}

/*
 * Returns AUTH_OK with mu held when no revocation or role change happened since *epoch
 * was read, or when the officer read again (after one) has the same password hash and
 * TOTP secret and is not disabled (rec->roles then holds the current roles). A
 * revocation happens after its event is durable, and lookups read only what is
 * durable, so the record read again shows it. Bounded: AUTH_BUSY after 3 rounds.
 */
static enum auth_result login_recheck(struct auth *a, const char *username,
				      struct auth_record *rec, uint64_t *epoch, struct err *e)
{
	for (int round = 0;; round++) {
		pthread_mutex_lock(&a->mu);
		if (a->officer_epoch == *epoch)
			return AUTH_OK;
		*epoch = a->officer_epoch;
		pthread_mutex_unlock(&a->mu);
		if (round == 3) {
			err_set(e, ERR_IO, "officers are being changed, retry");
			return AUTH_BUSY;
		}
		struct auth_record *now = sodium_malloc(sizeof *now);
		if (!now) {
			err_nomem(e);
			return AUTH_ERROR;
		}
		memset(now, 0, sizeof *now);
		int found = a->backend.lookup(a->backend.ctx, username, now, e);
		int same = found == 1 && !now->disabled &&
			   strcmp(now->password_hash, rec->password_hash) == 0 &&
			   strcmp(now->totp_secret, rec->totp_secret) == 0;
		if (same)
			rec->roles = now->roles;
		sodium_free(now);
		if (found < 0)
			return AUTH_ERROR;
		if (!same)
			return deny(e);
	}
}

enum auth_result auth_login(struct auth *a, const char *username, const char *password,
			    const char *totp_code, const char *client_ip,
			    struct auth_session_out *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	char ip[CLIENT_IP_MAX + 1];
	ip_key(ip, client_ip);
	int64_t now = now_ms(a);
	struct auth_record *rec = sodium_malloc(sizeof *rec);
	if (!rec) {
		err_nomem(e);
		return AUTH_ERROR;
	}
	memset(rec, 0, sizeof *rec);
	int64_t step = 0;
	pthread_mutex_lock(&a->mu);
	uint64_t epoch = a->officer_epoch;
	pthread_mutex_unlock(&a->mu);
	enum auth_result res = credentials_check(a, username, password, totp_code, ip, now, rec,
						 &step, &out->retry_after_s, e);
	if (res != AUTH_OK)
		goto done;

	json_t *b = json_pack("{s:s, s:s}", "username", username, "client_ip", ip);
	if (b && step)
		json_object_set_new(b, "totp_step", json_integer((json_int_t)step));
	char actor[AUTH_ACTOR_MAX + 1];
	snprintf(actor, sizeof actor, "officer:%s", username);
	if (record(a, actor, username, "officer.login", b, e) < 0) {
		res = AUTH_ERROR;
		goto done;
	}
	if (crypto_pwhash_str_needs_rehash(rec->password_hash, a->cfg.pw_ops, a->cfg.pw_mem) != 0) {
		char h[AUTH_HASH_MAX];
		struct err re = ERR_INIT;
		if (auth_password_hash(a, password, h, &re) == 0) {
			json_t *rb = json_pack("{s:s, s:s, s:s}", "username", username,
					       "password_hash", h, "reason", "rehash");
			if (record(a, actor, username, "officer.password_changed", rb, &re) == 0) {
				pthread_mutex_lock(&a->mu);
				a->stats.rehashes++;
				pthread_mutex_unlock(&a->mu);
			}
		}
		sodium_memzero(h, sizeof h);
		if (re.code)
			log_warnx("auth: cannot rehash the password of '%s': %s", username, re.msg);
	}

	/* the officer was disabled, revoked, reset or given other roles while this login
	 * ran: read them again (mu is held from here to the session's creation) */
	res = login_recheck(a, username, rec, &epoch, e);
	if (res != AUTH_OK)
		goto done;
	struct session *s = session_slot(a, username, now);
	if (!s) {
		pthread_mutex_unlock(&a->mu);
		err_set(e, ERR_IO, "session table is full, retry later");
		out->retry_after_s = 60;
		res = AUTH_BUSY;
		goto done;
	}
	new_token(out->token);
	new_token(out->csrf);
	s->used = 1;
	token_hash(out->token, s->token_hash);
	token_hash(out->csrf, s->csrf_hash);
	snprintf(s->officer.username, sizeof s->officer.username, "%s", username);
	snprintf(s->officer.actor, sizeof s->officer.actor, "officer:%s", username);
	s->officer.roles = rec->roles;
	s->created_ms = s->last_ms = now;
	out->officer = s->officer;
	out->expires_ms = now + a->cfg.lifetime_ms;
	a->stats.sessions++;
	a->stats.logins_ok++;
	pthread_mutex_unlock(&a->mu);
	res = AUTH_OK;
done:
	sodium_free(rec);
	if (res != AUTH_OK) {
		sodium_memzero(out->token, sizeof out->token);
		sodium_memzero(out->csrf, sizeof out->csrf);
	}
	return res;
}

enum auth_result auth_verify_credentials(struct auth *a, const char *username,
					 const char *password, const char *totp_code,
					 const char *client_ip, struct auth_officer *out,
					 struct err *e)
{
	memset(out, 0, sizeof *out);
	char ip[CLIENT_IP_MAX + 1];
	ip_key(ip, client_ip);
	struct auth_record *rec = sodium_malloc(sizeof *rec);
	if (!rec) {
		err_nomem(e);
		return AUTH_ERROR;
	}
	memset(rec, 0, sizeof *rec);
	int64_t step = 0, retry = 0;
	enum auth_result res = credentials_check(a, username, password, totp_code, ip,
						 now_ms(a), rec, &step, &retry, e);
	if (res == AUTH_OK) {
		snprintf(out->username, sizeof out->username, "%s", rec->username);
		snprintf(out->actor, sizeof out->actor, "officer:%s", rec->username);
		out->roles = rec->roles;
	}
	sodium_free(rec);
	return res;
}

enum auth_result auth_session_check(struct auth *a, const char *token, const char *csrf,
				    struct auth_officer *out, struct err *e)
{
	int64_t now = now_ms(a);
	pthread_mutex_lock(&a->mu);
	struct session *s = session_find(a, token);
	if (!s) {
		pthread_mutex_unlock(&a->mu);
		err_set(e, ERR_INPUT, "not logged in");
		return AUTH_DENIED;
	}
	if (session_expired(a, s, now)) {
		session_drop(s);
		a->stats.sessions--;
		pthread_mutex_unlock(&a->mu);
		err_set(e, ERR_INPUT, "session expired, log in again");
		return AUTH_DENIED;
	}
	if (csrf) {
		uint8_t h[HASH_BYTES];
		token_hash(csrf, h);
		if (strlen(csrf) != AUTH_TOKEN_LEN ||
		    sodium_memcmp(h, s->csrf_hash, HASH_BYTES) != 0) {
			pthread_mutex_unlock(&a->mu);
			err_set(e, ERR_VERIFY, "CSRF token missing or wrong");
			return AUTH_FORBIDDEN;
		}
	}
	s->last_ms = now;
	if (out)
		*out = s->officer;
	pthread_mutex_unlock(&a->mu);
	return AUTH_OK;
}

void auth_logout(struct auth *a, const char *token)
{
	pthread_mutex_lock(&a->mu);
	struct session *s = session_find(a, token);
	if (s) {
		session_drop(s);
		a->stats.sessions--;
	}
	pthread_mutex_unlock(&a->mu);
}

/* Ends (revoke) or gives roles to every session of username; the count of sessions. */
static size_t officer_sessions(struct auth *a, const char *username, int revoke,
			       unsigned roles)
{
	size_t n = 0;
	pthread_mutex_lock(&a->mu);
	a->officer_epoch++;
	for (size_t i = 0; i < a->cfg.max_sessions; i++) {
		struct session *s = &a->sessions[i];
		if (!s->used || strcmp(s->officer.username, username) != 0)
			continue;
		if (revoke) {
			session_drop(s);
			a->stats.sessions--;
		} else {
			s->officer.roles = roles;
		}
		n++;
	}
	pthread_mutex_unlock(&a->mu);
	return n;
}

size_t auth_revoke_officer(struct auth *a, const char *username)
{
	return officer_sessions(a, username, 1, 0);
}

size_t auth_set_roles(struct auth *a, const char *username, unsigned roles)
{
	return officer_sessions(a, username, 0, roles);
}

enum auth_result auth_authorize(const struct auth_officer *o, enum action act, struct err *e)
{
	if (o && roles_allowed(o->roles, act))
		return AUTH_OK;
	err_set(e, ERR_VERIFY, "your role does not allow '%s'",
		roles_action_name(act) ? roles_action_name(act) : "?");
	return AUTH_FORBIDDEN;
}

int auth_http_status(enum auth_result r)
{
	switch (r) {
	case AUTH_OK: return 200;
	case AUTH_DENIED: return 401;
	case AUTH_FORBIDDEN: return 403;
	case AUTH_THROTTLED: return 429;
	case AUTH_BUSY: return 503;
	default: return 500;
	}
}

int auth_cookie(struct buf *out, const char *token, int tls)
{
	int clear = !token || !*token;
	buf_addf(out, "%s=%s; HttpOnly; %sSameSite=Strict; Path=/%s", AUTH_COOKIE_NAME,
		 clear ? "" : token, tls ? "Secure; " : "", clear ? "; Max-Age=0" : "");
	return buf_ok(out) ? 0 : -1;
}

void auth_get_stats(struct auth *a, struct auth_stats *s)
{
	pthread_mutex_lock(&a->mu);
	*s = a->stats;
	pthread_mutex_unlock(&a->mu);
	pthread_mutex_lock(&a->gate_mu);
	s->hashing_now = a->hashing;
	s->hashing_peak = a->hashing_peak;
	s->hashes = a->hashes;
	pthread_mutex_unlock(&a->gate_mu);
}
