/*
 * signer_bench — EF.SOD signatures per second through the signer process (Unix socket,
 * policy, durable signer.signed event, key in a PKCS#11 token) beside in-process signing
 * with a key file, in the same run; the overhead is the figure to watch (issue 5).
 * bench/signer_run.sh sets up SoftHSM2, the signer and its stock in a temporary folder
 * and calls this program:
 *
 *   build/bench/signer_bench --ds DIR --socket PATH --first BOOKLET --count N
 *                            [--data SIGNERDIR]
 *
 *   1. key file, in process: sod_sign with DIR/ds.key.pem (pki_load_signer)
 *   2. token, in process (with --data): sod_sign with the token's key through the pkcs11
 *      engine (signer.conf of SIGNERDIR), no socket and no log: splits the overhead
 *      into the token's share and the signer's (socket, policy, durable event)
 *   3. through the signer: N requests for booklets BOOKLET, BOOKLET+1, ... one
 *      connection each (signer_client_sign), each answered after its event is durable
 *
 * All three sign the same LDSSecurityObject (SHA-256, DG1 and DG2 hashes). Times are
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

#include "icao/pki.h"
#include "icao/sod.h"
#include "signer/client.h"
#include "signer/p11.h"
#include "signer/signer.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static int sign_remote(const char *socket_path, const char *first, const struct buf *lso,
		       unsigned long n, double *secs, struct err *e)
{
	struct buf sod;
	buf_init(&sod, PROTO_SOD_MAX);
	char booklet[32];
	struct signer_client c = { socket_path, "BENCH", booklet, 0, "" };
	double t0 = now_s();
	int rc = 0;
	for (unsigned long i = 0; i < n && rc == 0; i++) {
		buf_reset(&sod);
		rc = signer_booklet_nth(first, i, booklet, e) < 0 ||
		     signer_client_sign(&c, lso->data, lso->len, &sod, e) < 0 ? -1 : 0;
	}
	*secs = now_s() - t0;
	buf_release(&sod);
	return rc;
}

int main(int argc, char **argv)
{
	const char *ds = NULL, *sock = NULL, *first = NULL, *data = NULL;
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
		else if (strcmp(argv[i], "--count") == 0)
			n = strtoul(argv[i + 1], NULL, 10);
	}
	if (!ds || !sock || !first || n == 0 || argc % 2 == 0) {
		fprintf(stderr, "usage: signer_bench --ds DIR --socket PATH --first BOOKLET "
			"--count N [--data SIGNERDIR]\n");
		return 2;
	}
	struct err e = ERR_INIT;
	struct buf lso;
	buf_init(&lso, PROTO_LSO_MAX);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	double t_file = 0, t_token = 0, t_signer = 0;
	int rc = 1;
	if (make_lso(&lso, &e) < 0 || pki_load_signer(ds, &key, &cert, &e) < 0 ||
	    sign_local(key, cert, &lso, n, &t_file, &e) < 0 ||
	    (data && sign_token(data, &lso, n, &t_token, &e) < 0) ||
	    sign_remote(sock, first, &lso, n, &t_signer, &e) < 0) {
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
	return rc;
}
