/*
 * Tests of office/auth (passwords, TOTP, sessions, throttling) and office/officers (the
 * officer events and the backend on a real node). Outside truth: RFC 6238 appendix B
 * vectors and the `oathtool` command (Debian oathtool) for TOTP; libsodium's own
 * crypto_pwhash_str_verify for the hashes.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "harness.h"
#include "log/node.h"
#include "log/writer.h"
#include "office/auth.h"
#include "office/officers.h"
#include "util/buf.h"
#include "util/fs.h"

/* ---- an in-memory backend and an injected clock ---- */

#define MEM_OFFICERS 4
#define MEM_EVENTS 32

struct mem_backend {
	struct auth_record rec[MEM_OFFICERS];
	int n;
	char kinds[MEM_EVENTS][40];
	char actors[MEM_EVENTS][48];
	int nevents;
	int fail_record;
};

static int mem_lookup(void *ctx, const char *username, struct auth_record *out, struct err *e)
{
	(void)e;
	struct mem_backend *m = ctx;
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->rec[i].username, username) == 0) {
			*out = m->rec[i];
			return 1;
		}
	return 0;
}

static int mem_record(void *ctx, const char *actor, const char *username, const char *kind,
		      const uint8_t *body, size_t len, struct err *e)
{
	struct mem_backend *m = ctx;
	if (m->fail_record)
		return err_set(e, ERR_IO, "record failed");
	if (m->nevents < MEM_EVENTS) {
		snprintf(m->kinds[m->nevents], sizeof m->kinds[0], "%s", kind);
		snprintf(m->actors[m->nevents], sizeof m->actors[0], "%s", actor);
		m->nevents++;
	}
	/* keep what the projection would: the last TOTP step, a new hash */
	json_t *v = json_loadb((const char *)body, len, 0, NULL);
	for (int i = 0; v && i < m->n; i++) {
		if (strcmp(m->rec[i].username, username) != 0)
			continue;
		json_t *step = json_object_get(v, "totp_step");
		if (step && strcmp(kind, "officer.login") == 0)
			m->rec[i].totp_last_step = json_integer_value(step);
		json_t *h = json_object_get(v, "password_hash");
		if (h)
			snprintf(m->rec[i].password_hash, AUTH_HASH_MAX, "%s", json_string_value(h));
	}
	json_decref(v);
	return 0;
}

static int64_t fake_now;
static int64_t fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

/* Cheap Argon2id cost for tests (the production cost is checked in one test). */
static void test_config(struct auth_config *c)
{
	auth_config_defaults(c);
	c->pw_ops = 1;
	c->pw_mem = (size_t)64 << 10;
	c->now_ms = fake_clock;
}

static const char *const GOOD_PW = "correct horse battery";
/* RFC 6238 appendix B, SHA-1 seed "12345678901234567890" in base32 */
static const char *const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

static int add_officer(struct auth *a, struct mem_backend *m, const char *user, unsigned roles,
		       const char *secret)
{
	struct auth_record *r = &m->rec[m->n++];
	memset(r, 0, sizeof *r);
	snprintf(r->username, sizeof r->username, "%s", user);
	r->roles = roles;
	if (secret)
		snprintf(r->totp_secret, sizeof r->totp_secret, "%s", secret);
	struct err e = ERR_INIT;
	return auth_password_hash(a, GOOD_PW, r->password_hash, &e);
}

static struct auth *make_auth(struct mem_backend *m, struct auth_config *cfg)
{
	struct auth_backend b = { m, mem_lookup, mem_record };
	struct auth *a = NULL;
	struct err e = ERR_INIT;
	if (auth_new(&a, cfg, &b, &e) < 0) {
		fprintf(stderr, "auth_new: %s\n", e.msg);
		return NULL;
	}
	return a;
}

/* ---- passwords and the hashing semaphore ---- */

TEST(auth_password_rules)
{
	struct err e = ERR_INIT;
	CHECK(auth_password_acceptable("12345678901", &e) < 0);       /* 11 characters */
	CHECK(auth_password_acceptable("123456789012", NULL) == 0);   /* 12 */
	/* 11 code points in 22 bytes: still too short */
	CHECK(auth_password_acceptable("ééééééééééé", NULL) < 0);
	CHECK(auth_password_acceptable("éééééééééééé", NULL) == 0);
	CHECK(auth_password_acceptable("twelve chars\tx", NULL) < 0); /* control character */
	CHECK(auth_password_acceptable("abcdefghijkl\xff", NULL) < 0); /* not UTF-8 */
	CHECK(auth_username_valid("ayu.lestari-2"));
	CHECK(!auth_username_valid("Ayu"));
	CHECK(!auth_username_valid("1ayu"));
	CHECK(!auth_username_valid("ayu lestari"));
	CHECK(!auth_username_valid("abcdefghijabcdefghijabcdefghijabc")); /* 33 */
}

TEST(auth_hash_production_cost)
{
	struct auth *a = NULL;
	struct err e = ERR_INIT;
	CHECK(auth_new(&a, NULL, NULL, &e) == 0);
	char h[AUTH_HASH_MAX];
	int rc = auth_password_hash(a, GOOD_PW, h, &e);
	auth_free(a);
	CHECK(rc == 0);
	/* the documented cost is in the string: Argon2id, 32 MiB, 3 passes */
	CHECK(strncmp(h, "$argon2id$v=19$m=32768,t=3,p=1$", 31) == 0);
	CHECK(crypto_pwhash_str_verify(h, GOOD_PW, strlen(GOOD_PW)) == 0);
	CHECK(crypto_pwhash_str_verify(h, "wrong password!", 15) != 0);
}

