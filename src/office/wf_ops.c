/*
 * wf_ops — the workflow's operations, run by the writer thread inside a request's
 * savepoint (see workflow.h). Each reads its application's row once (wf_need: the
 * transition), runs its event's guard (wf_guard, wf_guards.c) where it checks its
 * rules, checks what only the writing of the event can (its inputs, the configuration:
 * quota and tariffs, the clock), then appends the event; the projection (wf_project.c)
 * takes the row and the guard's pass from the operation when the event carries what
 * the guard read, and runs the guard itself otherwise, so even a bug here cannot put
 * a forbidden step into the log (docs/WORKFLOW.md "Guards").
 */
#include "office/workflow.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/blobs.h"
#include "log/canon.h"
#include "log/db.h"
#include "office/calendar.h"
#include "office/config.h"
#include "office/photo.h"
#include "office/wf_internal.h"
#include "util/alloc.h"

int wf_actor_ok(struct wf_hdr *h, struct err *e)
{
	h->reason = WF_OK;
	const char *a = h->actor;
	if (a && strcmp(a, "applicant") == 0)
		return 0;
	if (a && strncmp(a, "officer:", 8) == 0 && a[8] && strlen(a) <= 200) {
		for (const char *p = a; *p; p++)
			if (*p <= 0x20 || *p >= 0x7F)
				goto bad;
		return 0;
	}
bad:
	return wf_refuse(h, WF_INVALID_INPUT, e, "actor must be 'applicant' or 'officer:<username>'");
}

/* A guard's refusal (e->reason) becomes the operation's; returns -1. */
static int refused(struct wf_hdr *h, struct err *e)
{
	if (e->code == ERR_INPUT && e->reason != WF_OK)
		h->reason = (enum wf_reason)e->reason;
	return -1;
}

int wf_need(struct writer_txn *tx, struct wf_hdr *h, const char *kind, struct wf_ev *x,
	    struct err *e)
{
	if (wf_actor_ok(h, e) < 0)
		return -1;
	if (!h->app || !appid_valid(h->app, 'A'))
		return wf_refuse(h, WF_NOT_FOUND, e, "no such application (malformed id)");
	if (wf_guard_begin(x, writer_txn_db(tx), h->actor, kind, 0, NULL, h->app, e) < 0)
		return refused(h, e);
	return 0;
}

int wf_guard(struct wf_hdr *h, struct wf_ev *x, uint16_t version, const json_t *b,
	     struct err *e)
{
	const struct wf_kind *k = wf_kind_find(x->kind, version);
	if (!k)
		return err_set(e, ERR_INTERNAL, "%s v%u is not an office kind", x->kind,
			       (unsigned)version);
	x->version = version;
	x->b = b;
	if (wf_guard_run(k->guard, x, e) < 0)
		return refused(h, e);
	x->guarded = version; /* the projection of the event need not run it again */
	return 0;
}

/* Appends kind v1 with body (taken: decref'd here) under subject "app:<app>" (or the
 * given subject); a refusal by the kind's guard (in the projection) sets h->reason. */
int wf_append(struct writer_txn *tx, struct wf_hdr *h, const struct wf_ev *x,
	      const char *kind, const char *subject, json_t *body, struct err *e)
{
	return wf_append_v(tx, h, x, kind, 1, subject, body, e);
}

