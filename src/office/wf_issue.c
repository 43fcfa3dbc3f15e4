/*
 * wf_issue — the issuance operations of the workflow (workflow.h, "issuance"):
 * personalization (booklet, dates, MRZ, chip through the signer), the recorded result of
 * the quality check, spoil-and-redo and hand-over. Writer callbacks like wf_ops.c: the
 * application's row is read once (wf_need), the rules are their events' guards
 * (wf_guards.c, run here through wf_guard before the booklet, the signer or the spoil,
 * and again by the projection).
 */
#include "office/workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icao/lds.h"
#include "icao/mrz.h"
#include "log/blobs.h"
#include "log/db.h"
#include "log/kinds.h"
#include "office/booklets.h"
#include "office/calendar.h"
#include "office/config.h"
#include "office/wf_internal.h"
#include "signproto/client.h"

void wf_split_name(const char *full_name, char *surname, size_t ssize, char *given,
		   size_t gsize)
{
	size_t n = strlen(full_name);
	while (n > 0 && full_name[n - 1] == ' ')
		n--;
	size_t start = 0;
	while (start < n && full_name[start] == ' ')
		start++;
	size_t cut = n;
	while (cut > start && full_name[cut - 1] != ' ')
		cut--;
	snprintf(surname, ssize, "%.*s", (int)(n - cut), full_name + cut);
	size_t gend = cut;
	while (gend > start && full_name[gend - 1] == ' ')
		gend--;
	snprintf(given, gsize, "%.*s", (int)(gend - start), full_name + start);
}

int wf_expiry_date(const struct config *cfg, const char *issue, const char *birth,
		   char out[11])
{
	struct cal_date is;
	if (cal_date_parse(issue, &is) < 0 || strlen(birth) != 10)
		return -1;
	/* unknown parts: the latest date they could be (an adult only when surely one) */
	int by = birth[0] == 'X' ? is.year : atoi(birth);
	int bm = birth[5] == 'X' ? 12 : atoi(birth + 5);
	int bd = birth[8] == 'X' ? 31 : atoi(birth + 8);
	int age = is.year - by - (is.month < bm || (is.month == bm && is.day < bd));
	if (age < 0)
		age = 0;
	struct cal_date ex = { is.year + (int)config_validity_years(cfg, (unsigned)age), is.month,
			       is.day };
	if (ex.month == 2 && ex.day == 29 && !cal_date_valid(ex.year, 2, 29))
		ex.day = 28;
	cal_date_format(&ex, out);
	return 0;
}

/* A signer that answered and refused (ERR_VERIFY), or one that could not be asked. */
static enum wf_reason signer_reason(const struct err *se)
{
	return se->code == ERR_VERIFY ? WF_SIGNER_REFUSED : WF_SIGNER_UNAVAILABLE;
}

/* wf_personalize on the next booklet: takes it, makes the MRZ, checks the body, signs
 * (electronic) and appends. *signed_unrecorded = 1 when the signer refused the booklet
 * as signed already (the caller reports it; nothing is spoiled). */
static int personalize_on_next(struct writer_txn *tx, struct wf_personalize *o,
			       const struct wf_ev *x, int electronic, const char *surname,
			       const char *given, const char *approved, int *signed_unrecorded,
			       struct err *e)
{
	const struct wf_app *pp = &x->a;
	const struct config *cfg = o->cfg;
	struct booklet_take take = { { o->hdr.actor, NULL, WF_OK, 0 }, o->hdr.app, { 0 } };
	if (booklet_take_next(tx, &take, e) < 0) {
		if (take.hdr.reason == WF_NO_STOCK)
			o->hdr.reason = WF_NO_STOCK;
		else if (take.hdr.reason != WF_OK)
			o->hdr.reason = WF_INVALID_STATE;
		return -1;
	}
	memcpy(o->booklet, take.number, sizeof o->booklet);