struct hash_thread {
	struct auth *a;
	int ok;
};

static void *hash_thread(void *p)
{
	struct hash_thread *t = p;
	for (int i = 0; i < 3; i++) {
		char h[AUTH_HASH_MAX];
		struct err e = ERR_INIT;
		if (auth_password_hash(t->a, GOOD_PW, h, &e) == 0 &&
		    crypto_pwhash_str_verify(h, GOOD_PW, strlen(GOOD_PW)) == 0)
			t->ok++;
	}
	return NULL;
}

TEST(auth_hash_semaphore_caps_concurrency)
{
	struct auth_config c;
	auth_config_defaults(&c);
	c.pw_ops = 1;
	c.pw_mem = (size_t)4 << 20;
	c.hash_cap = 2;
	c.hash_wait_ms = 60000;
	struct auth *a = NULL;
	struct err e = ERR_INIT;
	CHECK(auth_new(&a, &c, NULL, &e) == 0);
	enum { N = 10 };
	pthread_t th[N];
	struct hash_thread t[N];
	for (int i = 0; i < N; i++) {
		t[i].a = a;
		t[i].ok = 0;
		pthread_create(&th[i], NULL, hash_thread, &t[i]);
	}
	int ok = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ok += t[i].ok;
	}
	struct auth_stats s;
	auth_get_stats(a, &s);
	auth_free(a);
	CHECK_INT_EQ(ok, N * 3);
	CHECK(s.hashing_peak <= 2);
	CHECK(s.hashing_peak >= 1);
	CHECK_INT_EQ(s.hashing_now, 0);
	CHECK_INT_EQ(s.hashes, N * 3);
}

struct slow_arg {
	struct auth *a;
	int rc;
};

static void *slow_hash(void *p)
{
	struct slow_arg *s = p;
	char h[AUTH_HASH_MAX];
	struct err e = ERR_INIT;
	s->rc = auth_password_hash(s->a, GOOD_PW, h, &e);
	return NULL;
}

TEST(auth_hash_busy_after_bounded_wait)
{
	struct auth_config c;
	auth_config_defaults(&c);
	c.pw_ops = 8;
	c.pw_mem = (size_t)32 << 20; /* long enough to be seen in progress */
	c.hash_cap = 1;
	c.hash_wait_ms = 1;
	struct auth *a = NULL;
	struct err e = ERR_INIT;
	CHECK(auth_new(&a, &c, NULL, &e) == 0);
	struct slow_arg s = { a, -2 };
	pthread_t th;
	pthread_create(&th, NULL, slow_hash, &s);
	struct auth_stats st;
	do {
		auth_get_stats(a, &st);
	} while (!st.hashing_now && s.rc == -2);
	int busy = -2;
	char h[AUTH_HASH_MAX];
	if (st.hashing_now)
		busy = auth_password_hash(a, GOOD_PW, h, &e);
	pthread_join(th, NULL);
	auth_get_stats(a, &st);
	auth_free(a);
	CHECK_INT_EQ(s.rc, 0);
	CHECK_INT_EQ(busy, -1);
	CHECK(strstr(e.msg, "busy") != NULL);
	CHECK_INT_EQ(st.busy, 1);
}

/* ---- TOTP ---- */

TEST(auth_totp_rfc6238_vectors)
{
	/* RFC 6238 appendix B (SHA-1), last 6 of the 8 digits */
	static const struct {
		int64_t t;
		const char *code;
	} v[] = {
		{ 59, "287082" }, { 1111111109, "081804" }, { 1111111111, "050471" },
		{ 1234567890, "005924" }, { 2000000000, "279037" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char code[7];
		struct err e = ERR_INIT;
		CHECK(auth_totp_code(RFC_SECRET, v[i].t, code, &e) == 0);
		CHECK_STR_EQ(code, v[i].code);
		int64_t step = 0;
		CHECK(auth_totp_verify(RFC_SECRET, v[i].code, v[i].t, &step, &e) == 0);
		CHECK_INT_EQ(step, v[i].t / 30);
		/* ±1 step accepted, ±2 refused */
		CHECK(auth_totp_verify(RFC_SECRET, v[i].code, v[i].t + 30, &step, &e) == 0);
		CHECK_INT_EQ(step, v[i].t / 30);
		CHECK(auth_totp_verify(RFC_SECRET, v[i].code, v[i].t - 30, &step, &e) == 0);
		CHECK(auth_totp_verify(RFC_SECRET, v[i].code, v[i].t + 61, &step, NULL) < 0);
		if (v[i].t >= 90) /* at t = 59, t - 61 is before the epoch */
			CHECK(auth_totp_verify(RFC_SECRET, v[i].code, v[i].t - 61, &step, NULL) < 0);
	}
	int64_t step;
	CHECK(auth_totp_verify(RFC_SECRET, "28708", 59, &step, NULL) < 0);
	CHECK(auth_totp_verify(RFC_SECRET, "28708a", 59, &step, NULL) < 0);
	CHECK(auth_totp_verify(RFC_SECRET, NULL, 59, &step, NULL) < 0);
}

/* The code oathtool prints for secret at time t (seconds), or "" . */
static void oathtool(const char *secret, int64_t t, char out[16])
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "oathtool --totp -b --now '@%" PRId64 "' %s 2>/dev/null", t,
		 secret);
	out[0] = 0;
	FILE *f = popen(cmd, "r");
	if (!f)
		return;
	if (!fgets(out, 16, f))
		out[0] = 0;
	pclose(f);
	out[strcspn(out, "\n")] = 0;
}