int wf_append_v(struct writer_txn *tx, struct wf_hdr *h, const struct wf_ev *x,
		const char *kind, uint16_t version, const char *subject, json_t *body,
		struct err *e)
{
	if (!body) {
		return err_nomem(e);
	}
	char subj[64];
	if (!subject) {
		snprintf(subj, sizeof subj, "app:%s", h->app);
		subject = subj;
	}
	/* checked and serialised once by the writer, never re-parsed */
	wf_project_given(x);
	int rc = writer_txn_append_json(tx, h->actor, kind, version, subject, body, &h->seq, e);
	wf_project_given(NULL);
	json_decref(body);
	/* a refusal is classified where it is made (the kind's guard: e->reason); any
	 * other ERR_INPUT is the body's (the kind's schema) */
	if (rc < 0 && h->reason == WF_OK && e->code == ERR_INPUT)
		h->reason = e->reason != WF_OK ? (enum wf_reason)e->reason : WF_INVALID_INPUT;
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static json_t *app_body(const char *app)
{
	return json_pack("{s:s}", "app", app);
}

static void set_opt(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

static int quota_ok(struct writer_txn *tx, struct wf_hdr *h, const char *date,
		    const char *start, int quota, struct err *e)
{
	int taken = wf_query_slot_taken(writer_txn_db(tx), date, start, e);
	if (taken < 0)
		return -1;
	if (taken >= quota)
		return wf_refuse(h, WF_SLOT_FULL, e, "the slot %s %s is full (%d of %d places taken)",
			      date ? date : "?", start ? start : "?", taken, quota > 0 ? quota : 0);
	return 0;
}

int wf_book(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_book *o = arg;
	o->app_id[0] = '\0';
	if (wf_actor_ok(&o->hdr, e) < 0 ||
	    quota_ok(tx, &o->hdr, o->slot_date, o->slot_start, o->quota, e) < 0)
		return -1;
	if (appid_new('A', o->now_ms, o->app_id, e) < 0)
		return -1;
	o->hdr.app = o->app_id;
	json_t *b = json_object();
	const char *k[] = { "code_hash", "idref", "full_name", "birth_place", "birth_date", "sex",
			    "address", "phone", "email", "passport_type", "slot_date",
			    "slot_start", "channel", "reason", "previous_passport",
			    "police_report" };
	const char *v[] = { o->code_hash, o->idref, o->full_name, o->birth_place, o->birth_date,
			    o->sex, o->address, o->phone, o->email, o->passport_type,
			    o->slot_date, o->slot_start, o->channel, o->reason,
			    o->previous_passport, o->police_report };
	if (b) {
		json_object_set_new(b, "app", json_string(o->app_id));
		for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
			if (!v[i] && i < 14) {
				json_decref(b);
				o->app_id[0] = '\0';
				return wf_refuse(&o->hdr, WF_INVALID_INPUT, e,
					      "booking.created: field '%s' is missing", k[i]);
			}
			set_opt(b, k[i], v[i]);
		}
	}
	if (wf_append(tx, &o->hdr, NULL, "booking.created", NULL, b, e) < 0) {
		o->app_id[0] = '\0';
		return -1;
	}
	return 0;
}

/* An event of kind whose body is the application and one optional text (left out when
 * NULL): a cancellation's reason, an interview's notes. */
static int app_text(struct writer_txn *tx, struct wf_hdr *h, const char *kind, const char *name,
		    const char *text, struct err *e)
{
	struct wf_ev x;
	if (wf_need(tx, h, kind, &x, e) < 0)
		return -1;
	return wf_append(tx, h, &x, kind, NULL,
			 json_pack("{s:s, s:s?}", "app", h->app, name, text), e);
}

int wf_cancel(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_cancel *o = arg;
	return app_text(tx, &o->hdr, "booking.cancelled", "reason", o->reason, e);
}

int wf_reschedule(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_reschedule *o = arg;
	struct wf_ev x;
	if (wf_need(tx, &o->hdr, "booking.rescheduled", &x, e) < 0 ||
	    wf_guard(&o->hdr, &x, 1, NULL, e) < 0)
		return -1;
	if (o->slot_date && o->slot_start && strcmp(o->slot_date, x.a.slot_date) == 0 &&
	    strcmp(o->slot_start, x.a.slot_start) == 0)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "application %s is booked in that slot "
			      "already", o->hdr.app);
	if (quota_ok(tx, &o->hdr, o->slot_date, o->slot_start, o->quota, e) < 0)
		return -1;
	return wf_append(tx, &o->hdr, &x, "booking.rescheduled", NULL,
		      json_pack("{s:s, s:s?, s:s?}", "app", o->hdr.app, "slot_date", o->slot_date,
				"slot_start", o->slot_start), e);
}

static int app_only(struct writer_txn *tx, struct wf_hdr *h, const char *kind, struct err *e)
{
	struct wf_ev x;
	if (wf_need(tx, h, kind, &x, e) < 0)
		return -1;
	return wf_append(tx, h, &x, kind, NULL, app_body(h->app), e);
}

int wf_check_in(struct writer_txn *tx, void *arg, struct err *e)
{
	return app_only(tx, arg, "application.checked_in", e);
}

