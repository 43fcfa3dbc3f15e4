/*
 * blobs — the encrypted blob store of a node: face photos, fingerprints, document scans
 * (docs/BLOBS.md is the contract: file format, key derivation, naming, layout).
 *
 * A blob is stored once, in <blobs_dir>/<ab>/<name>, where name is the 64-hex keyed
 * BLAKE2b-256 of its content under the naming sub-key of the node's data key (the same
 * content gets the same name, the name says nothing about the content without the key)
 * and <ab> its first two characters. The file is
 *   "PSPB" ‖ format 0x01 ‖ nonce (24) ‖ XChaCha20-Poly1305 ciphertext ‖ tag (16)
 * sealed under the blob sub-key, with associated data "PSPB" ‖ 0x01 ‖ the 32-byte name,
 * so a file moved to another name or given another format byte does not open. Neither
 * sub-key is the data key itself: both come from crypto_kdf_derive_from_key (context
 * "paspblob", ids 1 and 2).
 *
 * Events refer to a blob by struct blob_ref: its name, the SHA-256 of the stored file
 * and the stored file's size. blobs_verify checks a ref with no key (anyone holding a
 * replica or backup can); blobs_get needs the key and checks everything.
 *
 * Writes are atomic and never replace a file (util/fs.h fs_write_new): a crash leaves
 * no blob or the whole blob, plus at most a "<name>.tmp.XXXXXX" file in the shard
 * folder, which readers never open and blobs_gc_temp removes. Putting content that is
 * already stored reuses the stored file (after checking it opens and matches) and
 * returns its ref, so refs recorded earlier stay valid; concurrent puts of the same
 * content, from threads or processes, all return the ref of the one file that won.
 *
 * Ownership: keys, data and names are borrowed; nothing is kept after a call returns.
 * Sub-keys live on the stack and are wiped (sodium_memzero) before every return, as is
 * decrypted content on failure. Functions are thread-safe (no shared state).
 *
 * Errors (struct err, -1): ERR_INPUT a malformed name or ref, a missing key, content
 * over BLOBS_MAX; ERR_VERIFY the blob is missing, damaged, truncated, replaced, sealed
 * under another key or does not match its ref (the message names the blob);
 * ERR_IO the file system failed (cannot create, write, read); ERR_NOMEM; ERR_CRYPTO
 * libsodium could not start.
 */
#ifndef PASPOR_LOG_BLOBS_H
#define PASPOR_LOG_BLOBS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define BLOBS_FORMAT 1
#define BLOBS_MAGIC "PSPB"
#define BLOBS_HEADER_BYTES 5   /* magic (4) + format (1) */
#define BLOBS_NONCE_BYTES 24
#define BLOBS_TAG_BYTES 16
#define BLOBS_KEY_BYTES 32
#define BLOBS_NAME_BYTES 32    /* the name as bytes; 64 lower-case hex characters */
#define BLOBS_OVERHEAD (BLOBS_HEADER_BYTES + BLOBS_NONCE_BYTES + BLOBS_TAG_BYTES)
#define BLOBS_MAX ((size_t)16 << 20)                  /* content cap: 16 MiB */
#define BLOBS_FILE_MAX (BLOBS_MAX + BLOBS_OVERHEAD)   /* stored file cap */
#define BLOBS_KDF_CONTEXT "paspblob"
#define BLOBS_KDF_ID_SEAL 1
#define BLOBS_KDF_ID_NAME 2

struct blob_ref {
	char name[65];       /* 64 lower-case hex characters + NUL */
	uint8_t sha256[32];  /* SHA-256 of the stored file (ciphertext with header) */
	uint64_t size;       /* bytes of the stored file = content length + BLOBS_OVERHEAD */
};

/* 1 when name is 64 lower-case hex characters, 0 otherwise. */
int blobs_name_ok(const char *name);

/* The name content would be stored under (no file is touched). */
int blobs_name(const uint8_t key[BLOBS_KEY_BYTES], const void *data, size_t len,
	       char name[65], struct err *e);

/* "<blobs_dir>/<ab>/<name>" (mem_free it); NULL when out of memory or name is not
 * well formed. */
char *blobs_path(const char *blobs_dir, const char *name);

/* Encrypts and stores data (len ≤ BLOBS_MAX; data may be NULL when len is 0) and fills
 * *out. Creates blobs_dir (one level, 0700) and the shard folder if needed; files are
 * 0600. If the blob exists already and opens under key to the same content, it is kept
 * and its ref returned; if it exists but does not open, ERR_VERIFY (the damaged file
 * is kept as evidence: restore it from a backup, or remove it and put again). */
int blobs_put(const char *blobs_dir, const uint8_t key[BLOBS_KEY_BYTES], const void *data,
	      size_t len, struct blob_ref *out, struct err *e);

/* Reads blob name, checks its header, decrypts it (the associated data binds the name
 * and format) and checks the content hashes back to name; appends the content to out
 * (initialised by the caller, with a cap ≥ the content). On failure out is left as it
 * was and no content is left in memory. */
int blobs_get(const char *blobs_dir, const uint8_t key[BLOBS_KEY_BYTES], const char *name,
	      struct buf *out, struct err *e);

/* No key needed: the file of ref->name exists, is a regular file of ref->size bytes
 * whose SHA-256 is ref->sha256. ERR_VERIFY naming the blob otherwise. */
int blobs_verify(const char *blobs_dir, const struct blob_ref *ref, struct err *e);

/* Fills ref from the textual form kept in events: name and the SHA-256 as 64 hex
 * characters (lower or upper case). ERR_INPUT when either is malformed. */
int blobs_ref_set(struct blob_ref *ref, const char *name, const char *sha256_hex,
		  uint64_t size, struct err *e);
/* ref->sha256 as 64 lower-case hex characters + NUL. */
void blobs_sha256_hex(const struct blob_ref *ref, char hex[65]);

/* Removes temporary files ("<name>.tmp.*") left in the shard folders by interrupted
 * writes, if last modified at least min_age_s seconds ago (so a write in progress in
 * another thread or process is not disturbed; 0 removes all). A missing blobs_dir is
 * not an error. *removed (may be NULL) counts the files removed. */
int blobs_gc_temp(const char *blobs_dir, long min_age_s, size_t *removed, struct err *e);

#endif
