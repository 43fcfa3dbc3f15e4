/*
 * wf_read — the workflow's row loaders and SQLite helpers, shared by the operations,
 * the guards and the projection handlers: an application's row (wf_app_load), its
 * enrolled and approved names (wf_names_load), its enrollers, its issuance row, the MRZ
 * name field of a name and the normalised form of a name (search, watchlist).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "icao/mrz.h"
#include "log/db.h"
#include "office/wf_internal.h"
#include "util/alloc.h"

void wf_copy_col(sqlite3_stmt *st, int col, char *out, size_t n)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	snprintf(out, n, "%s", s ? s : "");
}

int wf_app_load(sqlite3 *db, const char *app, struct wf_app *a, struct err *e)
{
	sqlite3_stmt *st;
	memset(a, 0, sizeof *a);
	if (db_prepare(db, "SELECT state, idref, slot_date, slot_start, enrolled_by,"
			   " interviewed_by, watchlist_result, watchlist_override IS NOT NULL,"
			   " rescheduled, photo_blob IS NOT NULL, billing_code, payment_status,"
			   " (SELECT count(*) FROM application_fingerprints f WHERE f.app = a.id),"
			   " full_name, decided_by, paid_by, passport_type, birth_date, sex,"
			   " watchlist_by, photo_blob FROM applications a"
			   " WHERE id = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret;
	if (rc == SQLITE_ROW) {
		wf_copy_col(st, 0, a->state, sizeof a->state);
		wf_copy_col(st, 1, a->idref, sizeof a->idref);
		wf_copy_col(st, 2, a->slot_date, sizeof a->slot_date);
		wf_copy_col(st, 3, a->slot_start, sizeof a->slot_start);
		wf_copy_col(st, 4, a->enrolled_by, sizeof a->enrolled_by);
		wf_copy_col(st, 5, a->interviewed_by, sizeof a->interviewed_by);
		wf_copy_col(st, 6, a->watchlist_result, sizeof a->watchlist_result);
		a->has_watchlist_override = sqlite3_column_int(st, 7);
		a->rescheduled = sqlite3_column_int(st, 8);
		a->has_photo = sqlite3_column_int(st, 9);
		wf_copy_col(st, 10, a->billing_code, sizeof a->billing_code);
		wf_copy_col(st, 11, a->payment_status, sizeof a->payment_status);
		a->fingerprints = sqlite3_column_int(st, 12);
		wf_copy_col(st, 13, a->full_name, sizeof a->full_name);
		wf_copy_col(st, 14, a->decided_by, sizeof a->decided_by);
		wf_copy_col(st, 15, a->paid_by, sizeof a->paid_by);
		wf_copy_col(st, 16, a->passport_type, sizeof a->passport_type);
		wf_copy_col(st, 17, a->birth_date, sizeof a->birth_date);
		wf_copy_col(st, 18, a->sex, sizeof a->sex);
		wf_copy_col(st, 19, a->watchlist_by, sizeof a->watchlist_by);
		wf_copy_col(st, 20, a->photo_blob, sizeof a->photo_blob);
		ret = 1;
	} else if (rc == SQLITE_DONE) {
		ret = 0;
	} else {
		ret = db_error(db, e, "reading the applications table");
	}
	sqlite3_finalize(st);
	return ret;
}

_Static_assert(WF_MRZ_NAME_LEN == MRZ_TD3_NAME_LEN, "the TD3 name field");

int wf_mrz_name(const char *primary, const char *secondary,
		char out[WF_MRZ_NAME_LEN + 1], int *truncated, struct err *e)
{
	if (!primary || !primary[0] || strlen(primary) > MRZ_NAME_MAX ||
	    (secondary && strlen(secondary) > MRZ_NAME_MAX))
		return err_set(e, ERR_INPUT, "the primary identifier must be 1 to %d bytes and the "
			       "secondary at most %d", MRZ_NAME_MAX, MRZ_NAME_MAX);
	if (mrz_name_field(primary, secondary ? secondary : "", MRZ_TD3_NAME_LEN, out, truncated,
			   e) < 0) {
		err_prefix(e, "the name makes no MRZ");
		return -1;
	}
	return 0;
}

int wf_names_load(sqlite3 *db, const char *app, char primary[640], char secondary[640],
		  char mrz_name[WF_MRZ_NAME_LEN + 1], char approved[WF_MRZ_NAME_LEN + 1],
		  struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT primary_id, secondary_id, mrz_name, approved_mrz_name FROM"
			   " application_names WHERE app = ?", &st, e) < 0)
		return -1;
	db_bind_str(st, 1, app);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (primary)
			wf_copy_col(st, 0, primary, 640);
		if (secondary)
			wf_copy_col(st, 1, secondary, 640);
		if (mrz_name)
			wf_copy_col(st, 2, mrz_name, MRZ_TD3_NAME_LEN + 1);
		if (approved)
			wf_copy_col(st, 3, approved, MRZ_TD3_NAME_LEN + 1);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return err_set(e, ERR_INPUT, "application %s has no enrolled name (enrolled before "
			       "names were confirmed at enrolment? run `paspor rebuild`)", app);
	return rc == SQLITE_ROW ? 0 : db_error(db, e, "reading application_names");
}

int wf_name_norm(const char *name, char **out, struct err *e)
{
	*out = NULL;
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)name, 0, &m,
					  UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
					  UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK);
	if (n < 0)
		return err_set(e, ERR_INPUT, "name is not valid UTF-8");
	char *r = mem_alloc((size_t)n + 1);
	if (!r) {
		free(m); /* utf8proc's own allocation */
		return err_nomem(e);
	}
	size_t k = 0;
	int space = 1; /* drops leading separators */
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		unsigned char c = m[i];
		int sep = c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
		if (sep) {
			if (!space)
				r[k++] = ' ';
			space = 1;
		} else {
			r[k++] = (char)c;
			space = 0;
		}
	}
	if (k > 0 && r[k - 1] == ' ')
		k--;
	r[k] = '\0';
	free(m);
	*out = r;
	return 0;
}

int wf_exists(sqlite3 *db, const char *sql, const char *s1, const char *s2, struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, sql, &st, e) < 0)
		return -1;
	db_bind_str(st, 1, s1);
	if (s2)
		db_bind_str(st, 2, s2);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(db, e, "reading the workflow's tables");
	return rc == SQLITE_ROW;
}

int wf_enrolled_by(sqlite3 *db, const char *app, const char *actor, struct err *e)
{
	return wf_exists(db, "SELECT 1 FROM application_enrollers WHERE app = ?1 AND actor = ?2",
			 app, actor, e);
}

int wf_issuance_booklet(sqlite3 *db, const char *app, char out[9], struct err *e)
{
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT booklet FROM issuance WHERE app = ?", &st, e) < 0)
		return -1;
	db_bind_str(st, 1, app);
	out[0] = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		wf_copy_col(st, 0, out, 9);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(db, e, "reading the issuance table");
	return 0;
}


int wf_personalized_by(sqlite3 *db, const char *app, char by[256], struct err *e)
{
	sqlite3_stmt *st;
	by[0] = 0;
	if (db_prepare(db, "SELECT personalized_by FROM issuance WHERE app = ?", &st, e) < 0)
		return -1;
	db_bind_str(st, 1, app);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		wf_copy_col(st, 0, by, 256);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(db, e, "reading issuance");
}
