/*
 * api_officers — the office admin's officer routes (docs/API.md "Officers", docs/AUTH.md
 * "Managing officers while the server runs", issue 13 item 5): list and read officers,
 * add one, disable and enable, reset the password or the TOTP secret, change roles,
 * revoke every session. All need users.manage (the office admin).
 *
 * Each write is one officer.* event appended through office_server_submit; its
 * preconditions (the officer exists, is not already disabled …) are checked inside the
 * writer's transaction against the officers projection, so two admins racing cannot
 * both pass. Once the event is durable the running server's sessions follow at once:
 * disable, password and TOTP resets and revocations destroy the officer's sessions
 * (auth_revoke_officer), a role change gives the live sessions the new roles
 * (auth_set_roles). An admin cannot act on their own account here (403
 * separation-of-duties): a stolen admin session can neither keep itself alive by
 * resetting the admin's own credentials nor raise its own roles.
 *
 * Secrets: a new password (generated here) and a TOTP secret are answered once, in the
 * 201/200 body of the request that made them (Cache-Control: no-store), sealed in their
 * events, never logged; the password itself is never stored (only its Argon2id hash).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "office/api.h"
#include "office/auth_http.h"
#include "office/officers.h"
#include "util/log.h"

#define TOTP_ISSUER "Paspor"
#define NAME_MAX_BYTES 200
#define REASON_MAX_BYTES 500
#define NEW_PASSWORD_BYTES 18 /* base64url: 24 characters, 144 random bits */

/* One officer event, with its precondition checked in the writer's transaction. */
struct officer_op {
	const char *actor, *username, *kind;
	const json_t *body;      /* borrowed */
	int must_exist;          /* 0: must not exist (add) */
	int want_disabled;       /* -1 any, 0 must be enabled, 1 must be disabled */
	unsigned new_roles;      /* roles_changed: refused without a TOTP secret if needed */
	enum wf_reason reason;   /* out: WF_NO_OFFICER, WF_OFFICER_EXISTS, WF_INVALID_STATE,
				  * WF_NEEDS_TOTP */
	uint64_t seq;
};

static int officer_write(struct writer_txn *tx, void *arg, struct err *e)
{
	struct officer_op *op = arg;
	int disabled, has_totp;
	int exists = officers_state(writer_txn_db(tx), op->username, &disabled, &has_totp, e);
	if (exists < 0)
		return -1;
	if (op->must_exist && !exists)
		return refusal_set(&op->reason, WF_NO_OFFICER, e, "no officer '%s'", op->username);
	if (!op->must_exist && exists)
		return refusal_set(&op->reason, WF_OFFICER_EXISTS, e, "officer '%s' already exists",
				   op->username);
	if (op->want_disabled == 0 && disabled)
		return refusal_set(&op->reason, WF_INVALID_STATE, e,
				   "officer '%s' is already disabled", op->username);
	if (op->want_disabled == 1 && !disabled)
		return refusal_set(&op->reason, WF_INVALID_STATE, e, "officer '%s' is not disabled",
				   op->username);
	if ((op->new_roles & ROLES_NEED_TOTP) && !has_totp)
		return refusal_set(&op->reason, WF_NEEDS_TOTP, e, "these roles need a TOTP second "
				   "factor and officer '%s' has none: reset the TOTP first",
				   op->username);
	char subject[AUTH_ACTOR_MAX + 1];
	snprintf(subject, sizeof subject, "officer:%s", op->username);
	return writer_txn_append_json(tx, op->actor, op->kind, 1, subject, op->body, &op->seq, e);
}

/* Runs op; 0, or -1 with the problem written. */
static int officer_submit(struct http_req *req, struct http_resp *resp, struct officer_op *op)
{
	struct office_server *s = req->app;
	struct err e = ERR_INIT;
	op->reason = WF_OK;
	if (office_server_submit(s, officer_write, op, NULL, &e) == 0)
		return 0;
	return api_wf_problem(req, resp, op->reason, &e);
}

