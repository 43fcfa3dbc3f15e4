/*
 * signer_bench — EF.SOD signatures per second through the signer process (Unix socket,
 * policy, durable signer.signed event, key in a PKCS#11 token) beside in-process signing
 * with a key file, in the same run; the overhead is the figure to watch (issue 5).
 * bench/signer_run.sh sets up SoftHSM2, the signer and its stock in a temporary folder
 * and calls this program:
 *
 *   build/bench/signer_bench --ds DIR --socket PATH --first BOOKLET --count N
 *                            --photo JPEG [--data SIGNERDIR]
 *
 *   1. key file, in process: sod_sign with DIR/ds.key.pem (pki_load_signer)
 *   2. token, in process (with --data): sod_sign with the token's key through the pkcs11
 *      engine (signer.conf of SIGNERDIR), no socket and no log: splits the overhead
 *      into the token's share and the signer's (socket, policy, durable event)
 *   3. through the signer: N requests for booklets BOOKLET, BOOKLET+1, ... (at most 9
 *      characters), one connection each (signer_client_sign_dgs, protocol 2: EF.DG1 with
 *      the booklet's number, EF.DG2 of JPEG, today in Asia/Jakarta), each checked by the
 *      signer's policy and answered after its event is durable
 *
 * 1 and 2 sign a fixed LDSSecurityObject (SHA-256, DG1 and DG2 hashes); 3 has the signer
 * make it from the data groups. Times are
 * wall-clock (CLOCK_MONOTONIC): the signer is another process. Each client-side run is
 * sequential (one request at a time), as the office node asks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "icao/lds.h"
#include "icao/mrz.h"
#include "icao/pki.h"
#include "icao/sod.h"
#include "signer/p11.h"
#include "signer/signer.h"
#include "signproto/client.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include "bench_doc.h"

static int make_lso(struct buf *out, struct err *e)
{
	struct lds_security_object *lso = mem_calloc(1, sizeof *lso);
	if (!lso)
		return err_nomem(e);
	lso->version = 0;
	lso->hash_nid = NID_sha256;
	lso->n = 2;
	for (size_t i = 0; i < 2; i++) {
		lso->dg[i].dg = (int)i + 1;
		lso->dg[i].len = 32;
		for (size_t k = 0; k < 32; k++)
			lso->dg[i].hash[k] = (uint8_t)(k * 31 + i);
	}
	int rc = sod_encode_lso(lso, out, e);
	mem_free(lso);
	return rc;
}

static void report(const char *name, unsigned long n, double secs, double base)
{
	printf("%-44s %8lu %9.1f %10.1f", name, n, (double)n / secs, secs * 1e6 / (double)n);
	if (base > 0)
		printf("   x%.2f", (secs / (double)n) / base);
	printf("\n");
}

static int sign_local(EVP_PKEY *key, X509 *cert, const struct buf *lso, unsigned long n,
		      double *secs, struct err *e)
{
	struct buf sod;
	buf_init(&sod, PROTO_SOD_MAX);
	double t0 = now_s();
	for (unsigned long i = 0; i < n; i++) {
		buf_reset(&sod);
		if (sod_sign(lso->data, lso->len, key, cert, &sod, e) < 0) {
			buf_release(&sod);
			return -1;
		}
	}
	*secs = now_s() - t0;
	buf_release(&sod);
	return 0;
}

static int sign_token(const char *dir, const struct buf *lso, unsigned long n, double *secs,
		      struct err *e)
{
	struct signer_config cfg;
	struct p11_token t;
	struct p11_key k;
	memset(&k, 0, sizeof k);
	X509 *cert = NULL;
	char *path = fs_join(dir, "ds.cert.pem");
	int rc = -1;
	if (!path)
		return err_nomem(e);
	if (signer_config_load(dir, &cfg, e) < 0 || pki_load_cert(path, &cert, e) < 0)
		goto out;
	signer_config_token(&cfg, &t);
	if (p11_load_key(&t, &k, e) < 0)
		goto out;
	rc = sign_local(k.key, cert, lso, n, secs, e);
out:
	p11_key_release(&k);
	X509_free(cert);
	mem_free(path);
	return rc;
}

static int sign_remote(const char *socket_path, const char *first, const struct buf *jpeg,
		       unsigned long n, double *secs, struct err *e)
{
	struct buf sod, dg1, dg2;
	buf_init(&sod, PROTO_PAYLOAD_MAX);
	buf_init(&dg1, 256);
	buf_init(&dg2, PROTO_DG2_MAX);
	char booklet[32], issue[11], mrz[2 * MRZ_TD3_LEN + 1];
	struct mrz_doc d;
	bench_doc_today(&d, "BENCH", "", issue);
	struct signer_client c = { socket_path, "BENCH", booklet, 0, "", issue };
	int rc = lds_put_dg2(&dg2, jpeg->data, jpeg->len, e);
	double t0 = now_s();
	for (unsigned long i = 0; i < n && rc == 0; i++) {
		buf_reset(&sod);
		buf_reset(&dg1);
		if (signer_booklet_nth(first, i, booklet, e) < 0)
			rc = -1;
		else if (strlen(booklet) >= sizeof d.document_number)
			rc = err_set(e, ERR_INPUT, "booklet numbers of at most 9 characters");
		else {
			strcpy(d.document_number, booklet);
			rc = mrz_make_td3(&d, mrz, e) < 0 || lds_put_dg1(&dg1, mrz, e) < 0 ||
			     signer_client_sign_dgs(&c, &dg1, &dg2, &sod, e) < 0 ? -1 : 0;
		}
	}
	*secs = now_s() - t0;
	buf_release(&sod);
	buf_release(&dg1);
	buf_release(&dg2);
	return rc;
}

int main(int argc, char **argv)
{
	const char *ds = NULL, *sock = NULL, *first = NULL, *data = NULL, *photo = NULL;
	unsigned long n = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--ds") == 0)
			ds = argv[i + 1];
		else if (strcmp(argv[i], "--socket") == 0)
			sock = argv[i + 1];
		else if (strcmp(argv[i], "--first") == 0)
			first = argv[i + 1];
		else if (strcmp(argv[i], "--data") == 0)
			data = argv[i + 1];
		else if (strcmp(argv[i], "--photo") == 0)
			photo = argv[i + 1];
		else if (strcmp(argv[i], "--count") == 0)
			n = strtoul(argv[i + 1], NULL, 10);
	}
	if (!ds || !sock || !first || !photo || n == 0 || argc % 2 == 0) {
		fprintf(stderr, "usage: signer_bench --ds DIR --socket PATH --first BOOKLET "
			"--count N --photo JPEG [--data SIGNERDIR]\n");
		return 2;
	}
	struct err e = ERR_INIT;
	struct buf lso, jpeg;
	buf_init(&lso, 4096);
	buf_init(&jpeg, PROTO_DG2_MAX - 256);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	double t_file = 0, t_token = 0, t_signer = 0;
	int rc = 1;
	if (make_lso(&lso, &e) < 0 || fs_read_file(photo, &jpeg, &e) < 0 ||
	    pki_load_signer(ds, &key, &cert, &e) < 0 ||
	    sign_local(key, cert, &lso, n, &t_file, &e) < 0 ||
	    (data && sign_token(data, &lso, n, &t_token, &e) < 0) ||
	    sign_remote(sock, first, &jpeg, n, &t_signer, &e) < 0) {
		fprintf(stderr, "signer_bench: %s\n", e.msg);
		goto out;
	}
	double base = t_file / (double)n;
	printf("signer_bench: %lu EF.SOD signatures each (ECDSA P-256, explicit parameters, "
	       "LSO of %zu bytes), wall time\n", n, lso.len);
	printf("%-44s %8s %9s %10s   %s\n", "", "sigs", "sigs/s", "us/sig", "vs key file");
	report("key file, in process (sod_sign)", n, t_file, 0);
	if (data)
		report("token, in process (pkcs11 engine)", n, t_token, base);
	report("signer: socket + policy + event + token", n, t_signer, base);
	printf("overhead of the signer over a key file: %.0f us a signature",
	       (t_signer - t_file) / (double)n * 1e6);
	if (data)
		printf(" (token %.0f us, socket + policy + durable event %.0f us)",
		       (t_token - t_file) / (double)n * 1e6, (t_signer - t_token) / (double)n * 1e6);
	printf("\n");
	rc = 0;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	buf_release(&lso);
	buf_release(&jpeg);
	return rc;
}
