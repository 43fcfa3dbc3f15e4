/*
 * note — C2SP signed notes (https://c2sp.org/signed-note), checkpoints
 * (https://c2sp.org/tlog-checkpoint) and their Ed25519 keys.
 *
 * A signed note is a text (UTF-8, ending in a newline) followed by a blank line and one
 * or more signature lines "— <name> <base64(key id (4 bytes, big-endian) ‖ signature)>".
 * An Ed25519 key's id is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key);
 * the signature is Ed25519 (libsodium crypto_sign_detached) over the text bytes. A
 * verifier key is distributed as the string "<name>+<8 hex digits of key id>+<base64(0x01
 * ‖ public key)>"; a private key as "PRIVATE+KEY+<name>+<key id>+<base64(0x01 ‖ 32-byte
 * seed)>" (the golang.org/x/mod/sumdb/note encodings).
 *
 * Parsing is strict and follows golang.org/x/mod/sumdb/note: at most NOTE_MAX_LEN bytes,
 * valid UTF-8 with no control character but newline, the signature block after the last
 * blank line, each signature line well formed (name non-empty, no '+', no white space;
 * base64 of at least 5 bytes), at most NOTE_MAX_SIGS lines. Signature lines from unknown
 * keys or of other types are kept (and written back) but ignored by note_verify.
 *
 * A cosignature is another key's signature line on the same text: note_sign adds one for
 * any signer, note_merge_signatures copies the lines of another copy of the same note.
 * (C2SP tlog-cosignature's timestamped type-0x04 form is not implemented: cosigners here
 * sign like the log does.)
 *
 * A checkpoint is the note text "<origin>\n<decimal size>\n<base64 root>\n" followed by
 * optional non-empty extension lines.
 *
 * Ownership: a struct note / checkpoint / note_verifier owns its strings and arrays
 * (mem_alloc) and is freed by its _release; a note_signer holds its secret key in
 * sodium_malloc memory, wiped and freed by note_signer_release. Errors: -1 with e set:
 * ERR_INPUT for malformed input, ERR_VERIFY for a signature that is missing or wrong,
 * ERR_NOMEM, ERR_CRYPTO.
 */
#ifndef PASPOR_LOG_NOTE_H
#define PASPOR_LOG_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "log/merkle.h"
#include "util/buf.h"
#include "util/err.h"

#define NOTE_MAX_LEN (64 * 1024)
#define NOTE_MAX_SIGS 100
#define NOTE_MAX_NAME 256
#define NOTE_ED25519 0x01

struct note_sig {
	char *name;
	uint32_t key_id;
	uint8_t *sig; /* the bytes after the key id */
	size_t sig_len;
};

struct note {
	char *text; /* NUL-terminated; ends with '\n' */
	size_t text_len;
	struct note_sig *sigs;
	size_t nsigs;
};

struct note_verifier {
	char *name;
	uint32_t key_id;
	uint8_t pub[32];
};

struct note_signer {
	char *name;
	uint32_t key_id;
	uint8_t pub[32];
	uint8_t *sk; /* 64 bytes, sodium_malloc */
};

/* 1 when name is a valid key name, else 0. */
int note_name_valid(const char *name, size_t len);
int note_key_id(const char *name, const uint8_t pub[32], uint32_t *id, struct err *e);

int note_verifier_parse(struct note_verifier *v, const char *vkey, struct err *e);
/* Appends v's "<name>+<id>+<base64>" string to out. */
int note_verifier_format(const struct note_verifier *v, struct buf *out, struct err *e);
void note_verifier_release(struct note_verifier *v);

/* A signer from a 32-byte Ed25519 seed, or from a PRIVATE+KEY string. */
int note_signer_init(struct note_signer *s, const char *name, const uint8_t seed[32],
		     struct err *e);
int note_signer_parse(struct note_signer *s, const char *skey, struct err *e);
/* The verifier matching s (v is released by the caller). */
int note_signer_verifier(const struct note_signer *s, struct note_verifier *v, struct err *e);
void note_signer_release(struct note_signer *s);

/* An unsigned note with this text (checked like a parsed one's). */
int note_init(struct note *n, const char *text, size_t len, struct err *e);
int note_parse(struct note *n, const uint8_t *msg, size_t len, struct err *e);
/* Signs the text with s, replacing s's earlier signature line if any. */
int note_sign(struct note *n, const struct note_signer *s, struct err *e);
/* Adds the signature lines of src (same text) that n lacks. */
int note_merge_signatures(struct note *n, const struct note *src, struct err *e);
/* 0 when n has a signature line of v that verifies (and none of v's fails). */
int note_verify(const struct note *n, const struct note_verifier *v, struct err *e);
/* Appends the signed note (text, blank line, signature lines) to out. */
int note_format(const struct note *n, struct buf *out, struct err *e);
void note_release(struct note *n);

struct checkpoint {
	char *origin;
	uint64_t size;
	uint8_t root[MERKLE_HASH_LEN];
	char *extensions; /* "" or complete lines each ending in '\n' */
};

int checkpoint_format(const struct checkpoint *c, struct buf *out, struct err *e);
int checkpoint_parse(struct checkpoint *c, const char *text, size_t len, struct err *e);
void checkpoint_release(struct checkpoint *c);

#endif