TEST(auth_totp_matches_oathtool)
{
	struct err e = ERR_INIT;
	char secret[AUTH_TOTP_SECRET_MAX + 1];
	CHECK(auth_totp_new_secret(secret, &e) == 0);
	CHECK_INT_EQ(strlen(secret), 32); /* 160 bits */
	char want[16];
	oathtool(RFC_SECRET, 59, want);
	CHECK_STR_EQ(want, "287082"); /* oathtool is there and reads @epoch */
	int64_t times[] = { 1717200000, 1717200029, 1717200030, 1900000000 };
	for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
		char got[7];
		CHECK(auth_totp_code(secret, times[i], got, &e) == 0);
		oathtool(secret, times[i], want);
		CHECK_STR_EQ(got, want);
		int64_t step;
		CHECK(auth_totp_verify(secret, want, times[i], &step, &e) == 0);
	}
	struct buf uri;
	buf_init(&uri, 1024);
	auth_totp_uri(&uri, "Paspor", "ayu", "ABC");
	CHECK_STR_EQ(buf_str(&uri), "otpauth://totp/Paspor:ayu?secret=ABC&issuer=Paspor"
				    "&algorithm=SHA1&digits=6&period=30");
	buf_release(&uri);
}

/* ---- login, sessions ---- */

TEST(auth_login_totp_code_used_once)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "ayu", ROLE_BIT(ROLE_ADJUDICATOR), RFC_SECRET) == 0);
	char code[7];
	struct err e = ERR_INIT;
	CHECK(auth_totp_code(RFC_SECRET, fake_now / 1000, code, &e) == 0);
	struct auth_session_out out;
	enum auth_result r1 = auth_login(a, "ayu", GOOD_PW, NULL, "10.0.0.1", &out, &e);
	enum auth_result r2 = auth_login(a, "ayu", GOOD_PW, code, "10.0.0.1", &out, &e);
	struct auth_session_out out2;
	struct err e3 = ERR_INIT;
	enum auth_result r3 = auth_login(a, "ayu", GOOD_PW, code, "10.0.0.1", &out2, &e3);
	/* the previous step's code (within the window) is refused too: steps only go up */
	char prev[7];
	auth_totp_code(RFC_SECRET, fake_now / 1000 - 30, prev, &e);
	enum auth_result r4 = auth_login(a, "ayu", GOOD_PW, prev, "10.0.0.1", &out2, &e);
	fake_now += 30000;
	auth_totp_code(RFC_SECRET, fake_now / 1000, code, &e);
	enum auth_result r5 = auth_login(a, "ayu", GOOD_PW, code, "10.0.0.1", &out2, &e);
	auth_free(a);
	CHECK_INT_EQ(r1, AUTH_DENIED); /* TOTP required for adjudicators */
	CHECK_INT_EQ(r2, AUTH_OK);
	CHECK_STR_EQ(out.officer.actor, "officer:ayu");
	CHECK_INT_EQ(strlen(out.token), AUTH_TOKEN_LEN);
	CHECK(strcmp(out.token, out.csrf) != 0);
	CHECK_INT_EQ(r3, AUTH_DENIED);
	CHECK_STR_EQ(e3.msg, "wrong username, password or code");
	CHECK_INT_EQ(r4, AUTH_DENIED);
	CHECK_INT_EQ(r5, AUTH_OK);
	CHECK_STR_EQ(m.kinds[0], "officer.login");
	CHECK_STR_EQ(m.actors[0], "officer:ayu");
}

TEST(auth_unknown_user_spends_one_hash)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "budi", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	struct auth_stats s0, s1, s2;
	struct auth_session_out out;
	struct err e1 = ERR_INIT, e2 = ERR_INIT;
	auth_get_stats(a, &s0);
	enum auth_result r1 = auth_login(a, "nobody", GOOD_PW, NULL, "10.0.0.2", &out, &e1);
	auth_get_stats(a, &s1);
	enum auth_result r2 = auth_login(a, "budi", "wrong password!!", NULL, "10.0.0.3", &out,
					 &e2);
	auth_get_stats(a, &s2);
	auth_free(a);
	CHECK_INT_EQ(r1, AUTH_DENIED);
	CHECK_INT_EQ(r2, AUTH_DENIED);
	CHECK_INT_EQ(s1.hashes - s0.hashes, 1);
	CHECK_INT_EQ(s2.hashes - s1.hashes, 1);
	CHECK_STR_EQ(e1.msg, e2.msg); /* the same words whether or not the name exists */
	CHECK_INT_EQ(e1.code, ERR_INPUT);
	CHECK_INT_EQ(auth_http_status(r1), 401);
}

