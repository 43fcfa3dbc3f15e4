/*
 * keys — a node's own keys, as files in its data dir's keys/ folder.
 *
 *   keys/node.key   the node's Ed25519 signing key (signs checkpoints), mode 0600, in the
 *                   signed-note private key form (log/note.h, docs/LOG.md):
 *                   "PRIVATE+KEY+<origin>+<key id>+<base64(0x01 ‖ seed)>\n"
 *   keys/node.pub   its verifier key "<origin>+<key id>+<base64(0x01 ‖ public key)>\n"
 *                   (public, mode 0644; what witnesses and auditors are given)
 *   keys/data.key   the data key (32 bytes, id KEYS_DATA_KEY_ID; seals event bodies and
 *                   blobs) wrapped by a key-encryption key (KEK) that is NOT in the data
 *                   dir, mode 0600:
 *                   "paspor-data-key 1\nkdf keyfile|argon2id OPS MEM SALT\n
 *                    nonce B64\nwrapped B64\n"
 *
 * The KEK comes from outside the data dir: a KEK file (base64 of 32 bytes, one line, mode
 * 0600; keys_make_kek_file makes one) or a passphrase stretched with Argon2id (libsodium
 * crypto_pwhash; salt and cost are kept in data.key). Wrapping is XChaCha20-Poly1305
 * with associated data "paspor-data-key 1 <origin>", so a data.key cannot be moved to
 * another origin.
 *
 * Secrets live in sodium_malloc'd memory and are wiped on release; they are never logged.
 * Key files readable or writable by group or others are refused, as is a keys/ folder
 * writable by others.
 *
 * Ownership: struct node_keys owns its signer (note_signer: secret key in sodium memory)
 * and data key; keys_release frees both. Errors: ERR_INPUT (malformed file, no KEK, wrong
 * origin), ERR_VERIFY (KEK does not unwrap the data key), ERR_IO (missing file, unsafe
 * mode), ERR_NOMEM, ERR_CRYPTO.
 */
#ifndef PASPOR_LOG_KEYS_H
#define PASPOR_LOG_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "log/note.h"
#include "util/err.h"

#define KEYS_DATA_KEY_LEN 32
#define KEYS_DATA_KEY_ID 1
#define KEYS_ORIGIN_MAX 255
#define KEYS_PASSPHRASE_MAX 1024

struct kek_source {
	const char *key_file;   /* path of a KEK file, or NULL */
	const char *passphrase; /* or a passphrase (NUL-terminated), or NULL */
	/* Argon2id cost for new wrappings; 0 = libsodium's INTERACTIVE limits. */
	unsigned long long ops;
	size_t mem;
};

struct node_keys {
	char origin[KEYS_ORIGIN_MAX + 1];
	struct note_signer signer; /* name = origin */
	uint8_t *data_key;         /* KEYS_DATA_KEY_LEN bytes, sodium_malloc'd */
};

/* Makes keys/ (dir, mode 0700) with a new node key and a new data key wrapped by the KEK. */
int keys_create(const char *dir, const char *origin, const struct kek_source *kek,
		struct err *e);
/* Loads both keys; checks file modes and that the node key names `origin`. */
int keys_load(const char *dir, const char *origin, const struct kek_source *kek,
	      struct node_keys *k, struct err *e);
/* Loads only the verifier key from node.pub (no KEK needed); v is released by the caller. */
int keys_load_verifier(const char *dir, struct note_verifier *v, struct err *e);
void keys_release(struct node_keys *k);

/* Writes a new random KEK file (base64 of 32 bytes, mode 0600) for tests and the demo;
 * refuses to overwrite an existing file. */
int keys_make_kek_file(const char *path, struct err *e);

/* Reads a passphrase (first line, without its newline) from file descriptor fd into a
 * sodium_malloc'd string (*out; wipe and free with keys_free_passphrase). */
int keys_read_passphrase_fd(int fd, char **out, struct err *e);
void keys_free_passphrase(char *p);

/* The KEK named by a command's options: a KEK file path, or a file descriptor number
 * (decimal text) to read a passphrase from; exactly one must be given (ERR_INPUT
 * otherwise). keys_kek_release wipes and frees the passphrase. */
int keys_kek_from_options(struct kek_source *k, const char *file, const char *fd,
			  struct err *e);
void keys_kek_release(struct kek_source *k);

#endif
