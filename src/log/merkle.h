/*
 * merkle — RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs.
 *
 * Hashes: leaf = SHA-256(0x00 ‖ leaf bytes), interior node = SHA-256(0x01 ‖ left ‖
 * right), both with OpenSSL's SHA-256 through one EVP_MD_CTX and one fetched EVP_MD kept
 * per thread, so no context is made or algorithm fetched per hash (the context is freed
 * when the thread ends; whether OpenSSL 3.0's provider reinitialises its digest state
 * without allocating inside EVP_DigestInit_ex2 is OpenSSL's business). About 5 M node
 * hashes per second per core here. A hash is always MERKLE_HASH_LEN (32) bytes.
 *
 * Nodes are named by (height, index): the node of height h and index k is the root of
 * the complete subtree over leaves [k·2^h, (k+1)·2^h). Generating a root or a proof needs
 * the hashes of such complete nodes only; the caller supplies them through a
 * `struct merkle_source` (tiles.h reads them from stored tiles), so this module holds no
 * tree and does no I/O. The proofs are those of RFC 9162 §2.1.3.1 (PATH) and §2.1.4.1
 * (PROOF/SUBPROOF), ordered as there (the hash nearest the leaf first).
 *
 * Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 and, like transparency-dev/merkle,
 * rejects (ERR_VERIFY) hashes that are not 32 bytes, consistency proofs from size 0 and
 * proofs whose length does not match the sizes; size1 == size2 needs an empty proof and
 * equal roots.
 *
 * Errors: -1 with e filled; ERR_VERIFY when a proof does not verify, ERR_INPUT for
 * impossible arguments (index ≥ size, size 0 roots), ERR_CRYPTO when SHA-256 fails, and
 * whatever the source reported.
 */
#ifndef PASPOR_LOG_MERKLE_H
#define PASPOR_LOG_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define MERKLE_HASH_LEN 32
/* The longest proof for a tree of at most 2^64 − 1 leaves. */
#define MERKLE_MAX_PROOF 64

int merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH_LEN], struct err *e);
int merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
		     uint8_t out[MERKLE_HASH_LEN], struct err *e);
/* SHA-256 of nothing: the root of the empty tree (RFC 9162 §2.1.1). */
void merkle_empty_root(uint8_t out[MERKLE_HASH_LEN]);

/*
 * A source of complete-node hashes. node() writes the hash of node (height, index),
 * which the callers here only ask for when (index + 1) << height ≤ the tree size the
 * source was opened at. Returns 0, or -1 with e set.
 */
struct merkle_source {
	void *ctx;
	int (*node)(void *ctx, unsigned height, uint64_t index, uint8_t out[MERKLE_HASH_LEN],
		    struct err *e);
};

/* MTH(D[lo:hi]) for lo a multiple of the largest power of two < hi − lo (every range
 * RFC 9162's definitions recurse into is one); hi > lo. */
int merkle_range_hash(const struct merkle_source *src, uint64_t lo, uint64_t hi,
		      uint8_t out[MERKLE_HASH_LEN], struct err *e);
/* The root of the tree of the first size leaves (size 0: SHA-256 of nothing). */
int merkle_root(const struct merkle_source *src, uint64_t size, uint8_t out[MERKLE_HASH_LEN],
		struct err *e);

/* A proof: n hashes of MERKLE_HASH_LEN bytes, owned by the struct (no allocation). */
struct merkle_proof {
	size_t n;
	uint8_t hash[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
};

/* The inclusion proof of leaf index in the tree of size leaves; index < size. */
int merkle_inclusion_proof(const struct merkle_source *src, uint64_t index, uint64_t size,
			   struct merkle_proof *out, struct err *e);
/* The consistency proof from size1 to size2; 0 < size1 ≤ size2. */
int merkle_consistency_proof(const struct merkle_source *src, uint64_t size1, uint64_t size2,
			     struct merkle_proof *out, struct err *e);

/*
 * A proof to verify, as it arrives: n hashes of any length (lengths checked here).
 * hash[i] points at len[i] bytes; both arrays are the caller's.
 */
struct merkle_proof_view {
	size_t n;
	const uint8_t *const *hash;
	const size_t *len;
};

/* 0 when proof shows the leaf hash at index in the tree of size with this root. */
int merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t *leaf_hash,
			    size_t leaf_hash_len, const struct merkle_proof_view *proof,
			    const uint8_t *root, size_t root_len, struct err *e);
/* 0 when proof shows the tree of size2 with root2 extends the one of size1 with root1. */
int merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t *root1,
			      size_t root1_len, const uint8_t *root2, size_t root2_len,
			      const struct merkle_proof_view *proof, struct err *e);

/* Wraps a struct merkle_proof as a view (hash and len arrays of MERKLE_MAX_PROOF). */
struct merkle_proof_storage {
	const uint8_t *hash[MERKLE_MAX_PROOF];
	size_t len[MERKLE_MAX_PROOF];
};
void merkle_proof_view_of(const struct merkle_proof *p, struct merkle_proof_storage *st,
			  struct merkle_proof_view *view);

#endif