TEST(auth_session_idle_and_lifetime)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	c.idle_ms = 10 * 60 * 1000;
	c.lifetime_ms = 60 * 60 * 1000;
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "budi", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	struct auth_session_out out;
	struct auth_officer o;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(auth_login(a, "budi", GOOD_PW, NULL, "10.0.0.1", &out, &e), AUTH_OK);
	fake_now += c.idle_ms - 1;
	enum auth_result r1 = auth_session_check(a, out.token, NULL, &o, &e);
	fake_now += c.idle_ms; /* idle since the last check */
	enum auth_result r2 = auth_session_check(a, out.token, NULL, &o, &e);
	/* a session used every 5 minutes still ends after its lifetime */
	CHECK_INT_EQ(auth_login(a, "budi", GOOD_PW, NULL, "10.0.0.1", &out, &e), AUTH_OK);
	int64_t start = fake_now;
	int alive = 1;
	while (fake_now + 5 * 60 * 1000 < start + c.lifetime_ms) {
		fake_now += 5 * 60 * 1000;
		alive &= auth_session_check(a, out.token, NULL, &o, &e) == AUTH_OK;
	}
	fake_now = start + c.lifetime_ms;
	enum auth_result r3 = auth_session_check(a, out.token, NULL, &o, &e);
	struct auth_stats st;
	auth_get_stats(a, &st);
	auth_free(a);
	CHECK_INT_EQ(r1, AUTH_OK);
	CHECK_STR_EQ(o.username, "budi");
	CHECK_INT_EQ(r2, AUTH_DENIED);
	CHECK(alive);
	CHECK_INT_EQ(r3, AUTH_DENIED);
	CHECK_INT_EQ(st.sessions, 0);
}

TEST(auth_csrf_and_logout)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "budi", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	struct auth_session_out out;
	struct auth_officer o;
	struct err e = ERR_INIT, ec = ERR_INIT;
	CHECK_INT_EQ(auth_login(a, "budi", GOOD_PW, NULL, "10.0.0.1", &out, &e), AUTH_OK);
	char wrong[AUTH_TOKEN_LEN + 1];
	memcpy(wrong, out.csrf, sizeof wrong);
	wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
	enum auth_result r_wrong = auth_session_check(a, out.token, wrong, &o, &ec);
	enum auth_result r_empty = auth_session_check(a, out.token, "", &o, &e);
	enum auth_result r_token = auth_session_check(a, out.token, out.token, &o, &e);
	enum auth_result r_ok = auth_session_check(a, out.token, out.csrf, &o, &e);
	enum auth_result r_safe = auth_session_check(a, out.token, NULL, &o, &e);
	enum auth_result r_bad = auth_session_check(a, "not-a-token", NULL, &o, &e);
	auth_logout(a, out.token);
	enum auth_result r_gone = auth_session_check(a, out.token, out.csrf, &o, &e);
	auth_free(a);
	CHECK_INT_EQ(r_wrong, AUTH_FORBIDDEN);
	CHECK_INT_EQ(auth_http_status(r_wrong), 403);
	CHECK(strstr(ec.msg, "CSRF") != NULL);
	CHECK_INT_EQ(r_empty, AUTH_FORBIDDEN);
	CHECK_INT_EQ(r_token, AUTH_FORBIDDEN);
	CHECK_INT_EQ(r_ok, AUTH_OK);
	CHECK_INT_EQ(r_safe, AUTH_OK);
	CHECK_INT_EQ(r_bad, AUTH_DENIED);
	CHECK_INT_EQ(r_gone, AUTH_DENIED);
}

#define MSG_MAX 512 /* struct err msg */

/* Logs in and expects r; the answer's message and Retry-After in msg and *retry. */
static enum auth_result try_login(struct auth *a, const char *user, const char *pw,
				  const char *ip, char msg[MSG_MAX], int64_t *retry)
{
	struct auth_session_out out;
	struct err e = ERR_INIT;
	enum auth_result r = auth_login(a, user, pw, NULL, ip, &out, &e);
	if (msg)
		snprintf(msg, MSG_MAX, "%s", e.msg);
	if (retry)
		*retry = out.retry_after_s;
	return r;
}

/* Issue 13 item 7: 10 bad passwords from rotating addresses locked the officer out for
 * 15 minutes. Now they slow only clients the officer has not logged in from, for at most
 * one refill (30 s), and never the officer's known client. */