int wf_no_show(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_no_show *o = arg;
	struct wf_ev x;
	if (wf_need(tx, &o->hdr, "application.no_show", &x, e) < 0)
		return -1;
	if (!o->today || strlen(o->today) != 10)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "no-show needs today's date YYYY-MM-DD");
	if (strcmp(x.a.slot_date, o->today) >= 0)
		return wf_refuse(&o->hdr, WF_NOT_YET, e, "application %s is booked for %s: a no-show "
			      "can be recorded once that day is over", o->hdr.app, x.a.slot_date);
	return wf_append(tx, &o->hdr, &x, "application.no_show", NULL, app_body(o->hdr.app), e);
}

int wf_record_documents(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_documents *o = arg;
	struct wf_ev x;
	if (wf_need(tx, &o->hdr, "application.documents_checked", &x, e) < 0)
		return -1;
	if (!o->documents)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "documents are missing");
	return wf_append(tx, &o->hdr, &x, "application.documents_checked", NULL,
		      json_pack("{s:s, s:O}", "app", o->hdr.app, "documents", o->documents), e);
}

int wf_photo_prepare(struct wf_photo *o, const uint8_t *upload, size_t len, struct err *e)
{
	buf_init(&o->jpeg, PHOTO_OUT_MAX);
	struct photo_info info;
	if (photo_normalise(upload, upload ? len : 0, &o->jpeg, &info, e) < 0) {
		if (e->code == ERR_INPUT)
			o->hdr.reason = WF_INVALID_INPUT;
		buf_release(&o->jpeg);
		return -1;
	}
	o->width = info.out_width;
	o->height = info.out_height;
	return 0;
}

void wf_photo_release(struct wf_photo *o)
{
	buf_release(&o->jpeg);
}

int wf_enrol_photo(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_photo *o = arg;
	struct wf_ev x;
	if (wf_need(tx, &o->hdr, "application.photo_enrolled", &x, e) < 0)
		return -1;
	if (!o->jpeg.len)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "the photo was not prepared");
	struct blob_ref ref;
	if (writer_txn_put_blob(tx, o->jpeg.data, o->jpeg.len, &ref, e) < 0)
		return -1;
	snprintf(o->blob, sizeof o->blob, "%s", ref.name);
	return wf_append(tx, &o->hdr, &x, "application.photo_enrolled", NULL,
		      json_pack("{s:s, s:s, s:I, s:I, s:I}", "app", o->hdr.app, "blob", ref.name,
				"bytes", (json_int_t)o->jpeg.len, "height", (json_int_t)o->height,
				"width", (json_int_t)o->width), e);
}

static const char *image_format(const uint8_t *p, size_t n)
{
	if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return "jpeg";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "png";
	if (n >= 4 && p[0] == 0xFF && p[1] == 0xA0 && p[2] == 0xFF && p[3] == 0xA8)
		return "wsq";
	if (n >= 12 && memcmp(p, "\0\0\0\x0cjP  \r\n\x87\n", 12) == 0)
		return "jp2";
	return NULL;
}

int wf_enrol_fingerprint(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_fingerprint *o = arg;
	struct wf_ev x;
	if (wf_need(tx, &o->hdr, "application.fingerprint_enrolled", &x, e) < 0)
		return -1;
	if (o->position < 1 || o->position > WF_FINGERPRINTS_MAX)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "fingerprint position must be 1 to 10 "
			      "(ISO/IEC 19794-4 finger codes)");
	if (!o->image || o->len == 0 || o->len > WF_FINGERPRINT_MAX_BYTES)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "fingerprint image must be 1 to %zu "
			      "bytes", WF_FINGERPRINT_MAX_BYTES);
	const char *fmt = image_format(o->image, o->len);
	if (!fmt)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "fingerprint image is not JPEG, PNG, "
			      "WSQ or JPEG 2000");
	if (x.a.fingerprints >= WF_FINGERPRINTS_MAX) {
		/* all ten positions are taken: only a replacement would fit, and positions are
		 * 1..10, so this cannot happen unless the table is damaged */
		sqlite3_stmt *st;
		if (db_prepare(writer_txn_db(tx), "SELECT 1 FROM application_fingerprints WHERE"
			       " app = ? AND position = ?", &st, e) < 0)
			return -1;
		sqlite3_bind_text(st, 1, o->hdr.app, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, o->position);
		int found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (!found)
			return wf_refuse(&o->hdr, WF_TOO_MANY, e, "application %s has ten fingerprints "
				      "already", o->hdr.app);
	}
	struct blob_ref ref;
	if (writer_txn_put_blob(tx, o->image, o->len, &ref, e) < 0)
		return -1;
	snprintf(o->blob, sizeof o->blob, "%s", ref.name);
	return wf_append(tx, &o->hdr, &x, "application.fingerprint_enrolled", NULL,
		      json_pack("{s:s, s:s, s:I, s:s, s:i}", "app", o->hdr.app, "blob", ref.name,
				"bytes", (json_int_t)o->len, "format", fmt, "position", o->position),
		      e);
}