	struct mrz_doc d;
	memset(&d, 0, sizeof d);
	strcpy(d.document_code, "P<");
	memcpy(d.issuing_state, cfg->issuance.issuing_state, 4);
	memcpy(d.nationality, cfg->issuance.issuing_state, 4);
	snprintf(d.surname, sizeof d.surname, "%s", surname);
	snprintf(d.given_names, sizeof d.given_names, "%s", given);
	snprintf(d.document_number, sizeof d.document_number, "%s", o->booklet);
	snprintf(d.birth_date, sizeof d.birth_date, "%s", pp->birth_date);
	d.sex = pp->sex[0];
	snprintf(d.expiry_date, sizeof d.expiry_date, "%s", o->expiry_date);
	if (mrz_make_td3(&d, o->mrz, e) < 0) {
		o->hdr.reason = WF_INVALID_INPUT;
		return -1;
	}
	if (strncmp(o->mrz + 5, approved, WF_MRZ_NAME_LEN) != 0)
		return wf_refuse(&o->hdr, WF_INVALID_STATE, e, "the MRZ name of application %s is not "
				 "the one approved", o->hdr.app);
	/* The body is checked before the signer is asked: once the signer has signed a
	 * booklet it will not sign it again, so nothing that can be known now may fail
	 * after the signature (docs/PERSONALIZATION.md). */
	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "app", o->hdr.app, "booklet",
				 o->booklet, "expiry_date", o->expiry_date, "issue_date",
				 o->issue_date, "mrz", o->mrz, "surname", surname);
	if (body && given[0] && json_object_set_new(body, "given_names", json_string(given)) < 0)
		json_decref(body), body = NULL;
	if (!body)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "the name of application %s is not "
				 "valid UTF-8", o->hdr.app);
	const struct kind_def *kind = kinds_find("application.personalized", 2);
	if (!kind || kinds_check(kind, body, e) < 0) {
		json_decref(body);
		o->hdr.reason = WF_INVALID_INPUT;
		return kind ? -1 : err_set(e, ERR_INTERNAL, "application.personalized not registered");
	}

	if (electronic) {
		/* the signer is given the data groups and the issue date and makes the
		 * security object itself (docs/SIGNER.md); status -1 until it answers */
		struct signer_client sc = { o->signer_socket, o->hdr.app, o->booklet, -1, { 0 },
					    o->issue_date };
		struct lds_dg_signer sg = { signer_client_sign_dgs, &sc };
		struct chip_input in = { o->mrz, o->photo, o->photo_len, NULL, &sg };
		struct chip_files cf;
		chip_files_init(&cf);
		struct err se = ERR_INIT;
		int rc = lds_make_chip(&in, &cf, &se);
		struct blob_ref ref;
		if (rc < 0) {
			/* not asked: bad input; signed but the EF.SOD does not cover what was
			 * sent: the signer is at fault (503); else its refusal or absence */
			o->hdr.reason = sc.status == -1 ? (se.code == ERR_INPUT ? WF_INVALID_INPUT
								      : WF_SIGNER_UNAVAILABLE)
				      : sc.status == PROTO_OK ? WF_SIGNER_UNAVAILABLE
				      : signer_reason(&se);
			/* a signature this office never recorded: reported, never spoiled here */
			*signed_unrecorded = sc.status == PROTO_REFUSED &&
				 strncmp(sc.reason, "booklet_signed:", 15) == 0;
			err_set(e, se.code, "%s", se.msg);
		} else {
			rc = writer_txn_put_blob(tx, cf.sod.data, cf.sod.len, &ref, e);
			if (rc == 0)
				memcpy(o->sod_blob, ref.name, sizeof o->sod_blob);
		}
		chip_files_release(&cf);
		if (rc == 0 && json_object_set_new(body, "sod_blob", json_string(o->sod_blob)) < 0)
			rc = err_nomem(e);
		if (rc < 0) {
			json_decref(body);
			return -1;
		}
	}
	/* the booklet taken and the SOD stored since wf_need wrote none of the workflow's
	 * tables: the projection takes the row (and the guard's pass) from x */
	return wf_append_v(tx, &o->hdr, x, "application.personalized", 2, NULL, body, e);
}