/* The {username} parameter (404 when malformed: no such officer) and the admin, who
 * may not act on their own account (403). */
static int target(struct http_req *req, struct http_resp *resp, const char **user,
		  const struct auth_officer **admin, int self_ok)
{
	*admin = auth_http_officer(req);
	if (!*admin)
		return http_problem(req, resp, HTTP_PROBLEM_UNAUTHORIZED, "not logged in");
	const char *u = http_req_param(req, "username");
	if (!u || !auth_username_valid(u))
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "no such officer");
	if (!self_ok && strcmp(u, (*admin)->username) == 0)
		return http_problem(req, resp, HTTP_PROBLEM_SEPARATION,
				    "separation of duties: an office admin cannot change their "
				    "own account (another admin, or the CLI, does)");
	*user = u;
	return 0;
}

/* The "roles" field: a non-empty list of distinct role names, into *mask. */
static int roles_field(struct http_req *req, struct http_resp *resp, const json_t *body,
		       unsigned *mask)
{
	const json_t *v = json_object_get(body, "roles");
	*mask = 0;
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > ROLE_COUNT)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'roles' must be a list of 1 to %d role names", ROLE_COUNT);
	size_t i;
	const json_t *r;
	json_array_foreach(v, i, r) {
		enum role role = ROLE_REGISTRAR;
		if (!json_is_string(r) || roles_parse(json_string_value(r), &role, NULL) < 0 ||
		    (*mask & ROLE_BIT(role)))
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "field 'roles' holds an unknown or repeated role");
		*mask |= ROLE_BIT(role);
	}
	return 0;
}

/* A new random password (AUTH_PASSWORD_MIN and more characters) and its hash. */
static int new_password(struct http_req *req, struct http_resp *resp,
			char pw[sodium_base64_ENCODED_LEN(NEW_PASSWORD_BYTES,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING)],
			char hash[AUTH_HASH_MAX])
{
	struct office_server *s = req->app;
	uint8_t raw[NEW_PASSWORD_BYTES];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(pw, sodium_base64_ENCODED_LEN(NEW_PASSWORD_BYTES,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING), raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	struct err e = ERR_INIT;
	if (auth_password_hash(office_server_auth(s), pw, hash, &e) < 0) {
		http_resp_header(resp, "Retry-After", "1");
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "%s", e.msg);
	}
	return 0;
}

/* Adds totp_secret and totp_uri to reply. */
static void add_totp(json_t *reply, const char *user, const char *secret)
{
	struct buf uri;
	buf_init(&uri, 512);
	if (auth_totp_uri(&uri, TOTP_ISSUER, user, secret) == 0) {
		json_object_set_new(reply, "totp_secret", json_string(secret));
		json_object_set_new(reply, "totp_uri", json_string(buf_str(&uri)));
	}
	if (uri.data)
		sodium_memzero(uri.data, uri.len);
	buf_release(&uri);
}

/* An answer carrying a secret: never cached. */
static int reply_secret(struct http_resp *resp, int status, json_t *v)
{
	http_resp_header(resp, "Cache-Control", "no-store");
	return api_reply(resp, status, v);
}

/* ---- reads ---- */

/* GET /api/v1/officers and GET /api/v1/officers/{username} (one == 1) */
static int read_officers(struct http_req *req, struct http_resp *resp, int one)
{
	struct office_server *s = req->app;
	const char *user = NULL;
	if (one) {
		const struct auth_officer *admin;
		if (target(req, resp, &user, &admin, 1) < 0)
			return -1;
	}
	sqlite3 *db = api_db_acquire(s);
	json_t *list;
	struct err e = ERR_INIT;
	int rc = officers_read_json(db, user, &list, &e);
	api_db_release(s, db);
	if (rc < 0)
		return api_wf_problem(req, resp, WF_OK, &e);
	if (!one)
		return api_reply(resp, 200, json_pack("{s:o}", "officers", list));
	if (json_array_size(list) == 0) {
		json_decref(list);
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "no such officer");
	}
	json_t *o = json_incref(json_array_get(list, 0));
	json_decref(list);
	return api_reply(resp, 200, o);
}