/* The words of a name, normalised (wf_name_norm) and sorted, as one string. */
static int name_words(const char *name, char **out, struct err *e)
{
	char *norm;
	if (wf_name_norm(name, &norm, e) < 0)
		return -1;
	size_t n = 0, len = strlen(norm);
	char *words[256];
	for (char *p = strtok(norm, " "); p && n < 256; p = strtok(NULL, " "))
		words[n++] = p;
	qsort(words, n, sizeof words[0], cmp_str);
	char *r = mem_alloc(len + 1);
	if (!r) {
		mem_free(norm);
		return err_nomem(e);
	}
	r[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(r, " ");
		strcat(r, words[i]);
	}
	mem_free(norm);
	*out = r;
	return 0;
}

/* s with white space trimmed and each run of it made one space, into out (640 bytes;
 * s is at most 400). */
static void one_spaced(const char *s, char out[640])
{
	size_t k = 0;
	int space = 0;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t') {
			space = k > 0;
			continue;
		}
		if (space)
			out[k++] = ' ';
		space = 0;
		out[k++] = *s;
	}
	out[k] = 0;
}

/* The split must use exactly the words of the booked (identity card) name: an enrolment
 * cannot change whose name goes into the passport, only where it is split. */
static int same_words(const char *full, const char *primary, const char *secondary,
		      int *same, struct err *e)
{
	char joined[1300];
	snprintf(joined, sizeof joined, "%s %s", primary, secondary ? secondary : "");
	char *a = NULL, *b = NULL;
	int rc = name_words(full, &a, e) < 0 || name_words(joined, &b, e) < 0 ? -1 : 0;
	if (rc == 0)
		*same = strcmp(a, b) == 0;
	mem_free(a);
	mem_free(b);
	return rc;
}

int wf_complete_enrolment(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_enrol *o = arg;
	struct wf_hdr *h = &o->hdr;
	o->mrz_name[0] = 0;
	o->truncated = 0;
	struct wf_ev x;
	if (wf_need(tx, h, "application.enrolled", &x, e) < 0 || wf_guard(h, &x, 2, NULL, e) < 0)
		return -1;
	/* one space between words, none around them: a run of spaces would put "<<", the
	 * separator of the two identifiers, inside one of them */
	char primary[640], secondary[640];
	if (!o->primary || strlen(o->primary) > 400 ||
	    (o->secondary && strlen(o->secondary) > 400))
		return wf_refuse(h, WF_INVALID_INPUT, e, "the primary identifier (1 to 100 characters) "
				 "and the secondary identifier (0 to 100) are needed");
	one_spaced(o->primary, primary);
	one_spaced(o->secondary ? o->secondary : "", secondary);
	const char *sec = secondary[0] ? secondary : NULL;
	if (!primary[0])
		return wf_refuse(h, WF_INVALID_INPUT, e, "the primary identifier is empty");
	int same = 0;
	if (same_words(x.a.full_name, primary, sec, &same, e) < 0) {
		h->reason = WF_INVALID_INPUT;
		return -1;
	}
	if (!same)
		return wf_refuse(h, WF_INVALID_INPUT, e, "the primary and secondary identifiers must "
				 "be the words of application %s's full name, split where the "
				 "applicant confirms", h->app);
	if (wf_mrz_name(primary, sec, o->mrz_name, &o->truncated, e) < 0) {
		h->reason = WF_INVALID_INPUT;
		return -1;
	}
	json_t *b = json_pack("{s:s, s:s}", "app", h->app, "primary_identifier", primary);
	if (b && sec && json_object_set_new(b, "secondary_identifier", json_string(sec)) < 0)
		json_decref(b), b = NULL;
	return wf_append_v(tx, h, &x, "application.enrolled", 2, NULL, b, e);
}

