/*
 * signer — the Document Signer process (docs/SIGNER.md): its configuration, its event
 * kinds and state tables, the policy it applies to every request, and the serving loop.
 *
 * Data dir (a log node, log/node.h, made with node_create) plus:
 *   DIR/signer.conf   libconfig: module, token, key_label, pin_file (strings),
 *                     per_minute, per_day, warn_days (integers), state (the issuing
 *                     state it signs for, default IDN), timezone (its "today",
 *                     default Asia/Jakarta; both optional for older files)
 *   DIR/ds.cert.pem   the installed DS certificate (its key is in the token)
 *   DIR/csca.cert.pem the issuing CSCA's certificate, when given at install
 *   DIR/signer.sock   the request socket while serving (mode 0660)
 *
 * Event kinds (all clear: booklet numbers and application ids, no personal data):
 *   signer.booklets_added v1 {"first", "count"}          → signer_booklets rows 'stock'
 *   signer.booklet_spoiled v1 {"booklet", "reason"}      → row 'spoiled' (may sign again)
 *   signer.cert_installed v1 {"serial", "subject", "pkup_end"}
 *   signer.signed v1 {"booklet", "app", "lso_sha256", "cert_serial"} (replay only)
 *   signer.signed v2 {"booklet", "app", "document_number", "issue_date", "expiry_date",
 *                     "dg1_hmac", "dg2_hmac", "lso_sha256", "cert_serial"}
 *                    → row 'signed', signer_signatures row (both versions);
 *     dg1_hmac / dg2_hmac: HMAC-SHA256 (hex) of EF.DG1 / EF.DG2 under the signer's
 *     HMAC key (signer_hmac_key: derived from its data key, never logged), so the log
 *     names no person yet lets whoever holds the key match a file it is shown
 *   signer.refused v1 {"booklet", "app", "reason"}        (replay only; no projection)
 *   signer.refused v2 {"booklet", "app", "code", "reason", "peer"}  (no projection):
 *     code one of malformed, oversized, bad_lso (v1 requests, replay only), bad_dg1,
 *     bad_dg2, document_code, issuing_state, nationality, document_number,
 *     unknown_booklet, booklet_signed, clock_behind, rate_minute, rate_day, key_period,
 *     cert_validity, issue_date, expiry, sign_failed; peer
 *     the caller's SO_PEERCRED "uid= gid= pid="; booklet and app "-" when the request
 *     could not be parsed (its bytes are never logged). Every answered request is one
 *     signed or refused event; a connection closed before its first byte is none.
 *
 * Policy, checked on the signer's own tables inside the writer's transaction, in
 * this order: request well formed; the data groups' content (signer/policy.h:
 * signer_check_content); booklet in stock or spoiled (not unknown, not signed); clock
 * not earlier than the last signature; signatures in the last minute / day below the
 * caps; now inside the DS certificate's private key usage period (and validity); the
 * dates (signer_check_dates). Then the signer makes the LDSSecurityObject (SHA-256 of
 * the DGs received), the token signs, and signer.signed is committed before the EF.SOD
 * is returned; a refusal is committed as signer.refused.
 *
 * A list request (proto.h type 2) answers the signatures of a time range from
 * signer_signatures (booklet, application, time; read only, not an event): the office's
 * day close compares them with its own records (docs/DAYCLOSE.md).
 *
 * At start, signer_serve refuses (ERR_VERIFY) an installed certificate that does not
 * certify the token's key. signer_record refuses (ERR_IO, "stop the signer first")
 * while a signer answers on DIR/signer.sock: booklet stock and certificates change only
 * while the signer is stopped (docs/SIGNER.md says why not over the socket).
 *
 * Errors: ERR_INPUT configuration, ERR_IO files and sockets, others from the log.
 */
#ifndef PASPOR_SIGNER_SIGNER_H
#define PASPOR_SIGNER_SIGNER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "log/keys.h"
#include "signer/p11.h"
#include "util/err.h"

#define SIGNER_ACTOR "signer"
#define SIGNER_BOOKLETS_MAX 100000u

#define SIGNER_DEFAULT_STATE "IDN"
#define SIGNER_DEFAULT_ZONE "Asia/Jakarta"
#define SIGNER_HMAC_KEY_LEN 32

struct signer_config {
	char module[512], token[64], key_label[64], pin_file[512];
	unsigned per_minute, per_day, warn_days;
	char state[4];     /* "IDN" */
	char timezone[64]; /* "Asia/Jakarta" */
};

/* 0 when s is an MRZ state code (3 letters, or 1-2 letters padded with '<'), else -1. */
int signer_state_valid(const char *s);
/* 0 when z names a zone file under /usr/share/zoneinfo, else -1. */
int signer_zone_valid(const char *z);

/* The signer's HMAC key for data groups: crypto_kdf (BLAKE2b) subkey 1, context
 * "pspsgnhm", of the data key. out is SIGNER_HMAC_KEY_LEN bytes (the caller wipes it). */
int signer_hmac_key(const uint8_t *data_key, uint8_t *out);
/* Lower-case hex HMAC-SHA256 of p[0..n) under key. */
void signer_hmac_hex(const uint8_t *key, const uint8_t *p, size_t n, char hex[65]);

/* Reads DIR/signer.conf. */
int signer_config_load(const char *dir, struct signer_config *c, struct err *e);
/* Writes DIR/signer.conf (mode 0600). */
int signer_config_write(const char *dir, const struct signer_config *c, struct err *e);
/* The token description of c (pointers into c). */
void signer_config_token(const struct signer_config *c, struct p11_token *t);

/* Registers the signer's kinds (src/main.c). */
int signer_register_kinds(void);

/* Appends one event (body in clear, borrowed) to the data dir's log, durable on return. */
int signer_record(const char *dir, const struct kek_source *kek, const char *kind,
		  const char *subject, const json_t *body, struct err *e);

/* Booklet number + i: the trailing digits counted up, width kept ("X1234567" + 3 →
 * "X1234570"); ERR_INPUT when they run out or the number has no trailing digits. */
int signer_booklet_nth(const char *first, unsigned long i, char out[32], struct err *e);

/* 1 when certificate x certifies public key pub (points compared when x carries explicit
 * EC parameters), else 0. */
int signer_cert_matches(X509 *x, EVP_PKEY *pub);

/* Serves DIR/signer.sock until *stop is set (by a signal handler). */
int signer_serve(const char *dir, const struct kek_source *kek, volatile sig_atomic_t *stop,
		 struct err *e);

#endif