static int route_list(struct http_req *req, struct http_resp *resp)
{
	return read_officers(req, resp, 0);
}

static int route_get(struct http_req *req, struct http_resp *resp)
{
	return read_officers(req, resp, 1);
}

/* ---- writes ---- */

/* POST /api/v1/officers {username, roles, name?} → 201 with the initial password (and
 * the TOTP secret when a role needs one), shown once. */
static int route_add(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "username", "roles", "name", NULL };
	const char *actor = api_actor(req, resp);
	if (!actor)
		return -1;
	json_t *body;
	if (api_body(req, resp, 0, &body) < 0)
		return -1;
	const char *user = NULL, *name = NULL;
	unsigned roles = 0;
	int rc = -1;
	char pw[sodium_base64_ENCODED_LEN(NEW_PASSWORD_BYTES,
					  sodium_base64_VARIANT_URLSAFE_NO_PADDING)] = "";
	char hash[AUTH_HASH_MAX] = "", secret[AUTH_TOTP_SECRET_MAX + 1] = "";
	json_t *ev = NULL;
	if (api_only_keys(req, resp, body, keys) < 0 ||
	    api_str(req, resp, body, "username", 1, AUTH_USERNAME_MAX, &user) < 0 ||
	    api_str(req, resp, body, "name", 0, NAME_MAX_BYTES, &name) < 0 ||
	    roles_field(req, resp, body, &roles) < 0)
		goto out;
	if (!auth_username_valid(user)) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				  "field 'username' must be [a-z][a-z0-9._-]{0,31}");
		goto out;
	}
	struct err e = ERR_INIT;
	if (roles & ROLES_NEED_TOTP) {
		if (auth_totp_new_secret(secret, &e) < 0) {
			rc = api_wf_problem(req, resp, WF_OK, &e);
			goto out;
		}
	}
	if (new_password(req, resp, pw, hash) < 0)
		goto out;
	ev = json_pack("{s:s, s:s, s:s, s:o}", "username", user, "name", name ? name : user,
		       "password_hash", hash, "roles", officers_roles_json(roles));
	if (ev && secret[0])
		json_object_set_new(ev, "totp_secret", json_string(secret));
	if (!ev) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INTERNAL, "out of memory");
		goto out;
	}
	struct officer_op op = { actor, user, "officer.added", ev, 0, -1, 0, WF_OK, 0 };
	if (officer_submit(req, resp, &op) < 0)
		goto out;
	json_t *reply = json_pack("{s:s, s:s, s:o, s:s, s:s, s:I}", "username", user, "name",
				  name ? name : user, "roles", officers_roles_json(roles), "state",
				  "active", "password", pw, "seq", (json_int_t)op.seq);
	if (reply && secret[0])
		add_totp(reply, user, secret);
	rc = reply_secret(resp, 201, reply);
out:
	sodium_memzero(pw, sizeof pw);
	sodium_memzero(hash, sizeof hash);
	sodium_memzero(secret, sizeof secret);
	json_decref(ev); /* jansson frees its copies of the hash and secret unwiped */
	json_decref(body);
	return rc;
}

/* POST …/disable {reason?}, POST …/enable {reason?}, DELETE …/sessions: the events
 * whose body is {username, reason?}. */