TEST(auth_rotating_clients_cannot_lock_officer_out)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "budi", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	/* budi's desk */
	CHECK_INT_EQ(try_login(a, "budi", GOOD_PW, "10.0.0.7", NULL, NULL), AUTH_OK);
	char ip[32];
	for (int i = 0; i < 12; i++) { /* an outsider, a new address each time */
		snprintf(ip, sizeof ip, "198.51.100.%d", i + 1);
		enum auth_result r = try_login(a, "budi", "wrong password!!", ip, NULL, NULL);
		CHECK_INT_EQ(r, i < 10 ? AUTH_DENIED : AUTH_THROTTLED);
		fake_now += 100;
	}
	CHECK_INT_EQ(m.nevents, 1); /* the login only: no lockout event */
	/* the desk is not slowed at all */
	CHECK_INT_EQ(try_login(a, "budi", GOOD_PW, "10.0.0.7", NULL, NULL), AUTH_OK);
	/* a fresh address waits for the bucket, right or wrong alike, at most 30 s */
	char m_right[MSG_MAX], m_wrong[MSG_MAX];
	int64_t r_right = 0, r_wrong = 0;
	struct auth_stats s0, s1;
	auth_get_stats(a, &s0);
	CHECK_INT_EQ(try_login(a, "budi", GOOD_PW, "10.0.0.99", m_right, &r_right),
		     AUTH_THROTTLED);
	CHECK_INT_EQ(try_login(a, "budi", "wrong password!!", "10.0.0.99", m_wrong, &r_wrong),
		     AUTH_THROTTLED);
	auth_get_stats(a, &s1);
	CHECK_STR_EQ(m_right, m_wrong);
	CHECK_INT_EQ(r_right, r_wrong);
	CHECK(r_right >= 1 && r_right <= 30);
	CHECK_INT_EQ(s1.hashes, s0.hashes); /* throttled attempts spend no hash */
	fake_now += r_right * 1000;
	CHECK_INT_EQ(try_login(a, "budi", GOOD_PW, "10.0.0.99", NULL, NULL), AUTH_OK);
	/* after a restart (a new auth), nothing is held against budi */
	auth_free(a);
	a = make_auth(&m, &c);
	CHECK(a);
	CHECK_INT_EQ(try_login(a, "budi", GOOD_PW, "10.0.0.98", NULL, NULL), AUTH_OK);
	/* an unknown name is throttled the same way */
	for (int i = 0; i < 10; i++) {
		snprintf(ip, sizeof ip, "198.51.100.%d", i + 1);
		try_login(a, "ghost", "wrong password!!", ip, NULL, NULL);
	}
	CHECK_INT_EQ(try_login(a, "ghost", "wrong password!!", "198.51.100.200", NULL, NULL),
		     AUTH_THROTTLED);
	auth_free(a);
}

/* The backoff of one (username, client) pair: 1 s, 2 s, 4 s … capped at 60 s, for the
 * right password as for a wrong one (the same answer), never a lockout. */
TEST(auth_pair_backoff_same_answer_bounded)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "budi", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	for (int i = 0; i < 3; i++) /* backoff_after = 3: three failures answer at once */
		CHECK_INT_EQ(try_login(a, "budi", "wrong password!!", "10.0.0.9", NULL, NULL),
			     AUTH_DENIED);
	char m_right[MSG_MAX], m_wrong[MSG_MAX];
	int64_t r_right = 0, r_wrong = 0;
	CHECK_INT_EQ(try_login(a, "budi", GOOD_PW, "10.0.0.9", m_right, &r_right), AUTH_THROTTLED);
	CHECK_INT_EQ(try_login(a, "budi", "wrong password!!", "10.0.0.9", m_wrong, &r_wrong),
		     AUTH_THROTTLED);
	CHECK_STR_EQ(m_right, m_wrong);
	CHECK_INT_EQ(r_right, 1);
	CHECK_INT_EQ(r_wrong, 1);
	CHECK_INT_EQ(auth_http_status(AUTH_THROTTLED), 429);
	/* the same pair keeps failing: the delay doubles up to the cap, no further */
	int failures = 3;
	while (failures < 20) {
		int64_t delay = (int64_t)1000 << (failures - 3);
		if (delay > 60000)
			delay = 60000;
		fake_now += delay;
		CHECK_INT_EQ(try_login(a, "budi", "wrong password!!", "10.0.0.9", NULL, NULL),
			     AUTH_DENIED);
		failures++;
	}
	int64_t retry = 0;
	CHECK_INT_EQ(try_login(a, "budi", GOOD_PW, "10.0.0.9", NULL, &retry), AUTH_THROTTLED);
	CHECK_INT_EQ(retry, 60);
	fake_now += 60000;
	CHECK_INT_EQ(try_login(a, "budi", GOOD_PW, "10.0.0.9", NULL, NULL), AUTH_OK);
	auth_free(a);
}

/* One client guessing many names is slowed (after ip_backoff_after failures), other
 * clients are not; a client the officer logged in from passes. */
