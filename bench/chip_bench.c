/*
 * chip_bench — how fast one core personalizes passport chips, next to the cost of the
 * signature that every chip needs. In one run, with one explicit-parameter P-256 DS key
 * (made here with pki_make_csca / pki_make_ds in a temporary folder):
 *
 *   1. raw ECDSA signatures: EVP_DigestSign (SHA-256) over 32 bytes
 *   2. bare OpenSSL CMS_sign over 150 bytes of content, DER-encoded
 *   3. complete chip personalizations: TD3 MRZ, EF.COM, DG1, DG2 around a ~20 KB JPEG
 *      (made here with libjpeg), LDSSecurityObject and signed EF.SOD (lds_make_chip)
 *   4. MRZ make (mrz_make_td3) + check (mrz_parse)
 *
 * The process pins itself to the CPU it starts on and is single-threaded. Time is the
 * process's CPU time (CLOCK_PROCESS_CPUTIME_ID), so other jobs on a shared machine
 * disturb the figures less than wall time would (caches and turbo still suffer). Each
 * measurement runs for BENCH_SECONDS (default 3) of CPU time; the table gives
 * operations per CPU-second and microseconds per operation, then the ratio chip rate /
 * raw sign rate (aim ≥ 25%).
 *
 *   build/bench/chip_bench [SECONDS]
 *   build/bench/chip_bench --jpeg FILE    only writes the synthetic photo to FILE
 *                                         (how tests/data/face-synthetic.jpg was made)
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "icao/lds.h"
#include "icao/mrz.h"
#include "icao/pki.h"
#include "icao/sod.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

struct result {
	const char *name;
	unsigned long ops;
	double seconds;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- a synthetic face photo: smooth shading with some texture, ~20 KB as JPEG ---- */

