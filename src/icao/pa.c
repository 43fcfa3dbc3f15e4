#include "icao/pa.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "icao/lds.h"
#include "icao/pki.h"
#include "icao/sod.h"
#include "icao/tlv.h"
#include "util/alloc.h"

void pa_report_init(struct pa_report *r)
{
	memset(r, 0, sizeof *r);
}

void pa_report_release(struct pa_report *r)
{
	mem_free(r->lines);
	memset(r, 0, sizeof *r);
}

int pa_report_exit_code(const struct pa_report *r)
{
	return r->unreadable ? 2 : r->failed ? 1 : 0;
}

const char *pa_status_word(enum pa_status s)
{
	switch (s) {
	case PA_OK: return "ok  ";
	case PA_INFO: return "--  ";
	default: return "FAIL";
	}
}

static int add(struct pa_report *r, struct err *e, enum pa_status st, int ef, const char *fmt,
	       ...) __attribute__((format(printf, 5, 6)));

static int add(struct pa_report *r, struct err *e, enum pa_status st, int ef, const char *fmt,
	       ...)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 32;
		struct pa_line *l = mem_realloc(r->lines, cap * sizeof *l);
		if (!l)
			return err_nomem(e);
		r->lines = l;
		r->cap = cap;
	}
	struct pa_line *l = &r->lines[r->n++];
	l->status = st;
	l->ef = ef;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->text, sizeof l->text, fmt, ap);
	va_end(ap);
	if (st == PA_FAIL)
		r->failed = 1;
	if (st == PA_UNREADABLE)
		r->unreadable = 1;
	return 0;
}

