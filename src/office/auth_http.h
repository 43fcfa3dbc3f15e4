/*
 * auth_http — the glue between office/auth (no HTTP) and util/http (the server core):
 * the authorize hook run before every non-anonymous route, and the session routes.
 *
 * Wiring (office/server.c; docs/AUTH.md "HTTP"):
 *   struct officers_reader rd;   officers_reader_open(&rd, n->db_path, n->keys.data_key, e);
 *   struct officers_backend ob = { &rd, writer };
 *   struct auth_backend ab = officers_auth_backend(&ob);
 *   auth_new(&auth, NULL, &ab, e);
 *   opts.authorize = auth_http_authorize; opts.auth_release = auth_http_release;
 *   opts.auth_cls = auth;
 * and give each officer route the roles that may call it as its role_mask:
 *   roles_action_mask(ACT_APPROVE) (a mask of ROLE_BIT(enum role), office/roles.h).
 * The session routes (their handlers get the auth through a one-line wrapper):
 *   POST   /api/v1/session  anonymous, JSON {"username","password","totp"?} → 200
 *          {"username","roles":[..],"csrf_token","expires"} + Set-Cookie
 *   GET    /api/v1/session  any role: who am I (the same JSON without csrf_token)
 *   DELETE /api/v1/session  any role: logout, clears the cookie
 *
 * auth_http_authorize reads the session cookie (AUTH_COOKIE_NAME), requires the
 * X-CSRF-Token header on every method but GET and HEAD, checks the officer's roles
 * against route->role_mask, and sets req->auth to a copy of struct auth_officer (freed
 * by auth_http_release). Problems: 401 unauthorized, 403 forbidden or csrf, 429
 * too-many-requests (with Retry-After), 503 unavailable.
 */
#ifndef PASPOR_OFFICE_AUTH_HTTP_H
#define PASPOR_OFFICE_AUTH_HTTP_H

#include "office/auth.h"
#include "util/http.h"

int auth_http_authorize(void *cls, struct http_req *req, const struct http_route *route,
			struct http_resp *resp);
void auth_http_release(void *cls, void *auth);

/* The officer behind the request (set by auth_http_authorize), or NULL. */
const struct auth_officer *auth_http_officer(const struct http_req *req);

/* tls: the officers' listener serves HTTPS (adds Secure to the cookie). */
int auth_http_login(struct auth *a, int tls, struct http_req *req, struct http_resp *resp);
int auth_http_whoami(struct http_req *req, struct http_resp *resp);
int auth_http_logout(struct auth *a, int tls, struct http_req *req, struct http_resp *resp);

#endif