TEST(auth_client_backoff)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "budi", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	CHECK(add_officer(a, &m, "sari", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	CHECK_INT_EQ(try_login(a, "sari", GOOD_PW, "192.0.2.1", NULL, NULL), AUTH_OK);
	char user[16];
	for (int i = 0; i < 10; i++) { /* a different name each time: one client guessing */
		snprintf(user, sizeof user, "user%d", i);
		CHECK_INT_EQ(try_login(a, user, "wrong password!!", "192.0.2.1", NULL, NULL),
			     AUTH_DENIED);
	}
	enum auth_result r1 = try_login(a, "budi", GOOD_PW, "192.0.2.1", NULL, NULL);
	enum auth_result r2 = try_login(a, "budi", GOOD_PW, "192.0.2.2", NULL, NULL);
	enum auth_result r3 = try_login(a, "sari", GOOD_PW, "192.0.2.1", NULL, NULL);
	auth_free(a);
	CHECK_INT_EQ(r1, AUTH_THROTTLED);
	CHECK_INT_EQ(r2, AUTH_OK);
	CHECK_INT_EQ(r3, AUTH_OK);
}

/* A lookup hook: the first lookup of budi returns the record, then disables budi and
 * revokes (what an admin's disable does, between a login's lookup and its session). */
static struct auth *race_auth;
static int race_lookup(void *ctx, const char *username, struct auth_record *out,
		       struct err *e)
{
	struct mem_backend *m = ctx;
	int r = mem_lookup(ctx, username, out, e);
	if (r == 1 && !m->rec[0].disabled) {
		m->rec[0].disabled = 1;
		auth_revoke_officer(race_auth, username);
	}
	return r;
}

TEST(auth_revoke_and_roles_apply_to_live_sessions)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "budi", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	struct auth_session_out s1, s2;
	struct auth_officer o;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(auth_login(a, "budi", GOOD_PW, NULL, "10.0.0.1", &s1, &e), AUTH_OK);
	CHECK_INT_EQ(auth_login(a, "budi", GOOD_PW, NULL, "10.0.0.2", &s2, &e), AUTH_OK);
	CHECK_INT_EQ(auth_set_roles(a, "budi", ROLE_BIT(ROLE_AUDITOR)), 2);
	CHECK_INT_EQ(auth_session_check(a, s1.token, NULL, &o, &e), AUTH_OK);
	CHECK_INT_EQ(o.roles, ROLE_BIT(ROLE_AUDITOR));
	CHECK_INT_EQ(auth_revoke_officer(a, "budi"), 2);
	CHECK_INT_EQ(auth_session_check(a, s1.token, NULL, &o, &e), AUTH_DENIED);
	CHECK_INT_EQ(auth_session_check(a, s2.token, NULL, &o, &e), AUTH_DENIED);
	auth_free(a);
	/* a login racing a disable: it read budi enabled, the disable and its revocation
	 * came before its session; the login reads budi again and is refused */
	struct mem_backend m2 = { 0 };
	struct auth_backend b = { &m2, race_lookup, mem_record };
	CHECK(auth_new(&a, &c, &b, &e) == 0);
	race_auth = a;
	CHECK(add_officer(a, &m2, "budi", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	enum auth_result r = auth_login(a, "budi", GOOD_PW, NULL, "10.0.0.1", &s1, &e);
	struct auth_stats st;
	auth_get_stats(a, &st);
	auth_free(a);
	CHECK_INT_EQ(r, AUTH_DENIED);
	CHECK_INT_EQ(st.sessions, 0);
}

/* A witness's credentials: the same checks as a login, but no session and no event. */
TEST(auth_verify_credentials_checks_like_login_without_session)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "budi", ROLE_BIT(ROLE_BOOKLET_CUSTODIAN), NULL) == 0);
	CHECK(add_officer(a, &m, "ayu", ROLE_BIT(ROLE_ADJUDICATOR), RFC_SECRET) == 0);
	CHECK(add_officer(a, &m, "sari", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	m.rec[2].disabled = 1;
	struct auth_officer o;
	struct auth_stats s0, s1;
	struct err e = ERR_INIT, eu = ERR_INIT, ew = ERR_INIT;
	auth_get_stats(a, &s0);
	enum auth_result good = auth_verify_credentials(a, "budi", GOOD_PW, NULL, "10.0.0.1", &o,
							&e);
	auth_get_stats(a, &s1);
	CHECK_INT_EQ(good, AUTH_OK);
	CHECK_STR_EQ(o.username, "budi");
	CHECK_STR_EQ(o.actor, "officer:budi");
	CHECK_INT_EQ(o.roles, ROLE_BIT(ROLE_BOOKLET_CUSTODIAN));
	CHECK_INT_EQ(s1.sessions, s0.sessions);     /* no session */
	CHECK_INT_EQ(s1.logins_ok, s0.logins_ok);   /* not a login */
	CHECK_INT_EQ(s1.hashes - s0.hashes, 1);     /* one verify */
	CHECK_INT_EQ(m.nevents, 0);                 /* no officer.login event */
	/* wrong password, unknown name: the login's words; a disabled officer is refused */
	CHECK_INT_EQ(auth_verify_credentials(a, "budi", "wrong password!!", NULL, "10.0.0.1", &o,
					     &ew), AUTH_DENIED);
	CHECK_STR_EQ(o.username, "");
	CHECK_INT_EQ(auth_verify_credentials(a, "nobody", GOOD_PW, NULL, "10.0.0.2", &o, &eu),
		     AUTH_DENIED);
	CHECK_STR_EQ(ew.msg, eu.msg);
	CHECK_STR_EQ(ew.msg, "wrong username, password or code");
	CHECK_INT_EQ(auth_verify_credentials(a, "sari", GOOD_PW, NULL, "10.0.0.3", &o, &e),
		     AUTH_DENIED);
	/* TOTP: required for an adjudicator, each code once (shared with logins) */
	char code[7];
	CHECK(auth_totp_code(RFC_SECRET, fake_now / 1000, code, &e) == 0);
	CHECK_INT_EQ(auth_verify_credentials(a, "ayu", GOOD_PW, NULL, "10.0.0.4", &o, &e),
		     AUTH_DENIED);
	CHECK_INT_EQ(auth_verify_credentials(a, "ayu", GOOD_PW, code, "10.0.0.4", &o, &e),
		     AUTH_OK);
	CHECK_INT_EQ(auth_verify_credentials(a, "ayu", GOOD_PW, code, "10.0.0.4", &o, &e),
		     AUTH_DENIED);
	struct auth_session_out out;
	CHECK_INT_EQ(auth_login(a, "ayu", GOOD_PW, code, "10.0.0.4", &out, &e), AUTH_DENIED);
	/* failures count towards the backoff like logins' (backoff_after = 3 per pair) */
	for (int i = 0; i < 2; i++)
		CHECK_INT_EQ(auth_verify_credentials(a, "budi", "wrong password!!", NULL,
						     "10.0.0.1", &o, &e), AUTH_DENIED);
	CHECK_INT_EQ(auth_verify_credentials(a, "budi", GOOD_PW, NULL, "10.0.0.1", &o, &e),
		     AUTH_THROTTLED);
	CHECK_INT_EQ(auth_login(a, "budi", GOOD_PW, NULL, "10.0.0.1", &out, &e), AUTH_THROTTLED);
	fake_now += 60000;
	CHECK_INT_EQ(auth_verify_credentials(a, "budi", GOOD_PW, NULL, "10.0.0.1", &o, &e),
		     AUTH_OK);
	auth_free(a);
}

TEST(auth_rehash_on_login)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "budi", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	auth_free(a);
	c.pw_ops = 2; /* the office raised the cost */
	a = make_auth(&m, &c);
	CHECK(a);
	struct auth_session_out out;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(auth_login(a, "budi", GOOD_PW, NULL, "10.0.0.1", &out, &e), AUTH_OK);
	struct auth_stats st;
	auth_get_stats(a, &st);
	auth_free(a);
	CHECK_INT_EQ(st.rehashes, 1);
	CHECK_INT_EQ(m.nevents, 2);
	CHECK_STR_EQ(m.kinds[1], "officer.password_changed");
	CHECK(strstr(m.rec[0].password_hash, "t=2,") != NULL);
}