static int simple_event(struct http_req *req, struct http_resp *resp, const char *kind,
			int want_disabled, int revoke, const char *state)
{
	static const char *const keys[] = { "reason", NULL };
	struct office_server *s = req->app;
	const struct auth_officer *admin;
	const char *user = NULL, *reason = NULL;
	if (target(req, resp, &user, &admin, 0) < 0)
		return -1;
	json_t *body;
	if (api_body(req, resp, 1, &body) < 0)
		return -1;
	int rc = -1;
	json_t *ev = NULL;
	if (api_only_keys(req, resp, body, keys) < 0 ||
	    api_str(req, resp, body, "reason", 0, REASON_MAX_BYTES, &reason) < 0)
		goto out;
	ev = json_pack("{s:s}", "username", user);
	if (ev && reason)
		json_object_set_new(ev, "reason", json_string(reason));
	if (!ev) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INTERNAL, "out of memory");
		goto out;
	}
	struct officer_op op = { admin->actor, user, kind, ev, 1, want_disabled, 0, WF_OK, 0 };
	if (officer_submit(req, resp, &op) < 0)
		goto out;
	size_t n = revoke ? auth_revoke_officer(office_server_auth(s), user) : 0;
	json_t *reply = json_pack("{s:s, s:s, s:I}", "username", user, "event", kind, "seq",
				  (json_int_t)op.seq);
	if (reply && state)
		json_object_set_new(reply, "state", json_string(state));
	if (reply && revoke)
		json_object_set_new(reply, "sessions_revoked", json_integer((json_int_t)n));
	rc = api_reply(resp, 200, reply);
out:
	json_decref(ev);
	json_decref(body);
	return rc;
}

static int route_disable(struct http_req *req, struct http_resp *resp)
{
	return simple_event(req, resp, "officer.disabled", 0, 1, "disabled");
}

static int route_enable(struct http_req *req, struct http_resp *resp)
{
	return simple_event(req, resp, "officer.enabled", 1, 0, "active");
}

static int route_revoke(struct http_req *req, struct http_resp *resp)
{
	return simple_event(req, resp, "officer.sessions_revoked", -1, 1, NULL);
}

/* target() of a route whose body is empty or {} (any field: 422). */
static int target_no_fields(struct http_req *req, struct http_resp *resp, const char **user,
			    const struct auth_officer **admin)
{
	static const char *const keys[] = { NULL };
	if (target(req, resp, user, admin, 0) < 0)
		return -1;
	json_t *body;
	if (api_body(req, resp, 1, &body) < 0)
		return -1;
	int rc = api_only_keys(req, resp, body, keys);
	json_decref(body);
	return rc;
}

/* POST …/password {} → 200 {password}: a new password, shown once; sessions revoked. */
static int route_password(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const struct auth_officer *admin;
	const char *user = NULL;
	if (target_no_fields(req, resp, &user, &admin) < 0)
		return -1;
	int rc = -1;
	char pw[sodium_base64_ENCODED_LEN(NEW_PASSWORD_BYTES,
					  sodium_base64_VARIANT_URLSAFE_NO_PADDING)] = "";
	char hash[AUTH_HASH_MAX] = "";
	json_t *ev = NULL;
	if (new_password(req, resp, pw, hash) < 0)
		goto out;
	ev = json_pack("{s:s, s:s, s:s}", "username", user, "password_hash", hash, "reason",
		       "set");
	if (!ev) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INTERNAL, "out of memory");
		goto out;
	}
	struct officer_op op = { admin->actor, user, "officer.password_changed", ev, 1, -1, 0,
				 WF_OK, 0 };
	if (officer_submit(req, resp, &op) < 0)
		goto out;
	size_t n = auth_revoke_officer(office_server_auth(s), user);
	rc = reply_secret(resp, 200, json_pack("{s:s, s:s, s:I, s:I}", "username", user,
					       "password", pw, "sessions_revoked", (json_int_t)n,
					       "seq", (json_int_t)op.seq));
out:
	sodium_memzero(pw, sizeof pw);
	sodium_memzero(hash, sizeof hash);
	json_decref(ev);
	return rc;
}

/* POST …/totp {} → 200 {totp_secret, totp_uri}: a new secret, shown once; sessions
 * revoked. */