static int make_jpeg(unsigned w, unsigned h, int quality, unsigned char **out,
		     unsigned long *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	*out = NULL;
	*len = 0;
	jpeg_mem_dest(&c, out, len);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	unsigned char *row = malloc((size_t)w * 3);
	if (!row) {
		jpeg_destroy_compress(&c);
		return -1;
	}
	unsigned seed = 12345;
	while (c.next_scanline < h) {
		unsigned y = c.next_scanline;
		for (unsigned x = 0; x < w; x++) {
			seed = seed * 1103515245u + 12345u;
			int noise = (int)((seed >> 16) & 15) - 8;
			/* an oval "face" on a plain background */
			long dx = (long)x - (long)w / 2, dy = (long)y - (long)h / 2;
			int in = dx * dx * 100 / ((long)w * w / 9) + dy * dy * 100 / ((long)h * h / 6) < 100;
			int base = in ? 190 - (int)(dy / 8) : 120 + (int)(x / 8);
			int v = base + noise;
			v = v < 0 ? 0 : v > 255 ? 255 : v;
			row[x * 3] = (unsigned char)v;
			row[x * 3 + 1] = (unsigned char)(in ? v * 8 / 10 : v);
			row[x * 3 + 2] = (unsigned char)(in ? v * 7 / 10 : 200);
		}
		JSAMPROW rp = row;
		jpeg_write_scanlines(&c, &rp, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	return 0;
}

/* Lowers the quality until the photo is at most 22 KB. */
static int make_photo(unsigned char **out, unsigned long *len)
{
	for (int q = 90; q >= 20; q -= 5) {
		if (make_jpeg(480, 600, q, out, len) < 0)
			return -1;
		if (*len <= 22000)
			return 0;
		free(*out);
	}
	return make_jpeg(480, 600, 15, out, len);
}

/* ---- the benchmarks ---- */

static int bench_raw_sign(EVP_PKEY *key, double secs, struct result *r)
{
	unsigned char msg[32], sig[512];
	memset(msg, 0xa5, sizeof msg);
	double t0 = now_s(), t;
	r->ops = 0;
	do {
		for (int i = 0; i < 16; i++) {
			EVP_MD_CTX *md = EVP_MD_CTX_new();
			size_t n = sizeof sig;
			if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
			    EVP_DigestSign(md, sig, &n, msg, sizeof msg) != 1) {
				EVP_MD_CTX_free(md);
				return -1;
			}
			EVP_MD_CTX_free(md);
			r->ops++;
		}
		t = now_s() - t0;
	} while (t < secs);
	r->seconds = t;
	return 0;
}

static int bench_cms_sign(EVP_PKEY *key, X509 *cert, double secs, struct result *r)
{
	unsigned char content[150];
	memset(content, 0x30, sizeof content);
	double t0 = now_s(), t;
	r->ops = 0;
	do {
		for (int i = 0; i < 16; i++) {
			BIO *in = BIO_new_mem_buf(content, sizeof content);
			CMS_ContentInfo *cms = in ? CMS_sign(cert, key, NULL, in,
							     CMS_BINARY | CMS_NOSMIMECAP) : NULL;
			unsigned char *der = NULL;
			int n = cms ? i2d_CMS_ContentInfo(cms, &der) : -1;
			OPENSSL_free(der);
			CMS_ContentInfo_free(cms);
			BIO_free(in);
			if (n <= 0)
				return -1;
			r->ops++;
		}
		t = now_s() - t0;
	} while (t < secs);
	r->seconds = t;
	return 0;
}

static void specimen(struct mrz_doc *d, unsigned long n)
{
	memset(d, 0, sizeof *d);
	strcpy(d->document_code, "PP");
	strcpy(d->issuing_state, "IDN");
	strcpy(d->surname, "Hartono");
	strcpy(d->given_names, "Siti Nurhaliza");
	snprintf(d->document_number, sizeof d->document_number, "X%07lu", n % 10000000);
	strcpy(d->nationality, "IDN");
	strcpy(d->birth_date, "1990-04-17");
	d->sex = 'F';
	strcpy(d->expiry_date, "2036-11-28");
}

static int bench_chip(EVP_PKEY *key, X509 *cert, const unsigned char *photo,
		      unsigned long photo_len, double secs, struct result *r, size_t *sod_len)
{
	struct sod_key sk = { key, cert };
	struct sod_signer signer = { sod_sign_with_key, &sk };
	struct chip_files f;
	chip_files_init(&f);
	struct mrz_doc d;
	char mrz[2 * MRZ_TD3_LEN + 1];
	struct err e = ERR_INIT;
	int rc = 0;
	double t0 = now_s(), t;
	r->ops = 0;
	do {
		for (int i = 0; i < 8; i++) {
			specimen(&d, r->ops);
			struct chip_input in = { mrz, photo, photo_len, &signer, NULL };
			if (mrz_make_td3(&d, mrz, &e) < 0 || lds_make_chip(&in, &f, &e) < 0) {
				fprintf(stderr, "chip_bench: %s\n", e.msg);
				rc = -1;
				goto out;
			}
			r->ops++;
		}
		t = now_s() - t0;
	} while (t < secs);
	r->seconds = t;
	*sod_len = f.sod.len;
out:
	chip_files_release(&f);
	return rc;
}

static int bench_mrz(double secs, struct result *r)
{
	struct mrz_doc d;
	char mrz[2 * MRZ_TD3_LEN + 1], text[2 * MRZ_TD3_LEN + 2];
	struct mrz_parsed p;
	struct err e = ERR_INIT;
	double t0 = now_s(), t;
	r->ops = 0;
	do {
		for (int i = 0; i < 256; i++) {
			specimen(&d, r->ops);
			if (mrz_make_td3(&d, mrz, &e) < 0)
				goto fail;
			memcpy(text, mrz, MRZ_TD3_LEN);
			text[MRZ_TD3_LEN] = '\n';
			memcpy(text + MRZ_TD3_LEN + 1, mrz + MRZ_TD3_LEN, MRZ_TD3_LEN + 1);
			if (mrz_parse(text, &p, &e) < 0)
				goto fail;
			if (p.nproblems != 0) {
				err_set(&e, ERR_VERIFY, "made MRZ does not check: %s",
					p.problems[0].message);
				goto fail;
			}
			r->ops++;
		}
		t = now_s() - t0;
	} while (t < secs);
	r->seconds = t;
	return 0;
fail:
	fprintf(stderr, "chip_bench: mrz: %s\n", e.msg);
	return -1;
}

/* ---- set-up ---- */

static void remove_tree(const char *root)
{
	static const char *const files[] = { "ca/csca.key.pem", "ca/csca.cert.pem",
					     "ds/ds.key.pem", "ds/ds.cert.pem",
					     "ds/csca.cert.pem", "ds", "ca", "" };
	char p[512];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", root, files[i]);
		remove(p);
	}
}