TEST(auth_login_fails_when_event_not_recorded)
{
	struct mem_backend m = { 0 };
	struct auth_config c;
	test_config(&c);
	fake_now = 1717200000000LL;
	struct auth *a = make_auth(&m, &c);
	CHECK(a);
	CHECK(add_officer(a, &m, "budi", ROLE_BIT(ROLE_REGISTRAR), NULL) == 0);
	m.fail_record = 1;
	struct auth_session_out out;
	struct err e = ERR_INIT;
	enum auth_result r = auth_login(a, "budi", GOOD_PW, NULL, "10.0.0.1", &out, &e);
	struct auth_stats st;
	auth_get_stats(a, &st);
	auth_free(a);
	CHECK_INT_EQ(r, AUTH_ERROR);
	CHECK_INT_EQ(st.sessions, 0);
	CHECK_STR_EQ(out.token, "");
}

TEST(auth_authorize_and_cookie)
{
	struct auth_officer o = { "ayu", "officer:ayu", ROLE_BIT(ROLE_ADJUDICATOR) };
	struct err e = ERR_INIT;
	CHECK_INT_EQ(auth_authorize(&o, ACT_APPROVE, &e), AUTH_OK);
	CHECK_INT_EQ(auth_authorize(&o, ACT_ENROL_PHOTO, &e), AUTH_FORBIDDEN);
	struct buf b;
	buf_init(&b, 256);
	auth_cookie(&b, "TOKEN", 1);
	CHECK_STR_EQ(buf_str(&b), "paspor_session=TOKEN; HttpOnly; Secure; SameSite=Strict; Path=/");
	buf_reset(&b);
	auth_cookie(&b, NULL, 0);
	CHECK_STR_EQ(buf_str(&b), "paspor_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
	buf_release(&b);
}

/* ---- officers on a real node ---- */

TEST(officers_backend_on_node)
{
	struct err e = ERR_INIT;
	char dir[512], kek_path[512];
	snprintf(dir, sizeof dir, "%s/node", test_tmpdir());
	snprintf(kek_path, sizeof kek_path, "%s/kek", test_tmpdir());
	struct kek_source kek = { 0 };
	kek.key_file = kek_path;
	CHECK(officers_register_kinds() == 0);
	CHECK(keys_make_kek_file(kek_path, &e) == 0);
	CHECK(node_create(dir, "officers.test", "Officers Test", &kek, &e) == 0);
	struct node n;
	struct node_opts no = { 0 };
	no.kek = &kek;
	CHECK(node_open(&n, dir, &no, &e) == 0);
	struct writer *w = NULL;
	CHECK(writer_start(&w, &n, &e) == 0);

	struct auth_config c;
	test_config(&c);
	c.now_ms = NULL; /* the writer stamps real time; TOTP uses it too */
	struct auth *hasher = NULL;
	CHECK(auth_new(&hasher, &c, NULL, &e) == 0);
	char hash[AUTH_HASH_MAX], secret[AUTH_TOTP_SECRET_MAX + 1];
	CHECK(auth_password_hash(hasher, GOOD_PW, hash, &e) == 0);
	auth_free(hasher);
	CHECK(auth_totp_new_secret(secret, &e) == 0);
	/* as `paspor office user` runs them: unchecked, through the writer */
	struct officer_op op1 = { { "cli:test", NULL, WF_OK, 0 }, "ayu", 0,
				  ROLE_BIT(ROLE_ADJUDICATOR), "Ayu", hash, secret, NULL };
	int add1 = writer_submit(w, officer_add, &op1, NULL, &e);
	struct err dup = ERR_INIT;
	struct officer_op op2 = { { "cli:test", NULL, WF_OK, 0 }, "ayu", 0,
				  ROLE_BIT(ROLE_REGISTRAR), NULL, hash, NULL, NULL };
	int add2 = writer_submit(w, officer_add, &op2, NULL, &dup);

	char db_path[600];
	snprintf(db_path, sizeof db_path, "%s/paspor.db", dir);
	struct officers_reader r;
	CHECK(officers_reader_open(&r, db_path, n.keys.data_key, &e) == 0);
	struct officers_backend ob = { &r, w };
	struct auth_backend b = officers_auth_backend(&ob);
	struct auth *a = NULL;
	CHECK(auth_new(&a, &c, &b, &e) == 0);
	struct auth_record rec;
	int found = officers_lookup(&r, "ayu", &rec, &e);
	int missing = officers_lookup(&r, "nobody", &rec, NULL);
	char code[7];
	auth_totp_code(secret, time(NULL), code, &e);
	struct auth_session_out out;
	enum auth_result lr = auth_login(a, "ayu", GOOD_PW, code, "127.0.0.1", &out, &e);
	struct err le = ERR_INIT;
	officers_lookup(&r, "ayu", &rec, &le);
	int64_t last_step = rec.totp_last_step;
	struct officer_op off = { { "officer:admin", NULL, WF_OK, 0 }, "ayu", 0, 0, NULL, NULL,
				  NULL, "left the office" };
	int dis = writer_submit(w, officer_disable, &off, NULL, &e);
	auth_revoke_officer(a, "ayu");
	enum auth_result after = auth_session_check(a, out.token, NULL, NULL, &e);
	auth_totp_code(secret, time(NULL) + 30, code, &e);
	struct auth_session_out out2;
	enum auth_result lr2 = auth_login(a, "ayu", GOOD_PW, code, "127.0.0.1", &out2, &e);
	/* the API's writer operations check their preconditions in the transaction */
	struct officer_op chk = { { "officer:admin", NULL, WF_OK, 0 }, "ayu", 1, 0, NULL, NULL,
				  NULL, NULL };
	struct err ce = ERR_INIT;
	int redisable = writer_submit(w, officer_disable, &chk, NULL, &ce);
	enum wf_reason redisable_why = chk.hdr.reason;
	int enable = writer_submit(w, officer_enable, &chk, NULL, &e);
	uint64_t enable_seq = chk.hdr.seq;
	chk.roles = ROLE_BIT(ROLE_ADJUDICATOR);
	chk.password_hash = hash;
	int readd = writer_submit(w, officer_add, &chk, NULL, &ce);
	enum wf_reason readd_why = chk.hdr.reason;
	struct officer_op ghost = { { "officer:admin", NULL, WF_OK, 0 }, "ghost", 1, 0, NULL,
				    NULL, NULL, NULL };
	int ghost_rc = writer_submit(w, officer_revoke_sessions, &ghost, NULL, &ce);
	auth_free(a);
	officers_reader_close(&r);
	writer_stop(w);
	/* neither the password nor the TOTP secret is in the database (or its WAL) in clear */
	int clear = 0;
	for (int i = 0; i < 2; i++) {
		char path[640];
		snprintf(path, sizeof path, "%s%s", db_path, i ? "-wal" : "");
		struct buf file;
		buf_init(&file, (size_t)64 << 20);
		if (fs_read_file(path, &file, &e) == 0 && file.len)
			clear |= memmem(file.data, file.len, GOOD_PW, strlen(GOOD_PW)) != NULL ||
				 memmem(file.data, file.len, secret, strlen(secret)) != NULL;
		buf_release(&file);
	}
	node_close(&n);

	CHECK_INT_EQ(add1, 0);
	CHECK_INT_EQ(add2, -1);
	CHECK_INT_EQ(dup.code, ERR_INPUT);
	CHECK(strstr(dup.msg, "already exists") != NULL);
	CHECK_INT_EQ(found, 1);
	CHECK_INT_EQ(missing, 0);
	CHECK_INT_EQ(lr, AUTH_OK);
	CHECK_STR_EQ(out.officer.username, "ayu");
	CHECK(last_step >= time(NULL) / 30 - 2);
	CHECK_INT_EQ(dis, 0);
	CHECK_INT_EQ(after, AUTH_DENIED);
	CHECK_INT_EQ(lr2, AUTH_DENIED); /* disabled */
	CHECK(!clear);
	CHECK_INT_EQ(redisable, -1);
	CHECK_INT_EQ(redisable_why, WF_INVALID_STATE);
	CHECK_INT_EQ(enable, 0);
	CHECK(enable_seq > 0);
	CHECK_INT_EQ(readd, -1);
	CHECK_INT_EQ(readd_why, WF_OFFICER_EXISTS);
	CHECK_INT_EQ(ghost_rc, -1);
	CHECK_INT_EQ(ghost.hdr.reason, WF_NO_OFFICER);
}