int wf_personalize(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_personalize *o = arg;
	o->booklet[0] = o->issue_date[0] = o->expiry_date[0] = o->mrz[0] = o->sod_blob[0] = 0;
	struct wf_ev x;
	if (wf_need(tx, &o->hdr, "application.personalized", &x, e) < 0)
		return -1;
	const struct wf_app *a = &x.a;
	const struct config *cfg = o->cfg;
	if (!cfg || !cfg->issuance.configured)
		return wf_refuse(&o->hdr, WF_NOT_CONFIGURED, e, "this office has no 'issuance' "
				 "section in its configuration: it cannot personalize");
	if (strcmp(a->payment_status, "confirmed") != 0 && !cfg->personalize_on_pending)
		return wf_refuse(&o->hdr, WF_PAYMENT_PENDING, e, "the payment of application %s is "
				 "'%s': it must be confirmed first", o->hdr.app, a->payment_status);
	sqlite3 *db = writer_txn_db(tx);
	if (wf_guard(&o->hdr, &x, 2, NULL, e) < 0)
		return -1;
	if (!o->photo || !o->photo_blob || strcmp(o->photo_blob, a->photo_blob) != 0)
		return wf_refuse(&o->hdr, WF_PHOTO_MISSING, e, "the photo given is not application "
				 "%s's enrolled photo", o->hdr.app);
	const struct config_passport_type *type = config_passport_type(cfg, a->passport_type);
	if (!type)
		return wf_refuse(&o->hdr, WF_INVALID_STATE, e, "passport type '%s' of application %s "
				 "is not in this office's configuration", a->passport_type,
				 o->hdr.app);

	/* the names are the enrolled ones, whose MRZ name field was approved: nobody at the
	 * printer chooses them (docs/PERSONALIZATION.md, "Names and the MRZ") */
	char surname[640], given[640], approved[WF_MRZ_NAME_LEN + 1];
	if (wf_names_load(db, o->hdr.app, surname, given, NULL, approved, e) < 0) {
		o->hdr.reason = e->code == ERR_INPUT ? WF_INVALID_STATE : WF_OK;
		return -1;
	}
	if (!approved[0])
		return wf_refuse(&o->hdr, WF_INVALID_STATE, e, "application %s was approved without "
				 "its MRZ name (before this version): it cannot be personalized",
				 o->hdr.app);
	if (!surname[0] || strlen(surname) > MRZ_NAME_MAX || strlen(given) > MRZ_NAME_MAX)
		return wf_refuse(&o->hdr, WF_INVALID_STATE, e, "the enrolled name of application %s "
				 "does not fit a passport", o->hdr.app);
	snprintf(o->issue_date, sizeof o->issue_date, "%s", o->today);
	if (wf_expiry_date(cfg, o->today, a->birth_date, o->expiry_date) < 0)
		return wf_refuse(&o->hdr, WF_INVALID_INPUT, e, "cannot compute the expiry date "
				 "(issue %s, birth %s)", o->today, a->birth_date);

	/* A booklet the signer has signed but this office never recorded (a personalization
	 * whose transaction failed after the signature, or a chip signed outside this
	 * office) is refused by the signer with "booklet_signed". It is never spoiled here:
	 * the request is refused (409, nothing recorded, the booklet stays available) with
	 * what to do, and the day close shows the signature as an alarm (docs/SIGNER.md). */
	int signed_unrecorded = 0;
	int rc = personalize_on_next(tx, o, &x, type->electronic, surname, given, approved,
				     &signed_unrecorded, e);
	if (rc < 0 && signed_unrecorded) {
		err_clear(e);
		return wf_refuse(&o->hdr, WF_SIGNER_REFUSED, e, "booklet %s already carries a "
				 "signature this office never recorded (an interrupted "
				 "personalization, or a chip signed outside this office); nothing "
				 "was personalized. Set booklet %s aside, report it to the booklet "
				 "custodian and a supervisor (the day close shows it as an alarm), "
				 "spoil it (POST /api/v1/booklets/%s/spoil) and personalize again",
				 o->booklet, o->booklet, o->booklet);
	}
	return rc;
}

