/*
 * api — shared helpers of the office API modules (see api.h).
 */
#include "office/api.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "office/appid.h"
#include "office/auth_http.h"
#include "office/auth.h"
#include "office/bookcode.h"
#include "office/booklets.h"
#include "office/nik.h"
#include "office/ratelimit.h"
#include "office/schema.h"
#include "util/log.h"

int api_only_keys(struct http_req *req, struct http_resp *resp, const json_t *obj,
		  const char *const *allowed)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)obj, k, v) {
		int known = 0;
		for (size_t i = 0; allowed[i] && !known; i++)
			known = strcmp(k, allowed[i]) == 0;
		if (!known) {
			struct err e = ERR_INIT;
			schema_unknown_key(k, SCHEMA_API, NULL, &e);
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "%s", e.msg);
		}
	}
	return 0;
}

/* A present field against its row, with the API's texts (office/schema.h T_STR, T_INT64:
 * one place says what a string or an integer field of the API may hold). */
static int api_field(struct http_req *req, struct http_resp *resp, const struct field *f,
		     const json_t *v)
{
	struct err e = ERR_INIT;
	if (schema_field_check(f, v, SCHEMA_API, NULL, &e) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "%s", e.msg);
	return 0;
}

int api_str(struct http_req *req, struct http_resp *resp, const json_t *obj, const char *name,
	    int required, size_t max, const char **out)
{
	*out = NULL;
	json_t *v = json_object_get(obj, name);
	if (!v || json_is_null(v)) {
		if (required)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "field '%s' is missing", name);
		return 0;
	}
	const struct field f = REQ(name, T_STR, 1, (long long)max);
	if (api_field(req, resp, &f, v) < 0)
		return -1;
	*out = json_string_value(v);
	return 0;
}

int api_int(struct http_req *req, struct http_resp *resp, const json_t *obj, const char *name,
	    int required, int64_t min, int64_t max, int64_t *out, int *present)
{
	json_t *v = json_object_get(obj, name);
	if (present)
		*present = 0;
	if (!v || json_is_null(v)) {
		if (required)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "field '%s' is missing", name);
		return 0;
	}
	const struct field f = REQ(name, T_INT64, (long long)min, (long long)max);
	if (api_field(req, resp, &f, v) < 0)
		return -1;
	*out = (int64_t)json_integer_value(v);
	if (present)
		*present = 1;
	return 0;
}

int api_body(struct http_req *req, struct http_resp *resp, int empty_ok, json_t **out)
{
	*out = NULL;
	if (empty_ok && req->body_len == 0) {
		*out = json_object();
		return *out ? 0 : http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "out of memory");
	}
	return http_req_json(req, resp, out);
}

int api_wf_problem(struct http_req *req, struct http_resp *resp, enum wf_reason reason,
		   const struct err *e)
{
	const char *msg = e->msg[0] ? e->msg : "refused";
	const struct refusal_info *ri = refusal_info(reason);
	if (ri) {
		if (ri->problem == HTTP_PROBLEM_UNAVAILABLE)
			log_warnx("request %s: %s", req->request_id, msg);
		switch (ri->detail) {
		case REFUSAL_FIXED:
			return http_problem(req, resp, ri->problem, "%s", ri->fixed);
		case REFUSAL_NAMED:
			return http_problem(req, resp, ri->problem, "%s: %s", ri->name, msg);
		case REFUSAL_MESSAGE:
			break;
		}
		return http_problem(req, resp, ri->problem, "%s", msg);
	}
	if (e->code == ERR_INPUT)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "%s", msg);
	if (e->code == ERR_NOMEM)
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "out of memory");
	log_warnx("request %s: %s", req->request_id, msg);
	return http_problem(req, resp, HTTP_PROBLEM_INTERNAL, NULL);
}

int api_reply(struct http_resp *resp, int status, json_t *v)
{
	if (!v)
		return err_nomem(&resp->err);
	int rc = http_resp_json(resp, status, v);
	json_decref(v);
	return rc;
}