static void print_row(const struct result *r)
{
	double rate = (double)r->ops / r->seconds;
	printf("%-58s %10.0f %10.1f\n", r->name, rate, 1e6 / rate);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--jpeg")) {
		unsigned char *jpg;
		unsigned long n;
		FILE *f;
		if (make_photo(&jpg, &n) < 0 || !(f = fopen(argv[2], "wb"))) {
			perror("chip_bench: --jpeg");
			return 1;
		}
		int ok = fwrite(jpg, 1, n, f) == n;
		ok = fclose(f) == 0 && ok;
		free(jpg);
		return ok ? 0 : 1;
	}
	double secs = 3;
	const char *env = getenv("BENCH_SECONDS");
	if (argc > 1)
		secs = atof(argv[1]);
	else if (env)
		secs = atof(env);
	if (secs <= 0)
		secs = 3;

	int cpu = sched_getcpu();
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	int pinned = sched_setaffinity(0, sizeof set, &set) == 0;

	char root[] = "/tmp/paspor-bench-XXXXXX";
	if (!mkdtemp(root)) {
		perror("chip_bench: mkdtemp");
		return 1;
	}
	char ca[600], ds[600];
	snprintf(ca, sizeof ca, "%s/ca", root);
	snprintf(ds, sizeof ds, "%s/ds", root);
	struct err e = ERR_INIT;
	struct pki_csca_opts co = { .country = "IDN", .alg = PKI_ALG_EC_EXPLICIT };
	struct pki_ds_opts dso = { .csca_dir = ca };
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	unsigned char *photo = NULL;
	unsigned long photo_len = 0;
	int rc = 1;
	if (pki_make_csca(ca, &co, &e) < 0 || pki_make_ds(ds, &dso, &e) < 0 ||
	    pki_load_signer(ds, &key, &cert, &e) < 0) {
		fprintf(stderr, "chip_bench: %s\n", e.msg);
		goto out;
	}
	if (make_photo(&photo, &photo_len) < 0) {
		fprintf(stderr, "chip_bench: cannot make the JPEG\n");
		goto out;
	}

	struct result raw = { "1. raw ECDSA P-256 sign (EVP_DigestSign, 32 bytes)", 0, 0 };
	struct result cms = { "2. OpenSSL CMS_sign, 150-byte content, DER", 0, 0 };
	struct result chip = { "3. chip personalization (MRZ,COM,DG1,DG2,SOD)", 0, 0 };
	struct result mrz = { "4. MRZ make + check (TD3)", 0, 0 };
	size_t sod_len = 0;
	if (bench_raw_sign(key, secs, &raw) < 0 || bench_cms_sign(key, cert, secs, &cms) < 0) {
		fprintf(stderr, "chip_bench: signing failed\n");
		goto out;
	}
	if (bench_chip(key, cert, photo, photo_len, secs, &chip, &sod_len) < 0 ||
	    bench_mrz(secs, &mrz) < 0)
		goto out;

	printf("paspor chip_bench — %s, %s, %.1f s per measurement\n",
	       OpenSSL_version(OPENSSL_VERSION),
	       pinned ? "pinned to one CPU" : "NOT pinned", secs);
	printf("DS key: ECDSA P-256, explicit domain parameters; photo: %lu-byte JPEG "
	       "480x600; EF.SOD: %zu bytes\n\n", photo_len, sod_len);
	printf("%-58s %10s %10s\n", "benchmark (CPU time, one core)", "ops/s", "us/op");
	print_row(&raw);
	print_row(&cms);
	print_row(&chip);
	print_row(&mrz);
	double ratio = ((double)chip.ops / chip.seconds) / ((double)raw.ops / raw.seconds);
	printf("\nchip rate / raw sign rate: %.0f%% (aim: at least 25%%) %s\n", ratio * 100,
	       ratio >= 0.25 ? "ok" : "BELOW AIM");
	rc = 0;
out:
	free(photo);
	EVP_PKEY_free(key);
	X509_free(cert);
	remove_tree(root);
	return rc;
}
