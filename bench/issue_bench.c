/*
 * issue_bench — personalizations per second on one core (issue 6): the chip files with
 * EF.SOD signed through the signer process, the data page rendered to PDF and to a
 * 300 dpi PNG; beside the chip-only rate with a key file in process (the ICAO core's
 * benchmark, bench/chip_bench.c), in the same run. bench/signer_run.sh sets up the
 * signer and calls:
 *
 *   build/bench/issue_bench --ds DIR --socket PATH --first BOOKLET --count N --photo JPEG
 *
 *   1. chip only, key file: lds_make_chip with sod_sign_with_key (DIR/ds.key.pem)
 *   2. chip through the signer: lds_make_chip with signer_client_sign_dgs (protocol 2:
 *      DG1, DG2 and the issue date sent, the signer checks them and makes the security
 *      object), booklets BOOKLET, BOOKLET+1, … (at most 9 characters: the MRZ's document
 *      number is the booklet's; one signature per booklet, each durable in the signer's
 *      log); issued today in Asia/Jakarta (the signer's default zone), valid 5 years
 *   3. as 2 + datapage_render to PDF and PNG: the issue's measure
 *   4. as 2 + the PDF only: what the office node renders when it personalizes (the
 *      print job); the PNG is rendered when an officer downloads it
 *      (what the node adds around them — the writer's events, the spool files' fsyncs —
 *      is measured by the office benchmarks, not here)
 *
 * Rates are wall-clock; this process's CPU time is printed beside them (the signer's
 * own CPU is in its process). Sequential: one personalization at a time, one core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "icao/lds.h"
#include "icao/mrz.h"
#include "icao/pki.h"
#include "icao/sod.h"
#include "office/datapage.h"
#include "office/photo.h"
#include "signer/signer.h"
#include "signproto/client.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include "bench_doc.h"

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void report(const char *name, unsigned long n, double wall, double cpu)
{
	printf("%-46s %6lu %9.1f %9.2f %9.2f\n", name, n, (double)n / wall,
	       wall * 1e3 / (double)n, cpu * 1e3 / (double)n);
}

/* mode 0: key file; 1: signer; 2: signer + PDF + PNG; 3: signer + PDF (what the node
 * renders at personalization: the print job; the PNG is made when downloaded) */
static int run(int mode, struct datapage *page, const struct buf *photo, EVP_PKEY *key,
	       X509 *cert, const char *sock, const char *first, unsigned long off,
	       unsigned long n, double *wall, double *cpu, struct err *e)
{
	struct chip_files cf;
	chip_files_init(&cf);
	struct buf pdf, png;
	buf_init(&pdf, (size_t)32 << 20);
	buf_init(&png, (size_t)64 << 20);
	char booklet[32], issue[11], mrz[2 * MRZ_TD3_LEN + 1];
	/* the signer's today (its default zone) and an expiry 5 years on */
	struct mrz_doc d;
	bench_doc_today(&d, "SARI", "DEWI AYU", issue);
	struct sod_key sk = { key, cert };
	struct signer_client sc = { sock, "ABENCH", booklet, 0, "", issue };
	struct sod_signer sg = { sod_sign_with_key, &sk };
	struct lds_dg_signer dg = { signer_client_sign_dgs, &sc };
	struct chip_input in = { page->mrz, photo->data, photo->len, mode == 0 ? &sg : NULL,
				 mode == 0 ? NULL : &dg };
	int rc = 0;
	double w0 = now_s(), c0 = cpu_s();
	for (unsigned long i = 0; i < n && rc == 0; i++) {
		if (mode > 0) {
			if (signer_booklet_nth(first, off + i, booklet, e) < 0 ||
			    strlen(booklet) >= sizeof d.document_number) {
				rc = e->code ? -1 : err_set(e, ERR_INPUT, "booklet numbers of at "
							    "most 9 characters");
				break;
			}
			strcpy(d.document_number, booklet);
			if (mrz_make_td3(&d, mrz, e) < 0) {
				rc = -1;
				break;
			}
			in.mrz = mrz;
		}
		rc = lds_make_chip(&in, &cf, e);
		if (rc == 0 && mode >= 2) {
			buf_reset(&pdf);
			buf_reset(&png);
			rc = datapage_render(page, &pdf, mode == 2 ? &png : NULL, e);
		}
	}
	*wall = now_s() - w0;
	*cpu = cpu_s() - c0;
	chip_files_release(&cf);
	buf_release(&pdf);
	buf_release(&png);
	return rc;
}

