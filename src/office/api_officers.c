/*
 * api_officers — the office admin's officer routes (docs/API.md "Officers", docs/AUTH.md
 * "Managing officers while the server runs", issue 13 item 5): list and read officers,
 * add one, disable and enable, reset the password or the TOTP secret, change roles,
 * revoke every session. All need users.manage (the office admin).
 *
 * The writes are rows of the office's operation table (office/ops.c ops_officers,
 * served by ops_handle): each is one officer.* event appended by an operation of
 * office/officers.h whose preconditions (the officer exists, is not already disabled …)
 * are checked inside the writer's transaction against the officers projection, so two
 * admins racing cannot both pass; this file keeps their hooks (roles, new secrets, the
 * answers) and the read routes. Once the event is durable the running server's sessions
 * follow at once: disable, password and TOTP resets and revocations destroy the
 * officer's sessions (auth_revoke_officer), a role change gives the live sessions the
 * new roles (auth_set_roles). An admin cannot act on their own account here (403
 * separation-of-duties, OP_OFFICER): a stolen admin session can neither keep itself
 * alive by resetting the admin's own credentials nor raise its own roles.
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
#include "office/ops.h"
#include "util/alloc.h"
#include "util/log.h"

#define TOTP_ISSUER "Paspor"
#define NEW_PASSWORD_BYTES 18 /* base64url: 24 characters, 144 random bits */
#define PASSWORD_LEN sodium_base64_ENCODED_LEN(NEW_PASSWORD_BYTES, \
					       sodium_base64_VARIANT_URLSAFE_NO_PADDING)