/* The three steps after personalization build their event's body first and run its
 * guard on it (wf_guard), so that the projection of that very body takes the guard's
 * pass; what the guard does not read is checked after it, in the order the operations
 * always answered, and a refusal then frees the body. A missing booklet goes into the
 * body as null, which the guard refuses (409: personalized on booklet …, not (none)). */

/* A refusal after the guard: frees the body b; returns -1. */
static int refuse_body(struct wf_hdr *h, json_t *b, enum wf_reason r, struct err *e,
		       const char *msg)
{
	json_decref(b);
	return wf_refuse(h, r, e, "%s", msg);
}

/* wf_need, then the body b (taken) made and guarded; 0, or -1 (b freed). */
static int need_guarded(struct writer_txn *tx, struct wf_hdr *h, const char *kind,
			uint16_t version, struct wf_ev *x, json_t *b, struct err *e)
{
	if (wf_need(tx, h, kind, x, e) < 0 || (!b && err_nomem(e) < 0) ||
	    wf_guard(h, x, version, b, e) < 0) {
		json_decref(b);
		return -1;
	}
	return 0;
}

int wf_quality_checked(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_quality *o = arg;
	struct wf_ev x;
	json_t *b = json_pack("{s:s, s:s?, s:O?, s:s}", "app", o->hdr.app, "booklet", o->booklet,
			      "failures", o->failures, "result",
			      json_array_size(o->failures) ? "failed" : "passed");
	if (need_guarded(tx, &o->hdr, "application.quality_checked", 1, &x, b, e) < 0)
		return -1;
	if (!json_is_array(o->failures))
		return refuse_body(&o->hdr, b, WF_INVALID_INPUT, e, "failures must be an array");
	return wf_append(tx, &o->hdr, &x, "application.quality_checked", NULL, b, e);
}

int wf_void_personalization(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_void *o = arg;
	struct wf_ev x;
	json_t *b = json_pack("{s:s, s:s?, s:s?, s:s?}", "app", o->hdr.app, "booklet", o->booklet,
			      "reason", o->reason, "witness", o->witness);
	if (need_guarded(tx, &o->hdr, "application.personalization_voided", 2, &x, b, e) < 0)
		return -1;
	if (!o->reason || !o->reason[0])
		return refuse_body(&o->hdr, b, WF_INVALID_INPUT, e,
				   "a spoiled booklet needs a reason");
	struct booklet_spoil sp = { { o->hdr.actor, NULL, WF_OK, 0 }, o->booklet, o->reason,
				    o->hdr.app, 1 };
	if (booklet_spoil(tx, &sp, e) < 0) {
		json_decref(b);
		o->hdr.reason = sp.hdr.reason == WF_INVALID_INPUT ? WF_INVALID_INPUT
								  : WF_INVALID_STATE;
		return -1;
	}
	return wf_append_v(tx, &o->hdr, &x, "application.personalization_voided", 2, NULL, b, e);
}

int wf_hand_over(struct writer_txn *tx, void *arg, struct err *e)
{
	struct wf_hand_over *o = arg;
	struct wf_ev x;
	json_t *b = json_pack("{s:s, s:s?, s:s?}", "app", o->hdr.app, "booklet", o->booklet,
			      "collected_by", o->collected_by);
	const char *k[] = { "proxy_name", "proxy_idref", "power_of_attorney" };
	const char *v[] = { o->proxy_name, o->proxy_idref, o->power_of_attorney };
	for (int i = 0; b && i < 3; i++)
		if (v[i] && json_object_set_new(b, k[i], json_string(v[i])) < 0)
			json_decref(b), b = NULL;
	if (need_guarded(tx, &o->hdr, "application.handed_over", 2, &x, b, e) < 0)
		return -1;
	if (!o->collected_by)
		return refuse_body(&o->hdr, b, WF_INVALID_INPUT, e, "collected_by is missing");
	return wf_append_v(tx, &o->hdr, &x, "application.handed_over", 2, NULL, b, e);
}
