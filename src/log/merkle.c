/* RFC 9162 Merkle hashing and proofs: see merkle.h. */
#include "log/merkle.h"

#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

static pthread_once_t sha_once = PTHREAD_ONCE_INIT;
static pthread_key_t sha_key;
static EVP_MD *sha_md;            /* fetched once, kept for the process */
static _Thread_local EVP_MD_CTX *sha_ctx;

static void sha_ctx_free(void *p)
{
	EVP_MD_CTX_free(p);
}

static void sha_init_once(void)
{
	sha_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	(void)pthread_key_create(&sha_key, sha_ctx_free);
}

/* SHA-256(prefix ‖ a ‖ b) with this thread's context. */
static int sha256_3(uint8_t prefix, const void *a, size_t alen, const void *b, size_t blen,
		    uint8_t out[MERKLE_HASH_LEN], struct err *e)
{
	if (!sha_ctx) {
		pthread_once(&sha_once, sha_init_once);
		if (!sha_md)
			return err_openssl(e, ERR_CRYPTO, "cannot fetch sha-256");
		sha_ctx = EVP_MD_CTX_new();
		if (!sha_ctx)
			return err_openssl(e, ERR_CRYPTO, "cannot make a sha-256 context");
		(void)pthread_setspecific(sha_key, sha_ctx);
	}
	unsigned int n = 0;
	if (EVP_DigestInit_ex2(sha_ctx, sha_md, NULL) != 1 ||
	    EVP_DigestUpdate(sha_ctx, &prefix, 1) != 1 ||
	    (alen && EVP_DigestUpdate(sha_ctx, a, alen) != 1) ||
	    (blen && EVP_DigestUpdate(sha_ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(sha_ctx, out, &n) != 1 || n != MERKLE_HASH_LEN)
		return err_openssl(e, ERR_CRYPTO, "sha-256 failed");
	return 0;
}

int merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH_LEN], struct err *e)
{
	return sha256_3(0x00, data, len, NULL, 0, out, e);
}

int merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN], const uint8_t right[MERKLE_HASH_LEN],
		     uint8_t out[MERKLE_HASH_LEN], struct err *e)
{
	return sha256_3(0x01, left, MERKLE_HASH_LEN, right, MERKLE_HASH_LEN, out, e);
}

void merkle_empty_root(uint8_t out[MERKLE_HASH_LEN])
{
	static const uint8_t empty[MERKLE_HASH_LEN] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
		0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
		0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	memcpy(out, empty, MERKLE_HASH_LEN);
}

/* The largest power of two strictly below n (n ≥ 2). */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = 1;
	while (k < n - k)
		k <<= 1;
	return k;
}

static unsigned ctz64(uint64_t x)
{
	return (unsigned)__builtin_ctzll(x);
}

int merkle_range_hash(const struct merkle_source *src, uint64_t lo, uint64_t hi,
		      uint8_t out[MERKLE_HASH_LEN], struct err *e)
{
	if (hi <= lo)
		return err_set(e, ERR_INPUT, "empty merkle range %llu..%llu",
			       (unsigned long long)lo, (unsigned long long)hi);
	/* The range splits into complete subtrees, one per set bit of hi − lo from the
	 * top; MTH folds them from the right. Walk them right to left. */
	uint64_t n = hi - lo;
	uint64_t end = hi;
	int have = 0;
	uint8_t acc[MERKLE_HASH_LEN], node[MERKLE_HASH_LEN];
	while (n) {
		unsigned h = ctz64(n);
		uint64_t width = (uint64_t)1 << h;
		uint64_t start = end - width;
		if (start & (width - 1))
			return err_set(e, ERR_INPUT, "merkle range %llu..%llu is not aligned",
				       (unsigned long long)lo, (unsigned long long)hi);
		if (src->node(src->ctx, h, start >> h, have ? node : acc, e) < 0)
			return -1;
		if (have && merkle_node_hash(node, acc, acc, e) < 0)
			return -1;
		have = 1;
		end = start;
		n &= n - 1;
	}
	memcpy(out, acc, MERKLE_HASH_LEN);
	return 0;
}

int merkle_root(const struct merkle_source *src, uint64_t size, uint8_t out[MERKLE_HASH_LEN],
		struct err *e)
{
	if (size == 0) {
		merkle_empty_root(out);
		return 0;
	}
	return merkle_range_hash(src, 0, size, out, e);
}

