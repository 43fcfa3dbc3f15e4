/*
 * policy — the signer's checks of the data groups it signs (see policy.h).
 */
#include "signer/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icao/lds.h"
#include "icao/mrz.h"
#include "util/alloc.h"

static int refuse(const char **code, const char *c, char reason[PROTO_REASON_MAX + 1],
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse(const char **code, const char *c, char reason[PROTO_REASON_MAX + 1],
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, PROTO_REASON_MAX + 1, fmt, ap);
	va_end(ap);
	*code = c;
	return 0;
}

/* s without its trailing fillers '<' into out[size]. */
static void strip_fillers(const char *s, char *out, size_t size)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '<')
		n--;
	snprintf(out, size, "%.*s", (int)n, s);
}

int signer_check_content(const struct proto_request *r, const struct signer_policy *p,
			 struct signer_content *c, const char **code,
			 char reason[PROTO_REASON_MAX + 1], struct err *e)
{
	memset(c, 0, sizeof *c);
	*code = NULL;
	reason[0] = 0;
	char mrz[91];
	struct err pe = ERR_INIT;
	if (lds_parse_dg1(r->dg1, r->dg1_len, mrz, &pe) < 0)
		return refuse(code, "bad_dg1", reason, "malformed EF.DG1: %.400s", pe.msg);
	if (strlen(mrz) != LDS_MRZ_TD3_LEN)
		return refuse(code, "bad_dg1", reason, "EF.DG1: an MRZ of %zu characters, a "
			      "passport's (TD3) has 88", strlen(mrz));
	char text[LDS_MRZ_TD3_LEN + 2];
	snprintf(text, sizeof text, "%.44s\n%.44s", mrz, mrz + MRZ_TD3_LEN);
	struct mrz_parsed *m = mem_alloc(sizeof *m);
	if (!m)
		return err_nomem(e);
	int rc = 0;
	if (mrz_parse(text, m, &pe) < 0) {
		rc = refuse(code, "bad_dg1", reason, "EF.DG1: not an MRZ: %.400s", pe.msg);
	} else if (m->format != MRZ_FORMAT_TD3) {
		rc = refuse(code, "bad_dg1", reason, "EF.DG1: not a TD3 MRZ");
	} else if (m->nproblems > 0) {
		rc = refuse(code, "bad_dg1", reason, "EF.DG1: MRZ %s: %.300s",
			    m->problems[0].field, m->problems[0].message);
	} else if (strcmp(m->document_code, "P<") != 0 && strcmp(m->document_code, "PP") != 0) {
		rc = refuse(code, "document_code", reason, "document code '%s' is not an "
			    "ordinary passport (P< or PP)", m->document_code);
	} else if (strcmp(m->issuing_state, p->state) != 0) {
		rc = refuse(code, "issuing_state", reason, "issuing state '%s' is not this "
			    "signer's state %s", m->issuing_state, p->state);
	} else if (strcmp(m->nationality, p->state) != 0) {
		rc = refuse(code, "nationality", reason, "nationality '%s' is not this signer's "
			    "state %s", m->nationality, p->state);
	} else {
		strip_fillers(m->document_number, c->document_number, sizeof c->document_number);
		memcpy(c->expiry_yymmdd, m->expiry_date, 7);
		if (strcmp(c->document_number, r->booklet) != 0)
			rc = refuse(code, "document_number", reason, "document number %s is not "
				    "booklet %s's number", c->document_number, r->booklet);
	}
	mem_free(m);
	if (rc < 0 || *code)
		return rc;
	const uint8_t *jpeg;
	size_t jl;
	if (lds_parse_dg2(r->dg2, r->dg2_len, &jpeg, &jl, &pe) < 0)
		return refuse(code, "bad_dg2", reason, "malformed EF.DG2: %.400s", pe.msg);
	return 0;
}

/* y-m-d as days since 0000-03-01 (proleptic Gregorian), for comparisons. */
static long day_number(int y, int m, int d)
{
	if (m <= 2)
		y--, m += 12;
	return 365L * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + d - 1;
}

static int parse_ymd(const char *s, int *y, int *m, int *d)
{
	if (strlen(s) != 8 || strspn(s, "0123456789") != 8)
		return -1;
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	*m = (s[4] - '0') * 10 + (s[5] - '0');
	*d = (s[6] - '0') * 10 + (s[7] - '0');
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > mdays[*m - 1])
		return -1;
	int leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	return *m == 2 && *d == 29 && !leap ? -1 : 0;
}

int signer_check_dates(const struct proto_request *r, const struct signer_policy *p,
		       struct signer_content *c, const char **code,
		       char reason[PROTO_REASON_MAX + 1])
{
	*code = NULL;
	reason[0] = 0;
	if (strcmp(r->issue_date, p->today) != 0)
		return refuse(code, "issue_date", reason, "issue date %s is not the signer's "
			      "today (%s)", r->issue_date, p->today);
	int iy, im, id, ey, em, ed;
	if (parse_ymd(r->issue_date, &iy, &im, &id) < 0)
		return refuse(code, "issue_date", reason, "issue date %s is not a date",
			      r->issue_date);
	/* the MRZ's two-digit year: the first year at or after the issue year */
	int yy = (c->expiry_yymmdd[0] - '0') * 10 + (c->expiry_yymmdd[1] - '0');
	ey = iy - iy % 100 + yy;
	if (ey < iy)
		ey += 100;
	em = (c->expiry_yymmdd[2] - '0') * 10 + (c->expiry_yymmdd[3] - '0');
	ed = (c->expiry_yymmdd[4] - '0') * 10 + (c->expiry_yymmdd[5] - '0');
	if (ey > 9999 || em < 1 || em > 12 || ed < 1 || ed > 31)
		return refuse(code, "expiry", reason, "expiry %s is not a date", c->expiry_yymmdd);
	snprintf(c->expiry, sizeof c->expiry, "%04u%02u%02u", (unsigned)ey % 10000u,
		 (unsigned)em % 100u, (unsigned)ed % 100u);
	long issue = day_number(iy, im, id), expiry = day_number(ey, em, ed);
	/* issue + 10 years; 29 February to 28 February when that year has none */
	int ly = iy + SIGNER_VALIDITY_YEARS_MAX, ld = id;
	if (im == 2 && id == 29 && !((ly % 4 == 0 && ly % 100 != 0) || ly % 400 == 0))
		ld = 28;
	long limit = day_number(ly, im, ld);
	struct tm na;
	gmtime_r(&p->cert_not_after, &na);
	long cert = day_number(na.tm_year + 1900, na.tm_mon + 1, na.tm_mday);
	if (expiry <= issue)
		return refuse(code, "expiry", reason, "expiry %s is not after the issue date %s",
			      c->expiry, r->issue_date);
	if (expiry > limit)
		return refuse(code, "expiry", reason, "expiry %s is later than issue + %d years",
			      c->expiry, SIGNER_VALIDITY_YEARS_MAX);
	if (expiry > cert)
		return refuse(code, "expiry", reason, "expiry %s is later than the ds "
			      "certificate's validity (%04d-%02d-%02d)", c->expiry,
			      na.tm_year + 1900, na.tm_mon + 1, na.tm_mday);
	return 0;
}
