/*
 * wf_read — the workflow's row loaders and SQLite helpers, shared by the operations,
 * the guards and the projection handlers: an application's row (wf_app_load), its
 * enrolled and approved names (wf_names_load), its enrollers, its issuance row, the MRZ
 * name field of a name and the normalised form of a name (search, watchlist).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "icao/mrz.h"
#include "log/db.h"
#include "office/wf_internal.h"
#include "util/alloc.h"

/* The text columns of wf_app_load's row, in the SELECT's order; its integers follow. */
#define TEXT(f) { offsetof(struct wf_app, f), sizeof ((struct wf_app *)0)->f }
static const struct { size_t off, size; } app_texts[] = {
	TEXT(state), TEXT(idref), TEXT(slot_date), TEXT(slot_start), TEXT(enrolled_by),
	TEXT(interviewed_by), TEXT(watchlist_result), TEXT(billing_code), TEXT(payment_status),
	TEXT(full_name), TEXT(decided_by), TEXT(paid_by), TEXT(passport_type), TEXT(birth_date),
	TEXT(sex), TEXT(watchlist_by), TEXT(photo_blob),
};
#define NTEXTS (int)(sizeof app_texts / sizeof app_texts[0])

int wf_app_load(sqlite3 *db, const char *app, struct wf_app *a, struct err *e)
{
	sqlite3_stmt *st;
	memset(a, 0, sizeof *a);
	int r = db_row(db, "SELECT state, idref, slot_date, slot_start, enrolled_by,"
		       " interviewed_by, watchlist_result, billing_code, payment_status,"
		       " full_name, decided_by, paid_by, passport_type, birth_date, sex,"
		       " watchlist_by, photo_blob, watchlist_override IS NOT NULL, rescheduled,"
		       " photo_blob IS NOT NULL,"
		       " (SELECT count(*) FROM application_fingerprints f WHERE f.app = a.id)"
		       " FROM applications a WHERE id = ?", "reading the applications table", &st,
		       e, "s", app);
	if (r <= 0)
		return r;
	for (int i = 0; i < NTEXTS; i++)
		db_copy_text(st, i, (char *)a + app_texts[i].off, app_texts[i].size);
	a->has_watchlist_override = sqlite3_column_int(st, NTEXTS);
	a->rescheduled = sqlite3_column_int(st, NTEXTS + 1);
	a->has_photo = sqlite3_column_int(st, NTEXTS + 2);
	a->fingerprints = sqlite3_column_int(st, NTEXTS + 3);
	sqlite3_finalize(st);
	return 1;
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
	char *out[] = { primary, secondary, mrz_name, approved };
	const size_t size[] = { 640, 640, MRZ_TD3_NAME_LEN + 1, MRZ_TD3_NAME_LEN + 1 };
	int r = db_row_texts(db, "SELECT primary_id, secondary_id, mrz_name, approved_mrz_name"
			     " FROM application_names WHERE app = ?", "reading application_names",
			     app, out, size, 4, e);
	if (r < 0)
		return -1;
	if (r == 0)
		return err_set(e, ERR_INPUT, "application %s has no enrolled name (enrolled before "
			       "names were confirmed at enrolment? run `paspor rebuild`)", app);
	return 0;
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
	int r = db_row(db, sql, "reading the workflow's tables", &st, e, s2 ? "ss" : "s", s1, s2);
	if (r == 1)
		sqlite3_finalize(st);
	return r;
}

int wf_enrolled_by(sqlite3 *db, const char *app, const char *actor, struct err *e)
{
	return wf_exists(db, "SELECT 1 FROM application_enrollers WHERE app = ?1 AND actor = ?2",
			 app, actor, e);
}

int wf_issuance_booklet(sqlite3 *db, const char *app, char out[9], struct err *e)
{
	const size_t size = 9;
	return db_row_texts(db, "SELECT booklet FROM issuance WHERE app = ?",
			    "reading the issuance table", app, &out, &size, 1, e) < 0 ? -1 : 0;
}

int wf_personalized_by(sqlite3 *db, const char *app, char by[256], struct err *e)
{
	const size_t size = 256;
	return db_row_texts(db, "SELECT personalized_by FROM issuance WHERE app = ?",
			    "reading issuance", app, &by, &size, 1, e) < 0 ? -1 : 0;
}