int wf_interview(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_interview *o = arg;
	return app_text(tx, &o->hdr, "application.interviewed", "notes", o->notes, e);
}

int wf_watchlist_check(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_watch_check *o = arg;
	struct wf_ev x;
	o->hit = 0;
	o->entries = 0;
	if (wf_need(tx, &o->hdr, "application.watchlist_checked", &x, e) < 0)
		return -1;
	sqlite3 *db = writer_txn_db(tx);
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT w.id FROM watchlist w, applications a WHERE a.id = ?1 AND"
			   " (w.idref = a.idref OR (w.name_norm = a.name_norm AND"
			   " w.birth_date = a.birth_date)) ORDER BY w.id LIMIT 100", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, o->hdr.app, -1, SQLITE_STATIC);
	json_t *ids = json_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(ids, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(ids);
		return db_error(db, e, "reading the watchlist");
	}
	json_t *age = json_null();
	if (db_prepare(db, "SELECT max(time_ms) FROM watchlist", &st, e) < 0) {
		json_decref(ids);
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		int64_t t = sqlite3_column_int64(st, 0);
		json_decref(age);
		age = json_integer(o->now_ms > t ? (o->now_ms - t) / 1000 : 0);
	}
	sqlite3_finalize(st);
	o->entries = json_array_size(ids);
	o->hit = o->entries > 0;
	if (!o->hit && o->override) {
		json_decref(ids);
		json_decref(age);
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "watchlist check of %s is clear: there is "
			      "nothing to override", o->hdr.app);
	}
	json_t *b = json_pack("{s:s, s:o, s:o, s:s}", "app", o->hdr.app, "entries", ids,
			      "list_age_s", age, "result", o->hit ? "hit" : "clear");
	if (b && o->override)
		json_object_set_new(b, "override", json_string(o->override));
	return wf_append(tx, &o->hdr, &x, "application.watchlist_checked", NULL, b, e);
}

int wf_decide(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_decision *o = arg;
	struct wf_ev x;
	const char *kind = o->approve ? "application.approved" : "application.rejected";
	if (wf_need(tx, &o->hdr, kind, &x, e) < 0 ||
	    wf_guard(&o->hdr, &x, o->approve ? 2 : 1, NULL, e) < 0)
		return -1;
	/* a rejection (v1, whose guard has not) is refused to an enroller of a photo or a
	 * fingerprint too, when written */
	if (!o->approve && wf_rule_decider(&x, 1, e) < 0)
		return refused(&o->hdr, e);
	const struct wf_app *a = &x.a;
	if (o->approve && !a->watchlist_result[0])
		return wf_refuse(&o->hdr, WF_WATCHLIST, e, "application %s has no watchlist check: run "
			      "one before approving", o->hdr.app);
	if (o->approve && strcmp(a->watchlist_result, "hit") == 0 && !a->has_watchlist_override)
		return wf_refuse(&o->hdr, WF_WATCHLIST, e, "application %s matched the watchlist: "
			      "approval needs a check with a recorded override", o->hdr.app);
	if (!o->reasons)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "%s: field 'reasons' is missing", kind);
	if (!o->approve)
		return wf_append(tx, &o->hdr, &x, kind, NULL,
				 json_pack("{s:s, s:O}", "app", o->hdr.app, "reasons", o->reasons),
				 e);
	/* what is approved includes the MRZ name field as it will be printed */
	char primary[640], secondary[640];
	if (wf_names_load(writer_txn_db(tx), o->hdr.app, primary, secondary, NULL, NULL, e) < 0) {
		o->hdr.reason = e->code == ERR_INPUT ? WF_INVALID_STATE : WF_OK;
		return -1;
	}
	if (wf_mrz_name(primary, secondary, o->mrz_name, &o->truncated, e) < 0)
		return wf_refuse(&o->hdr, WF_INVALID_STATE, e, "the enrolled name of application %s "
				 "makes no MRZ: it cannot be approved", o->hdr.app);
	return wf_append_v(tx, &o->hdr, &x, kind, 2, NULL,
			   json_pack("{s:s, s:s, s:O}", "app", o->hdr.app, "mrz_name", o->mrz_name,
				     "reasons", o->reasons), e);
}