static int route_totp(struct http_req *req, struct http_resp *resp)
{
	struct office_server *s = req->app;
	const struct auth_officer *admin;
	const char *user = NULL;
	if (target_no_fields(req, resp, &user, &admin) < 0)
		return -1;
	int rc = -1;
	char secret[AUTH_TOTP_SECRET_MAX + 1] = "";
	json_t *ev = NULL;
	struct err e = ERR_INIT;
	if (auth_totp_new_secret(secret, &e) < 0) {
		rc = api_wf_problem(req, resp, WF_OK, &e);
		goto out;
	}
	ev = json_pack("{s:s, s:s}", "username", user, "totp_secret", secret);
	if (!ev) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INTERNAL, "out of memory");
		goto out;
	}
	struct officer_op op = { admin->actor, user, "officer.totp_reset", ev, 1, -1, 0,
				 WF_OK, 0 };
	if (officer_submit(req, resp, &op) < 0)
		goto out;
	size_t n = auth_revoke_officer(office_server_auth(s), user);
	json_t *reply = json_pack("{s:s, s:I, s:I}", "username", user, "sessions_revoked",
				  (json_int_t)n, "seq", (json_int_t)op.seq);
	if (reply)
		add_totp(reply, user, secret);
	rc = reply_secret(resp, 200, reply);
out:
	sodium_memzero(secret, sizeof secret);
	json_decref(ev);
	return rc;
}

/* PUT …/roles {roles} → 200: effective at once in the officer's live sessions. */
static int route_roles(struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { "roles", NULL };
	struct office_server *s = req->app;
	const struct auth_officer *admin;
	const char *user = NULL;
	if (target(req, resp, &user, &admin, 0) < 0)
		return -1;
	json_t *body;
	if (api_body(req, resp, 0, &body) < 0)
		return -1;
	unsigned roles = 0;
	int rc = -1;
	json_t *ev = NULL;
	if (api_only_keys(req, resp, body, keys) < 0 || roles_field(req, resp, body, &roles) < 0)
		goto out;
	ev = json_pack("{s:s, s:o}", "username", user, "roles", officers_roles_json(roles));
	if (!ev) {
		rc = http_problem(req, resp, HTTP_PROBLEM_INTERNAL, "out of memory");
		goto out;
	}
	struct officer_op op = { admin->actor, user, "officer.roles_changed", ev, 1, -1, roles,
				 WF_OK, 0 };
	if (officer_submit(req, resp, &op) < 0)
		goto out;
	size_t n = auth_set_roles(office_server_auth(s), user, roles);
	rc = api_reply(resp, 200, json_pack("{s:s, s:o, s:I, s:I}", "username", user, "roles",
					    officers_roles_json(roles), "sessions_updated",
					    (json_int_t)n, "seq", (json_int_t)op.seq));
out:
	json_decref(ev);
	json_decref(body);
	return rc;
}

const struct api_route api_officer_routes[] = {
	{ "GET", "/api/v1/officers", route_list, 0, ACT_USERS_MANAGE, 0, NULL },
	{ "POST", "/api/v1/officers", route_add, 0, ACT_USERS_MANAGE, 0, HTTP_JSON_ONLY },
	{ "GET", "/api/v1/officers/{username}", route_get, 0, ACT_USERS_MANAGE, 0, NULL },
	{ "POST", "/api/v1/officers/{username}/disable", route_disable, 0, ACT_USERS_MANAGE, 0,
	  HTTP_JSON_ONLY },
	{ "POST", "/api/v1/officers/{username}/enable", route_enable, 0, ACT_USERS_MANAGE, 0,
	  HTTP_JSON_ONLY },
	{ "POST", "/api/v1/officers/{username}/password", route_password, 0, ACT_USERS_MANAGE, 0,
	  HTTP_JSON_ONLY },
	{ "POST", "/api/v1/officers/{username}/totp", route_totp, 0, ACT_USERS_MANAGE, 0,
	  HTTP_JSON_ONLY },
	{ "PUT", "/api/v1/officers/{username}/roles", route_roles, 0, ACT_USERS_MANAGE, 0,
	  HTTP_JSON_ONLY },
	{ "DELETE", "/api/v1/officers/{username}/sessions", route_revoke, 0, ACT_USERS_MANAGE, 0,
	  HTTP_JSON_ONLY },
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
