/*
 * auth_http — authorize hook and session routes (see auth_http.h).
 */
#include "office/auth_http.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "util/alloc.h"

static enum http_problem problem_of(enum auth_result r, int csrf)
{
	switch (r) {
	case AUTH_DENIED: return HTTP_PROBLEM_UNAUTHORIZED;
	case AUTH_FORBIDDEN: return csrf ? HTTP_PROBLEM_CSRF : HTTP_PROBLEM_FORBIDDEN;
	case AUTH_THROTTLED: return HTTP_PROBLEM_TOO_MANY_REQUESTS;
	case AUTH_BUSY: return HTTP_PROBLEM_UNAVAILABLE;
	default: return HTTP_PROBLEM_INTERNAL;
	}
}

static int safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

int auth_http_authorize(void *cls, struct http_req *req, const struct http_route *route,
			struct http_resp *resp)
{
	struct auth *a = cls;
	const char *token = http_req_cookie(req, AUTH_COOKIE_NAME);
	const char *csrf = NULL;
	if (!safe_method(req->method)) {
		csrf = http_req_header(req, AUTH_CSRF_HEADER);
		if (!csrf)
			csrf = ""; /* missing: refused like a wrong one */
	}
	struct auth_officer o;
	struct err e = ERR_INIT;
	enum auth_result r = auth_session_check(a, token, csrf, &o, &e);
	if (r != AUTH_OK)
		return http_problem(req, resp, problem_of(r, 1), "%s", e.msg);
	if (!(o.roles & route->role_mask))
		return http_problem(req, resp, HTTP_PROBLEM_FORBIDDEN,
				    "your role does not allow this");
	struct auth_officer *copy = mem_alloc(sizeof *copy);
	if (!copy)
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "out of memory");
	*copy = o;
	req->auth = copy;
	return 0;
}

void auth_http_release(void *cls, void *auth)
{
	(void)cls;
	mem_free(auth);
}

const struct auth_officer *auth_http_officer(const struct http_req *req)
{
	return req->auth;
}

static json_t *officer_json(const struct auth_officer *o)
{
	json_t *roles = json_array();
	for (int i = 0; roles && i < ROLE_COUNT; i++)
		if (o->roles & ROLE_BIT(i))
			json_array_append_new(roles, json_string(roles_name((enum role)i)));
	return json_pack("{s:s, s:o}", "username", o->username, "roles", roles);
}

static int set_cookie(struct http_resp *resp, const char *token, int tls)
{
	struct buf c;
	buf_init(&c, 512);
	int rc = auth_cookie(&c, token, tls) == 0 ? http_resp_header(resp, "Set-Cookie",
								   buf_str(&c)) : -1;
	if (c.data)
		sodium_memzero(c.data, c.len);
	buf_release(&c);
	return rc;
}

int auth_http_login(struct auth *a, int tls, struct http_req *req, struct http_resp *resp)
{
	json_t *body;
	if (http_req_json(req, resp, &body) < 0)
		return -1;
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		if ((strcmp(k, "username") && strcmp(k, "password") && strcmp(k, "totp")) ||
		    !json_is_string(v)) {
			json_decref(body);
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "expected string fields username, password, totp");
		}
	}
	const char *user = json_string_value(json_object_get(body, "username"));
	const char *pw = json_string_value(json_object_get(body, "password"));
	const char *totp = json_string_value(json_object_get(body, "totp"));
	if (!user || !pw) {
		json_decref(body);
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "username and password are required");
	}
	struct auth_session_out out;
	struct err e = ERR_INIT;
	enum auth_result r = auth_login(a, user, pw, totp, req->client_ip, &out, &e);
	json_decref(body); /* jansson frees the password string unwiped: see docs/AUTH.md */
	if (r != AUTH_OK) {
		if (out.retry_after_s > 0) {
			char s[24];
			snprintf(s, sizeof s, "%lld", (long long)out.retry_after_s);
			http_resp_header(resp, "Retry-After", s);
		}
		return http_problem(req, resp, problem_of(r, 0), "%s", e.msg);
	}
	json_t *o = officer_json(&out.officer);
	if (o) {
		json_object_set_new(o, "csrf_token", json_string(out.csrf));
		json_object_set_new(o, "expires_ms", json_integer(out.expires_ms));
	}
	int rc = -1;
	if (o && set_cookie(resp, out.token, tls) == 0)
		rc = http_resp_json(resp, 200, o);
	json_decref(o);
	sodium_memzero(&out, sizeof out);
	if (rc < 0 && !resp->problem)
		return http_problem(req, resp, HTTP_PROBLEM_INTERNAL, NULL);
	return rc;
}

int auth_http_whoami(struct http_req *req, struct http_resp *resp)
{
	const struct auth_officer *o = auth_http_officer(req);
	if (!o)
		return http_problem(req, resp, HTTP_PROBLEM_UNAUTHORIZED, "not logged in");
	json_t *j = officer_json(o);
	int rc = j ? http_resp_json(resp, 200, j) : -1;
	json_decref(j);
	return rc;
}

int auth_http_logout(struct auth *a, int tls, struct http_req *req, struct http_resp *resp)
{
	const char *token = http_req_cookie(req, AUTH_COOKIE_NAME);
	if (token)
		auth_logout(a, token);
	set_cookie(resp, NULL, tls);
	resp->status = 204;
	return 0;
}