static void reverse(struct merkle_proof *p, size_t from)
{
	for (size_t i = from, j = p->n; i + 1 < j; i++, j--) {
		uint8_t t[MERKLE_HASH_LEN];
		memcpy(t, p->hash[i], MERKLE_HASH_LEN);
		memcpy(p->hash[i], p->hash[j - 1], MERKLE_HASH_LEN);
		memcpy(p->hash[j - 1], t, MERKLE_HASH_LEN);
	}
}

int merkle_inclusion_proof(const struct merkle_source *src, uint64_t index, uint64_t size,
			   struct merkle_proof *out, struct err *e)
{
	out->n = 0;
	if (index >= size)
		return err_set(e, ERR_INPUT, "leaf index %llu is not below tree size %llu",
			       (unsigned long long)index, (unsigned long long)size);
	/* RFC 9162 §2.1.3.1 PATH, walked from the root down; the siblings come out root
	 * first, so reverse them at the end. */
	uint64_t lo = 0, hi = size;
	while (hi - lo > 1) {
		uint64_t k = split_point(hi - lo);
		if (out->n == MERKLE_MAX_PROOF)
			return err_set(e, ERR_INTERNAL, "inclusion proof too long");
		if (index < lo + k) {
			if (merkle_range_hash(src, lo + k, hi, out->hash[out->n], e) < 0)
				return -1;
			hi = lo + k;
		} else {
			if (merkle_range_hash(src, lo, lo + k, out->hash[out->n], e) < 0)
				return -1;
			lo += k;
		}
		out->n++;
	}
	reverse(out, 0);
	return 0;
}

int merkle_consistency_proof(const struct merkle_source *src, uint64_t size1, uint64_t size2,
			     struct merkle_proof *out, struct err *e)
{
	out->n = 0;
	if (size1 == 0 || size1 > size2)
		return err_set(e, ERR_INPUT, "no consistency proof from size %llu to size %llu",
			       (unsigned long long)size1, (unsigned long long)size2);
	/* RFC 9162 §2.1.4.1 SUBPROOF from the root down: each step adds one sibling; the
	 * final subtree (when it is not the whole old tree) comes first in the proof. */
	struct merkle_proof sib;
	sib.n = 0;
	uint64_t lo = 0, hi = size2, m = size1;
	int whole = 1;
	while (m != hi - lo) {
		uint64_t k = split_point(hi - lo);
		if (sib.n == MERKLE_MAX_PROOF)
			return err_set(e, ERR_INTERNAL, "consistency proof too long");
		if (m <= k) {
			if (merkle_range_hash(src, lo + k, hi, sib.hash[sib.n], e) < 0)
				return -1;
			hi = lo + k;
		} else {
			if (merkle_range_hash(src, lo, lo + k, sib.hash[sib.n], e) < 0)
				return -1;
			lo += k;
			m -= k;
			whole = 0;
		}
		sib.n++;
	}
	if (!whole) {
		if (merkle_range_hash(src, lo, hi, out->hash[0], e) < 0)
			return -1;
		out->n = 1;
	}
	if (out->n + sib.n > MERKLE_MAX_PROOF)
		return err_set(e, ERR_INTERNAL, "consistency proof too long");
	for (size_t i = 0; i < sib.n; i++)
		memcpy(out->hash[out->n + i], sib.hash[sib.n - 1 - i], MERKLE_HASH_LEN);
	out->n += sib.n;
	return 0;
}

void merkle_proof_view_of(const struct merkle_proof *p, struct merkle_proof_storage *st,
			  struct merkle_proof_view *view)
{
	for (size_t i = 0; i < p->n && i < MERKLE_MAX_PROOF; i++) {
		st->hash[i] = p->hash[i];
		st->len[i] = MERKLE_HASH_LEN;
	}
	view->n = p->n;
	view->hash = st->hash;
	view->len = st->len;
}

static int check_len(const char *what, size_t len, struct err *e)
{
	if (len != MERKLE_HASH_LEN)
		return err_set(e, ERR_VERIFY, "%s is %zu bytes, not %d", what, len, MERKLE_HASH_LEN);
	return 0;
}

static int check_proof_hashes(const struct merkle_proof_view *proof, struct err *e)
{
	if (proof->n > MERKLE_MAX_PROOF)
		return err_set(e, ERR_VERIFY, "proof has %zu hashes, more than %d", proof->n,
			       MERKLE_MAX_PROOF);
	for (size_t i = 0; i < proof->n; i++)
		if (proof->len[i] != MERKLE_HASH_LEN)
			return err_set(e, ERR_VERIFY, "proof hash %zu is %zu bytes, not %d", i,
				       proof->len[i], MERKLE_HASH_LEN);
	return 0;
}