int wf_record_payment(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_payment *o = arg;
	struct wf_ev x;
	if (wf_need(tx, &o->hdr, "application.payment_recorded", &x, e) < 0)
		return -1;
	const struct wf_app *a = &x.a;
	const char *service = o->service ? o->service : "regular";
	struct cal_date on;
	if (!o->billed_on || cal_date_parse(o->billed_on, &on) < 0)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "the billing date must be a date "
				 "YYYY-MM-DD");
	if (!o->today || strcmp(o->billed_on, o->today) > 0)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "the billing date %s is after today",
				 o->billed_on);
	int64_t fee;
	if (!o->cfg || config_tariff_fee(o->cfg, a->passport_type, service, &on, &fee) < 0)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "no tariff of service '%s' for "
				 "passport type '%s' is in force on %s", service, a->passport_type,
				 o->billed_on);
	if (o->amount != fee)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "the amount %lld is not the tariff "
				 "of %s (%s) on %s: %lld", (long long)o->amount, a->passport_type,
				 service, o->billed_on, (long long)fee);
	return wf_append_v(tx, &o->hdr, &x, "application.payment_recorded", 2, NULL,
			   json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s, s:s}", "amount",
				     (json_int_t)o->amount, "app", o->hdr.app, "billed_on",
				     o->billed_on, "billing_code", o->billing_code, "currency",
				     o->currency, "service", service, "status", "pending"), e);
}

int wf_confirm_payment(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_payment_confirm *o = arg;
	struct wf_ev x;
	if (wf_need(tx, &o->hdr, "application.payment_confirmed", &x, e) < 0)
		return -1;
	/* the event's body: the guard reads its billing code and NTPN */
	json_t *b = json_pack("{s:s, s:s?, s:s?}", "app", o->hdr.app, "billing_code",
			      o->billing_code, "ntpn", o->ntpn);
	if (!b)
		return err_nomem(e);
	if (wf_guard(&o->hdr, &x, 2, b, e) < 0) {
		json_decref(b);
		return -1;
	}
	if (!o->ntpn) {
		json_decref(b);
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "the NTPN (the state receipt number) "
				 "is missing");
	}
	/* its form (16 of 0-9 A-Z) is the event's schema's to check, once */
	return wf_append_v(tx, &o->hdr, &x, "application.payment_confirmed", 2, NULL, b, e);
}

int wf_watchlist_add(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_watch_add *o = arg;
	o->entry_id[0] = '\0';
	if (wf_actor_ok(&o->hdr, e) < 0)
		return -1;
	char id[APPID_LEN + 1];
	if (appid_new('W', o->now_ms, id, e) < 0)
		return -1;
	json_t *b = json_pack("{s:s, s:s?, s:s?}", "id", id, "reason", o->reason, "source",
			      o->source);
	if (b) {
		set_opt(b, "idref", o->idref);
		set_opt(b, "full_name", o->full_name);
		set_opt(b, "birth_date", o->birth_date);
	}
	char subject[40];
	snprintf(subject, sizeof subject, "watchlist:%s", id);
	if (wf_append(tx, &o->hdr, NULL, "watchlist.entry_added", subject, b, e) < 0)
		return -1;
	memcpy(o->entry_id, id, sizeof id);
	return 0;
}

int wf_view(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_view *o = arg;
	struct wf_ev x;
	if (wf_need(tx, &o->hdr, NULL, &x, e) < 0)
		return -1;
	return wf_append(tx, &o->hdr, &x, "application.viewed", NULL,
		      json_pack("{s:s, s:s?}", "app", o->hdr.app, "what", o->what), e);
}

int wf_run(struct writer *w, writer_fn fn, void *op, struct err *e)
{
	struct wf_hdr *h = op;
	h->reason = WF_OK;
	return writer_submit(w, fn, op, NULL, e);
}