/* The {username} parameter of a read (404 when malformed: no such officer). */
static int target(struct http_req *req, struct http_resp *resp, const char **user)
{
	if (!auth_http_officer(req))
		return http_problem(req, resp, HTTP_PROBLEM_UNAUTHORIZED, "not logged in");
	return api_username_param(req, resp, "username", user);
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
static int new_password(struct http_req *req, struct http_resp *resp, char pw[PASSWORD_LEN],
			char hash[AUTH_HASH_MAX])
{
	struct office_server *s = req->app;
	uint8_t raw[NEW_PASSWORD_BYTES];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(pw, PASSWORD_LEN, raw, sizeof raw,
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
	const char *user = NULL;
	json_t *list = NULL;
	if ((one && target(req, resp, &user) < 0) ||
	    api_read(req, resp, officers_read_json, user, &list) < 0)
		return -1;
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

/* ---- the hooks of the write rows (office/ops.c ops_officers) ---- */

/* The secrets a request makes, wiped when it ends (ops_officer_release). */
struct officer_secrets {
	char pw[PASSWORD_LEN];
	char hash[AUTH_HASH_MAX];
	char secret[AUTH_TOTP_SECRET_MAX + 1];
};

static struct officer_secrets *secrets(struct ops_call *c)
{
	c->hold = mem_calloc(1, sizeof(struct officer_secrets));
	if (!c->hold)
		http_problem(c->req, c->resp, HTTP_PROBLEM_INTERNAL, "out of memory");
	return c->hold;
}

void ops_officer_release(struct ops_call *c)
{
	if (c->hold)
		sodium_memzero(c->hold, sizeof(struct officer_secrets));
	mem_free(c->hold);
}

/* POST /api/v1/officers {username, roles, name?}: the roles, the username's form, the
 * TOTP secret when a role needs one, the initial password */
int ops_officer_add_check(struct ops_call *c)
{
	struct officer_op *op = c->op;
	if (roles_field(c->req, c->resp, c->body, &op->roles) < 0)
		return -1;
	if (!auth_username_valid(op->username))
		return http_problem(c->req, c->resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'username' must be [a-z][a-z0-9._-]{0,31}");
	struct officer_secrets *h = secrets(c);
	if (!h)
		return -1;
	struct err e = ERR_INIT;
	if ((op->roles & ROLES_NEED_TOTP) && auth_totp_new_secret(h->secret, &e) < 0)
		return api_wf_problem(c->req, c->resp, WF_OK, &e);
	if (new_password(c->req, c->resp, h->pw, h->hash) < 0)
		return -1;
	op->password_hash = h->hash;
	op->totp_secret = h->secret[0] ? h->secret : NULL;
	return 0;
}

/* 201 with the initial password (and the TOTP secret when a role needs one), shown
 * once */
int ops_officer_add_reply(struct ops_call *c)
{
	const struct officer_op *op = c->op;
	const struct officer_secrets *h = c->hold;
	const char *name = op->name ? op->name : op->username;
	json_t *reply = json_pack("{s:s, s:s, s:o, s:s, s:s, s:I}", "username", op->username,
				  "name", name, "roles", officers_roles_json(op->roles), "state",
				  c->row->state, "password", h->pw, "seq",
				  (json_int_t)op->hdr.seq);
	if (reply && h->secret[0])
		add_totp(reply, op->username, h->secret);
	return reply_secret(c->resp, 201, reply);
}

/* …/disable, …/enable, DELETE …/sessions: {username, event, seq, state?,
 * sessions_revoked?} (n < 0: no sessions revoked) */
static int event_reply(struct ops_call *c, long long n)
{
	const struct officer_op *op = c->op;
	json_t *reply = json_pack("{s:s, s:s, s:I}", "username", op->username, "event",
				  c->row->event, "seq", (json_int_t)op->hdr.seq);
	if (reply && c->row->state)
		json_object_set_new(reply, "state", json_string(c->row->state));
	if (reply && n >= 0)
		json_object_set_new(reply, "sessions_revoked", json_integer((json_int_t)n));
	return api_reply(c->resp, 200, reply);
}

int ops_officer_event_reply(struct ops_call *c)
{
	return event_reply(c, -1);
}

/* the officer's sessions end at once */
int ops_officer_revoke_reply(struct ops_call *c)
{
	const struct officer_op *op = c->op;
	struct office_server *s = c->req->app;
	return event_reply(c, (long long)auth_revoke_officer(office_server_auth(s), op->username));
}

/* POST …/password {} and POST …/totp {}: a new password or TOTP secret, shown once in
 * the answer; the officer's sessions end */
int ops_secret_check(struct ops_call *c)
{
	struct officer_op *op = c->op;
	struct officer_secrets *h = secrets(c);
	if (!h)
		return -1;
	struct err e = ERR_INIT;
	if (c->row->writer == officer_reset_totp) {
		if (auth_totp_new_secret(h->secret, &e) < 0)
			return api_wf_problem(c->req, c->resp, WF_OK, &e);
		op->totp_secret = h->secret;
	} else {
		if (new_password(c->req, c->resp, h->pw, h->hash) < 0)
			return -1;
		op->password_hash = h->hash;
	}
	return 0;
}

/* {username, password?, sessions_revoked, seq, totp_secret?, totp_uri?} */
int ops_secret_reply(struct ops_call *c)
{
	const struct officer_op *op = c->op;
	const struct officer_secrets *h = c->hold;
	struct office_server *s = c->req->app;
	size_t n = auth_revoke_officer(office_server_auth(s), op->username);
	json_t *reply = json_pack("{s:s}", "username", op->username);
	if (reply && h->pw[0])
		json_object_set_new(reply, "password", json_string(h->pw));
	if (reply) {
		json_object_set_new(reply, "sessions_revoked", json_integer((json_int_t)n));
		json_object_set_new(reply, "seq", json_integer((json_int_t)op->hdr.seq));
	}
	if (reply && h->secret[0])
		add_totp(reply, op->username, h->secret);
	return reply_secret(c->resp, 200, reply);
}

/* PUT …/roles {roles}: effective at once in the officer's live sessions */
int ops_roles_check(struct ops_call *c)
{
	struct officer_op *op = c->op;
	return roles_field(c->req, c->resp, c->body, &op->roles);
}

int ops_roles_reply(struct ops_call *c)
{
	const struct officer_op *op = c->op;
	struct office_server *s = c->req->app;
	size_t n = auth_set_roles(office_server_auth(s), op->username, op->roles);
	return api_reply(c->resp, 200, json_pack("{s:s, s:o, s:I, s:I}", "username",
						 op->username, "roles",
						 officers_roles_json(op->roles), "sessions_updated",
						 (json_int_t)n, "seq", (json_int_t)op->hdr.seq));
}

/* the write routes of ops_officers in their places (the route order as it was) */
const struct api_route api_officer_read_routes[] = {
	{ "GET", "/api/v1/officers", route_list, 0, ACT_USERS_MANAGE, 0, NULL },
	OPS_ROUTE("POST", "/api/v1/officers"),
	{ "GET", "/api/v1/officers/{username}", route_get, 0, ACT_USERS_MANAGE, 0, NULL },
	OPS_ROUTE("POST", "/api/v1/officers/{username}/disable"),
	OPS_ROUTE("POST", "/api/v1/officers/{username}/enable"),
	OPS_ROUTE("POST", "/api/v1/officers/{username}/password"),
	OPS_ROUTE("POST", "/api/v1/officers/{username}/totp"),
	OPS_ROUTE("PUT", "/api/v1/officers/{username}/roles"),
	OPS_ROUTE("DELETE", "/api/v1/officers/{username}/sessions"),
	{ NULL, NULL, NULL, 0, 0, 0, NULL },
};