int api_rate_limited(struct http_req *req, struct http_resp *resp, unsigned retry_after_s)
{
	char s[24];
	snprintf(s, sizeof s, "%u", retry_after_s ? retry_after_s : 1);
	http_resp_header(resp, "Retry-After", s);
	return http_problem(req, resp, HTTP_PROBLEM_RATE_LIMITED, "too many requests: retry "
			    "in %s s", s);
}

int api_take(struct http_req *req, struct http_resp *resp, enum office_limit l,
	     const char *key)
{
	struct ratelimit *rl = office_server_limit(req->app, l);
	if (!rl)
		return 0; /* lifted for load tests */
	unsigned retry = 0;
	if (ratelimit_take(rl, key, strlen(key), ratelimit_now_ms(), &retry))
		return 0;
	return api_rate_limited(req, resp, retry);
}

const char *api_actor(struct http_req *req, struct http_resp *resp)
{
	const struct auth_officer *o = auth_http_officer(req);
	if (!o) {
		http_problem(req, resp, HTTP_PROBLEM_UNAUTHORIZED, "not logged in");
		return NULL;
	}
	return o->actor;
}

int api_app_id(struct http_req *req, struct http_resp *resp, const char **out)
{
	const char *id = http_req_param(req, "id");
	if (!id || !appid_valid(id, 'A'))
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "no such application");
	*out = id;
	return 0;
}

int api_booklet_param(struct http_req *req, struct http_resp *resp, const char *name,
		      const char **out)
{
	const char *v = http_req_param(req, name);
	if (!v || !booklet_number_valid(v))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "'%s' must be a booklet number: one upper-case letter and "
				    "seven digits", name);
	*out = v;
	return 0;
}

int api_day_param(struct http_req *req, struct http_resp *resp, const char *name,
		  struct cal_date *d)
{
	const char *v = http_req_param(req, name);
	if (!v || cal_date_parse(v, d) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "the day in the path must be a date YYYY-MM-DD");
	return 0;
}

int api_username_param(struct http_req *req, struct http_resp *resp, const char *name,
		       const char **out)
{
	const char *v = http_req_param(req, name);
	if (!v || !auth_username_valid(v))
		return http_problem(req, resp, HTTP_PROBLEM_NOT_FOUND, "no such officer");
	*out = v;
	return 0;
}

int api_read(struct http_req *req, struct http_resp *resp, api_reader fn, const char *key,
	     json_t **out)
{
	struct office_server *s = req->app;
	struct err e = ERR_INIT;
	sqlite3 *db = api_db_acquire(s);
	int rc = fn(db, key, out, &e);
	api_db_release(s, db);
	return rc < 0 ? api_wf_problem(req, resp, WF_OK, &e) : rc;
}

int api_today(struct office_server *s, struct cal_date *date, int *minute)
{
	struct cal_local l;
	struct err e = ERR_INIT;
	if (calendar_local(api_now_ms(s), &l, &e) < 0)
		return -1;
	*date = l.date;
	if (minute)
		*minute = l.minute;
	return 0;
}

int api_code_hash(struct http_req *req, struct http_resp *resp, const char *field,
		  const char *code, char out[65])
{
	struct office_server *s = req->app;
	char canon[BOOKCODE_CANON_SIZE];
	size_t n = strlen(code);
	enum bookcode_status st = n > BOOKCODE_MAX_INPUT ? BOOKCODE_LENGTH
							 : bookcode_parse(code, n, canon);
	if (st != BOOKCODE_OK)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field '%s': %s", field,
				    bookcode_status_text(st));
	struct err e = ERR_INIT;
	if (bookcode_hash_hex(office_server_bookcode_key(s), canon, out, &e) < 0)
		return api_wf_problem(req, resp, WF_OK, &e);
	return 0;
}