int main(int argc, char **argv)
{
	const char *ds = NULL, *sock = NULL, *first = NULL, *photo_path = NULL;
	unsigned long n = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--ds") == 0)
			ds = argv[i + 1];
		else if (strcmp(argv[i], "--socket") == 0)
			sock = argv[i + 1];
		else if (strcmp(argv[i], "--first") == 0)
			first = argv[i + 1];
		else if (strcmp(argv[i], "--photo") == 0)
			photo_path = argv[i + 1];
		else if (strcmp(argv[i], "--count") == 0)
			n = strtoul(argv[i + 1], NULL, 10);
	}
	if (!ds || !sock || !first || !photo_path || n == 0 || argc % 2 == 0) {
		fprintf(stderr, "usage: issue_bench --ds DIR --socket PATH --first BOOKLET "
			"--count N --photo JPEG (the signer needs 3N booklets from BOOKLET)\n");
		return 2;
	}
	struct err e = ERR_INIT;
	struct buf upload, photo;
	buf_init(&upload, (size_t)16 << 20);
	buf_init(&photo, (size_t)1 << 20);
	struct photo_info pinfo;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
				"document_code", "P", "issuing_state", "IDN", "surname", "SARI",
				"given_names", "DEWI AYU", "document_number", "X0000001",
				"nationality", "IDN", "birth_date", "1990-05-14", "sex", "F",
				"expiry_date", "2036-11-28", "birth_place", "SAMARINDA",
				"issue_date", "2026-11-29", "issuing_office", "KANIM SAMARINDA");
	struct datapage page;
	double w[4], c[4];
	int rc = 1;
	/* the chip-ready photo, as enrolment stores it (240 x 320, <= 20 KB) */
	if (!doc || fs_read_file(photo_path, &upload, &e) < 0 ||
	    photo_normalise(upload.data, upload.len, &photo, &pinfo, &e) < 0 ||
	    datapage_from_json(doc, &page, &e) < 0 || pki_load_signer(ds, &key, &cert, &e) < 0)
		goto out;
	page.photo = photo.data;
	page.photo_len = photo.len;
	if (run(0, &page, &photo, key, cert, sock, first, 0, n, &w[0], &c[0], &e) < 0 ||
	    run(1, &page, &photo, key, cert, sock, first, 0, n, &w[1], &c[1], &e) < 0 ||
	    run(2, &page, &photo, key, cert, sock, first, n, n, &w[2], &c[2], &e) < 0 ||
	    run(3, &page, &photo, key, cert, sock, first, 2 * n, n, &w[3], &c[3], &e) < 0)
		goto out;
	printf("issue_bench: %lu personalizations each, one at a time (photo %u x %u, %zu "
	       "bytes; PNG %d x %d)\n", n, pinfo.out_width, pinfo.out_height, photo.len,
	       DATAPAGE_PNG_WIDTH, DATAPAGE_PNG_HEIGHT);
	printf("%-46s %6s %9s %9s %9s\n", "", "n", "per s", "ms wall", "ms cpu");
	report("chip only, key file in process", n, w[0], c[0]);
	report("chip, EF.SOD through the signer", n, w[1], c[1]);
	report("chip through the signer + PDF + 300 dpi PNG", n, w[2], c[2]);
	report("chip through the signer + PDF (the print job)", n, w[3], c[3]);
	printf("data page share: %.2f ms of %.2f ms a personalization\n",
	       (w[2] - w[1]) * 1e3 / (double)n, w[2] * 1e3 / (double)n);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "issue_bench: %s\n", e.msg);
	datapage_release_caches();
	json_decref(doc);
	EVP_PKEY_free(key);
	X509_free(cert);
	buf_release(&photo);
	buf_release(&upload);
	return rc;
}