/* One step up a proof path (RFC 9162 §2.1.3.2 and §2.1.4.2, which share it): c is the
 * proof's next hash, fn and sn the node indexes. When c is the left sibling, it is hashed
 * into sr and (consistency proofs) fr; otherwise sr gets c on its right. */
static int proof_step(const uint8_t *c, uint8_t *fr, uint8_t *sr, uint64_t *fn, uint64_t *sn,
		      struct err *e)
{
	if ((*fn & 1) || *fn == *sn) {
		if ((fr && merkle_node_hash(c, fr, fr, e) < 0) || merkle_node_hash(c, sr, sr, e) < 0)
			return -1;
		while (*fn && !(*fn & 1)) {
			*fn >>= 1;
			*sn >>= 1;
		}
	} else if (merkle_node_hash(sr, c, sr, e) < 0) {
		return -1;
	}
	*fn >>= 1;
	*sn >>= 1;
	return 0;
}

int merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t *leaf_hash,
			    size_t leaf_hash_len, const struct merkle_proof_view *proof,
			    const uint8_t *root, size_t root_len, struct err *e)
{
	if (check_len("leaf hash", leaf_hash_len, e) < 0 || check_len("root", root_len, e) < 0 ||
	    check_proof_hashes(proof, e) < 0)
		return -1;
	if (index >= size)
		return err_set(e, ERR_VERIFY, "leaf index %llu is not below tree size %llu",
			       (unsigned long long)index, (unsigned long long)size);
	/* RFC 9162 §2.1.3.2 */
	uint64_t fn = index, sn = size - 1;
	uint8_t r[MERKLE_HASH_LEN];
	memcpy(r, leaf_hash, MERKLE_HASH_LEN);
	for (size_t i = 0; i < proof->n; i++) {
		if (sn == 0)
			return err_set(e, ERR_VERIFY, "inclusion proof has too many hashes");
		if (proof_step(proof->hash[i], NULL, r, &fn, &sn, e) < 0)
			return -1;
	}
	if (sn != 0)
		return err_set(e, ERR_VERIFY, "inclusion proof has too few hashes");
	if (memcmp(r, root, MERKLE_HASH_LEN) != 0)
		return err_set(e, ERR_VERIFY, "inclusion proof does not lead to the root");
	return 0;
}

int merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t *root1,
			      size_t root1_len, const uint8_t *root2, size_t root2_len,
			      const struct merkle_proof_view *proof, struct err *e)
{
	if (check_len("root1", root1_len, e) < 0 || check_len("root2", root2_len, e) < 0 ||
	    check_proof_hashes(proof, e) < 0)
		return -1;
	if (size1 == 0)
		return err_set(e, ERR_VERIFY, "consistency proof from size 0 is meaningless");
	if (size2 < size1)
		return err_set(e, ERR_VERIFY, "size2 %llu is below size1 %llu",
			       (unsigned long long)size2, (unsigned long long)size1);
	if (size1 == size2) {
		if (proof->n)
			return err_set(e, ERR_VERIFY, "size1 equals size2 but the proof is not empty");
		if (memcmp(root1, root2, MERKLE_HASH_LEN) != 0)
			return err_set(e, ERR_VERIFY, "equal sizes with different roots");
		return 0;
	}
	if (proof->n == 0)
		return err_set(e, ERR_VERIFY, "consistency proof is empty");
	/* RFC 9162 §2.1.4.2; path = [root1 if size1 is a power of two] ‖ proof */
	const uint8_t *path[MERKLE_MAX_PROOF + 1];
	size_t n = 0;
	if ((size1 & (size1 - 1)) == 0)
		path[n++] = root1;
	for (size_t i = 0; i < proof->n; i++)
		path[n++] = proof->hash[i];
	uint64_t fn = size1 - 1, sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
	memcpy(fr, path[0], MERKLE_HASH_LEN);
	memcpy(sr, path[0], MERKLE_HASH_LEN);
	for (size_t i = 1; i < n; i++) {
		if (sn == 0)
			return err_set(e, ERR_VERIFY, "consistency proof has too many hashes");
		if (proof_step(path[i], fr, sr, &fn, &sn, e) < 0)
			return -1;
	}
	if (sn != 0)
		return err_set(e, ERR_VERIFY, "consistency proof has too few hashes");
	if (memcmp(fr, root1, MERKLE_HASH_LEN) != 0)
		return err_set(e, ERR_VERIFY, "consistency proof does not lead to root1");
	if (memcmp(sr, root2, MERKLE_HASH_LEN) != 0)
		return err_set(e, ERR_VERIFY, "consistency proof does not lead to root2");
	return 0;
}