/* The subject of a certificate on one line, for the report. */
static void subject_of(X509 *c, char *out, size_t cap)
{
	out[0] = '\0';
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return;
	if (X509_NAME_print_ex(b, X509_get_subject_name(c), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		int n = BIO_read(b, out, (int)cap - 1);
		out[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
}

static int check_com(const struct chip_file *f, const struct sod *sod, int sod_ok,
		     struct pa_report *r, struct err *e)
{
	struct lds_com com;
	struct err pe = ERR_INIT;
	if (lds_parse_com(f->data, f->len, &com, &pe) < 0)
		return add(r, e, PA_FAIL, LDS_EF_COM, "EF.COM (%s): %s", f->name, pe.msg);
	if (strcmp(com.lds_version, "0107") != 0 && strcmp(com.lds_version, "0108") != 0)
		return add(r, e, PA_FAIL, LDS_EF_COM, "EF.COM (%s): LDS version %s is not 0107 or 0108",
			   f->name, com.lds_version);
	if (strcmp(com.unicode_version, "040000") != 0)
		return add(r, e, PA_FAIL, LDS_EF_COM, "EF.COM (%s): Unicode version %s is not 040000",
			   f->name, com.unicode_version);
	char list[64] = "";
	size_t used = 0;
	unsigned in_com = 0, in_sod = 0;
	for (size_t i = 0; i < com.n; i++) {
		in_com |= 1u << com.dgs[i];
		int w = snprintf(list + used, sizeof list - used, "%sDG%d", i ? " " : "", com.dgs[i]);
		if (w > 0 && (size_t)w < sizeof list - used)
			used += (size_t)w;
	}
	if (!sod_ok)
		return add(r, e, PA_INFO, LDS_EF_COM,
			   "EF.COM well formed, lists %s; not compared (no valid EF.SOD) [%s]", list,
			   f->name);
	for (size_t i = 0; i < sod->lso.n; i++)
		in_sod |= 1u << sod->lso.dg[i].dg;
	if (in_com != in_sod)
		return add(r, e, PA_FAIL, LDS_EF_COM,
			   "EF.COM (%s): lists %s, not the data groups of EF.SOD", f->name, list);
	return add(r, e, PA_OK, LDS_EF_COM, "EF.COM lists the data groups of EF.SOD (%s) [%s]",
		   list, f->name);
}

static int check_dg(int dg, const struct chip_file *f, const struct sod *sod, int sod_ok,
		    struct pa_report *r, struct err *e)
{
	const char *name = lds_ef_name(dg);
	if (!sod_ok) {
		if (!f)
			return 0;
		return add(r, e, PA_FAIL, dg, "%s (%s): not authenticated (no valid EF.SOD)",
			   name, f->name);
	}
	const struct sod_dg_hash *want = NULL;
	for (size_t i = 0; i < sod->lso.n; i++)
		if (sod->lso.dg[i].dg == dg)
			want = &sod->lso.dg[i];
	if (!f && !want)
		return 0;
	if (!f)
		return add(r, e, PA_INFO, dg, "%s not present", name);
	if (!want)
		return add(r, e, PA_FAIL, dg, "%s (%s): not listed in EF.SOD", name, f->name);
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	if (!EVP_Digest(f->data, f->len, h, &hl, sod_hash_md(sod->lso.hash_nid), NULL)) {
		ERR_clear_error();
		return add(r, e, PA_FAIL, dg, "%s (%s): cannot hash", name, f->name);
	}
	const char *alg = sod_hash_name(sod->lso.hash_nid);
	if (hl != want->len || memcmp(h, want->hash, hl) != 0)
		return add(r, e, PA_FAIL, dg, "%s (%s): hash differs from EF.SOD (%s)", name,
			   f->name, alg);
	return add(r, e, PA_OK, dg, "%s hash matches (%s) [%s]", name, alg, f->name);
}

/* The DS certificate against the Part 12 profile, with the SOD's signing time. */
static int check_ds_profile(const struct sod *sod, X509 *signer, X509 *csca,
			    const struct chip_file *sf, struct pa_report *r, struct err *e)
{
	struct err pe = ERR_INIT;
	time_t at;
	int has_time = sod_signing_time(sod, &at, &pe);
	if (has_time < 0) {
		if (add(r, e, PA_FAIL, LDS_EF_SOD, "EF.SOD (%s): %s", sf->name, pe.msg) < 0)
			return -1;
		has_time = 0;
		err_clear(&pe);
	}
	if (pki_check_ds_profile(signer, csca, has_time ? &at : NULL, &pe) < 0)
		return add(r, e, PA_FAIL, LDS_EF_SOD, "EF.SOD (%s): %s", sf->name, pe.msg);
	return add(r, e, PA_OK, LDS_EF_SOD,
		   "document signer certificate fits the Doc 9303 Part 12 profile%s",
		   has_time ? " (the SOD's signing time within its validity)" : "");
}

int pa_verify(const struct chip_file *files, size_t n, X509 *csca, struct pa_report *r,
	      struct err *e)
{
	const struct chip_file *by_ef[LDS_EF_COUNT] = { 0 };
	int rc = -1;
	/* recognise each file by its first tag */
	for (size_t i = 0; i < n; i++) {
		const struct chip_file *f = &files[i];
		struct tlv t;
		struct err te = ERR_INIT;
		/* an indefinite length is BER that only EF.SOD (a CMS object) may use */
		if (tlv_read_ber(f->data, f->len, &t, &te) == 0 && t.indefinite &&
		    t.tag != SOD_TAG)
			err_set(&te, ERR_INPUT, "indefinite length not allowed");
		if (te.code) {
			if (add(r, e, PA_UNREADABLE, -1, "%s: not an LDS file: %s", f->name, te.msg) < 0)
				return -1;
			continue;
		}
		int ef = lds_ef_from_tag(t.tag);
		if (ef < 0) {
			if (add(r, e, PA_UNREADABLE, -1, "%s: not an LDS file: first tag %02X", f->name,
				t.tag) < 0)
				return -1;
			continue;
		}
		if (by_ef[ef]) {
			if (add(r, e, PA_FAIL, ef, "%s given twice (%s, %s)", lds_ef_name(ef),
				by_ef[ef]->name, f->name) < 0)
				return -1;
			continue;
		}
		by_ef[ef] = f;
		if (tlv_ber_size(&t) != f->len &&
		    add(r, e, PA_FAIL, ef, "%s (%s): %zu bytes after its TLV", lds_ef_name(ef),
			f->name, f->len - tlv_ber_size(&t)) < 0)
			return -1;
	}

	struct sod sod;
	memset(&sod, 0, sizeof sod);
	int sod_ok = 0;
	X509 *signer = NULL;
	const struct chip_file *sf = by_ef[LDS_EF_SOD];
	struct err se = ERR_INIT;
	if (!sf) {
		if (add(r, e, PA_FAIL, LDS_EF_SOD, "EF.SOD not given: nothing can be verified") < 0)
			goto out;
	} else if (sod_parse(sf->data, sf->len, &sod, &se) < 0) {
		if (add(r, e, PA_FAIL, LDS_EF_SOD, "EF.SOD (%s): %s", sf->name, se.msg) < 0)
			goto out;
	} else {
		char dgs[96] = "";
		size_t used = 0;
		for (size_t i = 0; i < sod.lso.n; i++) {
			int w = snprintf(dgs + used, sizeof dgs - used, " %d", sod.lso.dg[i].dg);
			if (w > 0 && (size_t)w < sizeof dgs - used)
				used += (size_t)w;
		}
		if (add(r, e, PA_OK, LDS_EF_SOD,
			"EF.SOD parsed: LDSSecurityObject v%d, %s, data groups%s%s [%s]",
			sod.lso.version, sod_hash_name(sod.lso.hash_nid), dgs,
			sod.ber ? ", BER (not DER)" : "", sf->name) < 0)
			goto out;
		r->sod_ber = sod.ber;
		sod_ok = 1; /* the hashes are compared even when the signature fails */
		if (sod_verify_signature(&sod, &signer, &se) < 0) {
			if (add(r, e, PA_FAIL, LDS_EF_SOD, "EF.SOD (%s): %s", sf->name, se.msg) < 0)
				goto out;
		} else {
			char subj[200];
			subject_of(signer, subj, sizeof subj);
			if (add(r, e, PA_OK, LDS_EF_SOD,
				"EF.SOD signature valid (%s with %s, signer %s) [%s]",
				sod.sig_alg, sod_hash_name(sod.digest_nid), subj, sf->name) < 0)
				goto out;
			if (csca) {
				err_clear(&se);
				if (sod_verify_chain(&sod, signer, csca, &se) < 0) {
					if (add(r, e, PA_FAIL, LDS_EF_SOD, "EF.SOD (%s): %s", sf->name,
						se.msg) < 0)
						goto out;
				} else if (add(r, e, PA_OK, LDS_EF_SOD,
					       "document signer certificate chains to the CSCA and is valid now") < 0) {
					goto out;
				}
				if (check_ds_profile(&sod, signer, csca, sf, r, e) < 0)
					goto out;
			} else if (add(r, e, PA_INFO, LDS_EF_SOD,
				       "document signer certificate not checked (no CSCA given)") < 0) {
				goto out;
			}
		}
	}
	for (int dg = 1; dg <= SOD_MAX_DG; dg++)
		if (check_dg(dg, by_ef[dg], &sod, sod_ok, r, e) < 0)
			goto out;
	if (by_ef[LDS_EF_COM] && check_com(by_ef[LDS_EF_COM], &sod, sod_ok, r, e) < 0)
		goto out;
	rc = 0;
out:
	X509_free(signer);
	if (sod.cms)
		sod_release(&sod);
	return rc;
}
