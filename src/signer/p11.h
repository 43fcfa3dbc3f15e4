/*
 * p11 — the Document Signer private key in a PKCS#11 token (docs/SIGNER.md).
 *
 * Two paths, each for what it does best:
 *   - key management (generate, attributes, public key) talks PKCS#11 directly through
 *     p11-kit (p11_kit_module_load): C_GenerateKeyPair with the private key's template
 *     CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true, CKA_EXTRACTABLE false, CKA_SIGN true;
 *   - signing goes through OpenSSL's pkcs11 engine (libengine-pkcs11-openssl), whose
 *     EVP_PKEY is a handle to the key in the token and is used by CMS_sign (icao/sod.h)
 *     and X509_REQ_sign unchanged. The key never leaves the token.
 * A process uses one path at a time (p11_key_* close the module before returning).
 *
 * The key is EC P-256, found by its label (CKA_LABEL) in the token with the given token
 * label; the user PIN is read from a file (never from argv), first line.
 *
 * Ownership: struct p11_token holds borrowed strings. p11_load_key hands back an
 * engine reference and a key that the caller frees with p11_key_release.
 * Errors: ERR_INPUT bad configuration or PIN file, a missing token or key, a key that
 * exists already; ERR_CRYPTO a PKCS#11 or engine failure (the message names the call
 * and the CKR_ code); ERR_NOMEM.
 */
#ifndef PASPOR_SIGNER_P11_H
#define PASPOR_SIGNER_P11_H

#include <openssl/evp.h>

#include "util/err.h"

#define P11_LABEL_MAX 32

struct p11_token {
	const char *module;    /* path of the PKCS#11 module */
	const char *token;     /* token label */
	const char *key_label; /* CKA_LABEL of the key pair */
	const char *pin_file;  /* user PIN, first line */
};

/* What the token says of the private key. */
struct p11_key_info {
	int sensitive, always_sensitive, extractable, never_extractable, sign;
};

/* Generates an EC P-256 key pair inside the token; ERR_INPUT when one with the label
 * exists. */
int p11_key_generate(const struct p11_token *t, struct err *e);
/* Reads the private key's attributes (ERR_INPUT when there is no such key). */
int p11_key_info(const struct p11_token *t, struct p11_key_info *info, struct err *e);
/* The public key of the pair (from CKA_EC_POINT), as an EVP_PKEY on P-256. */
int p11_public_key(const struct p11_token *t, EVP_PKEY **pub, struct err *e);

/* The private key through the pkcs11 engine: a handle usable by CMS_sign. */
struct p11_key {
	void *engine; /* ENGINE * */
	EVP_PKEY *key;
};
int p11_load_key(const struct p11_token *t, struct p11_key *k, struct err *e);
void p11_key_release(struct p11_key *k);

/* Reads a PIN file (first line, at most 64 bytes) into pin[65]; refuses a file that
 * group or others may read. */
int p11_read_pin(const char *path, char pin[65], struct err *e);

#endif