int api_idref(struct http_req *req, struct http_resp *resp, const json_t *body,
	      char idref[IDREF_MAX], int *is_nik)
{
	const char *nik;
	if (api_str(req, resp, body, "nik", 0, 64, &nik) < 0)
		return -1;
	json_t *id = json_object_get(body, "identity");
	if (nik && id)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "fields 'nik' and 'identity' exclude each other");
	if (nik) {
		enum nik_status st = nik_parse(nik, strlen(nik), NULL);
		if (st != NIK_OK)
			return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
					    "field 'nik': %s", nik_status_text(st));
		snprintf(idref, IDREF_MAX, "%s", nik);
		*is_nik = 1;
		return 1;
	}
	if (!id)
		return 0;
	if (!json_is_object(id))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'identity' must be an object {type, state, number}");
	static const char *const keys[] = { "type", "state", "number", NULL };
	const char *t, *c, *n;
	if (api_only_keys(req, resp, id, keys) < 0 ||
	    api_str(req, resp, id, "type", 1, 8, &t) < 0 ||
	    api_str(req, resp, id, "state", 1, 8, &c) < 0 ||
	    api_str(req, resp, id, "number", 1, 64, &n) < 0)
		return -1;
	struct err e = ERR_INIT;
	if (nik_identity_ref(t, c, n, idref, &e) < 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD, "field 'identity': %s",
				    e.msg);
	*is_nik = 0;
	return 1;
}

int api_need_idref(struct http_req *req, struct http_resp *resp, const json_t *body,
		   char idref[IDREF_MAX], int *is_nik)
{
	int r = api_idref(req, resp, body, idref, is_nik);
	if (r == 0)
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'nik' (or 'identity') is missing");
	return r < 0 ? -1 : 0;
}

int api_witness(struct http_req *req, struct http_resp *resp, const json_t *body,
		unsigned roles, const char *roles_text, char out[AUTH_USERNAME_MAX + 1])
{
	const struct auth_officer *actor = auth_http_officer(req);
	static const char *const keys[] = { "username", "password", "totp", NULL };
	struct office_server *s = req->app;
	const json_t *w = json_object_get(body, "witness");
	if (!w || json_is_null(w))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'witness' is missing");
	if (!json_is_object(w))
		return http_problem(req, resp, HTTP_PROBLEM_INVALID_FIELD,
				    "field 'witness' must be an object {username, password, totp?}");
	const char *user = NULL, *pw = NULL, *totp = NULL;
	if (api_only_keys(req, resp, w, keys) < 0 ||
	    api_str(req, resp, w, "username", 1, AUTH_USERNAME_MAX, &user) < 0 ||
	    api_str(req, resp, w, "password", 1, AUTH_PASSWORD_MAX, &pw) < 0 ||
	    api_str(req, resp, w, "totp", 0, 16, &totp) < 0)
		return -1;
	if (strcmp(user, actor->username) == 0)
		return http_problem(req, resp, HTTP_PROBLEM_SEPARATION,
				    "the witness must be an officer other than you");
	struct auth_officer wo;
	struct err e = ERR_INIT;
	enum auth_result r = auth_verify_credentials(office_server_auth(s), user, pw, totp,
						     req->client_ip, &wo, &e);
	switch (r) {
	case AUTH_OK:
		break;
	case AUTH_DENIED: /* the session is fine: the witness is refused */
	case AUTH_FORBIDDEN:
		return http_problem(req, resp, HTTP_PROBLEM_FORBIDDEN, "witness: %s", e.msg);
	case AUTH_THROTTLED:
		return http_problem(req, resp, HTTP_PROBLEM_TOO_MANY_REQUESTS, "witness: %s",
				    e.msg);
	case AUTH_BUSY:
		http_resp_header(resp, "Retry-After", "1");
		return http_problem(req, resp, HTTP_PROBLEM_UNAVAILABLE, "witness: %s", e.msg);
	default:
		log_warnx("request %s: witness check: %s", req->request_id, e.msg);
		return http_problem(req, resp, HTTP_PROBLEM_INTERNAL, NULL);
	}
	if (strcmp(wo.username, actor->username) == 0)
		return http_problem(req, resp, HTTP_PROBLEM_SEPARATION,
				    "the witness must be an officer other than you");
	if (roles && !(wo.roles & roles))
		return http_problem(req, resp, HTTP_PROBLEM_FORBIDDEN, "the witness must be %s",
				    roles_text ? roles_text : "an officer of another role");
	snprintf(out, AUTH_USERNAME_MAX + 1, "%s", wo.username);
	return 0;
}
