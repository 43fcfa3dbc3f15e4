#include "log/blobs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "util/alloc.h"
#include "util/sodium_ready.h"
#include "util/fs.h"

_Static_assert(BLOBS_NONCE_BYTES == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce");
_Static_assert(BLOBS_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag");
_Static_assert(BLOBS_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "key");
_Static_assert(BLOBS_KEY_BYTES == crypto_kdf_KEYBYTES, "kdf master key");
_Static_assert(sizeof BLOBS_KDF_CONTEXT - 1 == crypto_kdf_CONTEXTBYTES, "kdf context");
_Static_assert(sizeof BLOBS_MAGIC - 1 + 1 == BLOBS_HEADER_BYTES, "header");

#define AAD_BYTES (BLOBS_HEADER_BYTES + BLOBS_NAME_BYTES)

/* The two sub-keys of the data key (docs/BLOBS.md, "Keys"). */
struct subkeys {
	uint8_t seal[BLOBS_KEY_BYTES];
	uint8_t name[BLOBS_KEY_BYTES];
};

static int derive(const uint8_t key[BLOBS_KEY_BYTES], struct subkeys *k, struct err *e)
{
	if (!key)
		return err_set(e, ERR_INPUT, "no data key given for the blob store");
	if (libsodium_ready(e) < 0)
		return -1;
	if (crypto_kdf_derive_from_key(k->seal, sizeof k->seal, BLOBS_KDF_ID_SEAL,
				       BLOBS_KDF_CONTEXT, key) != 0 ||
	    crypto_kdf_derive_from_key(k->name, sizeof k->name, BLOBS_KDF_ID_NAME,
				       BLOBS_KDF_CONTEXT, key) != 0) {
		sodium_memzero(k, sizeof *k);
		return err_set(e, ERR_CRYPTO, "cannot derive the blob keys");
	}
	return 0;
}

static void content_name(const struct subkeys *k, const void *data, size_t len,
			 uint8_t name[BLOBS_NAME_BYTES])
{
	static const uint8_t empty;
	crypto_generichash(name, BLOBS_NAME_BYTES, len ? data : &empty, len, k->name,
			   sizeof k->name);
}

static int lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* 1 when s starts with n lower-case hex characters. */
static int lower_hex_prefix(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!lower_hex(s[i]))
			return 0;
	return 1;
}

int blobs_name_ok(const char *name)
{
	return name && lower_hex_prefix(name, 64) && name[64] == '\0';
}

/* 64 hex characters to 32 bytes; -1 when malformed. */
static int unhex32(const char *s, uint8_t out[32])
{
	size_t n = 0;
	return strlen(s) == 64 && sodium_hex2bin(out, 32, s, 64, NULL, &n, NULL) == 0 && n == 32
		       ? 0 : -1;
}

/* 32 bytes to 64 lower-case hex characters */
static void hex32(const uint8_t in[32], char out[65])
{
	sodium_bin2hex(out, 65, in, 32);
}

int blobs_name(const uint8_t key[BLOBS_KEY_BYTES], const void *data, size_t len,
	       char name[65], struct err *e)
{
	if (len > BLOBS_MAX)
		return err_set(e, ERR_INPUT, "blob of %zu bytes is over the cap of %zu", len,
			       BLOBS_MAX);
	struct subkeys k;
	if (derive(key, &k, e) < 0)
		return -1;
	uint8_t raw[BLOBS_NAME_BYTES];
	content_name(&k, data, len, raw);
	sodium_memzero(&k, sizeof k);
	hex32(raw, name);
	return 0;
}

char *blobs_path(const char *blobs_dir, const char *name)
{
	if (!blobs_name_ok(name))
		return NULL;
	size_t n = strlen(blobs_dir) + 1 + 2 + 1 + 64 + 1;
	char *p = mem_alloc(n);
	if (p)
		snprintf(p, n, "%s/%.2s/%s", blobs_dir, name, name);
	return p;
}

static void make_aad(const uint8_t name[BLOBS_NAME_BYTES], uint8_t aad[AAD_BYTES])
{
	memcpy(aad, BLOBS_MAGIC, 4);
	aad[4] = BLOBS_FORMAT;
	memcpy(aad + BLOBS_HEADER_BYTES, name, BLOBS_NAME_BYTES);
}

/*
 * Checks the stored bytes f (n bytes) of blob `name` and decrypts them onto the end of
 * out; the content must hash back to name. On failure out keeps its old length and the
 * bytes written past it are wiped.
 */
static int open_file(const uint8_t *f, size_t n, const struct subkeys *k,
		     const uint8_t name[BLOBS_NAME_BYTES], const char *hexname,
		     struct buf *out, struct err *e)
{
	if (n < BLOBS_OVERHEAD)
		return err_set(e, ERR_VERIFY, "blob '%s' is truncated (%zu bytes, at least %d)",
			       hexname, n, BLOBS_OVERHEAD);
	if (memcmp(f, BLOBS_MAGIC, 4) != 0)
		return err_set(e, ERR_VERIFY,
			       "blob '%s' is not a paspor blob (no '" BLOBS_MAGIC "' magic): "
			       "overwritten or encrypted by someone else", hexname);
	if (f[4] != BLOBS_FORMAT)
		return err_set(e, ERR_VERIFY, "blob '%s' has unknown format %u", hexname,
			       (unsigned)f[4]);
	if (n > BLOBS_FILE_MAX)
		return err_set(e, ERR_VERIFY, "blob '%s' is over the cap of %zu bytes", hexname,
			       BLOBS_FILE_MAX);
	size_t clen = n - BLOBS_HEADER_BYTES - BLOBS_NONCE_BYTES;
	size_t mlen = clen - BLOBS_TAG_BYTES;
	if (buf_grow(out, mlen) < 0)
		return out->len + mlen > out->max
			? err_set(e, ERR_INPUT, "blob '%s' (%zu bytes) does not fit the buffer",
				  hexname, mlen)
			: err_nomem(e);
	uint8_t aad[AAD_BYTES];
	make_aad(name, aad);
	uint8_t *m = out->data + out->len;
	unsigned long long got = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		    m, &got, NULL, f + BLOBS_HEADER_BYTES + BLOBS_NONCE_BYTES, clen, aad,
		    sizeof aad, f + BLOBS_HEADER_BYTES, k->seal) != 0) {
		sodium_memzero(m, mlen);
		return err_set(e, ERR_VERIFY,
			       "blob '%s' does not authenticate: damaged, renamed or sealed "
			       "under another key", hexname);
	}
	uint8_t check[BLOBS_NAME_BYTES];
	content_name(k, m, mlen, check);
	if (sodium_memcmp(check, name, sizeof check) != 0) {
		sodium_memzero(m, mlen);
		return err_set(e, ERR_VERIFY, "blob '%s' holds content that does not hash to "
			       "its name", hexname);
	}
	out->len += mlen;
	out->data[out->len] = '\0';
	return 0;
}

/* Reads the stored file of a blob; ERR_VERIFY when missing or over the cap. */
static int read_stored(const char *path, const char *hexname, struct buf *f, struct err *e)
{
	buf_init(f, BLOBS_FILE_MAX);
	if (buf_read_file(f, path) == 0)
		return 0;
	int saved = errno;
	buf_release(f);
	if (saved == ENOENT)
		return err_set(e, ERR_VERIFY, "blob '%s' is missing", hexname);
	if (saved == EFBIG)
		return err_set(e, ERR_VERIFY, "blob '%s' is over the cap of %zu bytes", hexname,
			       BLOBS_FILE_MAX);
	if (saved == ENOMEM)
		return err_nomem(e);
	errno = saved;
	return err_errno(e, ERR_IO, "cannot read blob '%s'", path);
}

/* The blob already stored at path: keep it if it opens to the content named, and
 * describe it in *out. */
static int reuse_existing(const char *path, const struct subkeys *k,
			  const uint8_t name[BLOBS_NAME_BYTES], struct blob_ref *out,
			  struct err *e)
{
	struct buf f, content;
	if (read_stored(path, out->name, &f, e) < 0)
		return -1;
	buf_init(&content, BLOBS_MAX);
	int rc = open_file(f.data, f.len, k, name, out->name, &content, e);
	if (content.data)
		sodium_memzero(content.data, content.len);
	buf_release(&content);
	if (rc == 0) {
		crypto_hash_sha256(out->sha256, f.data, f.len);
		out->size = f.len;
	} else if (e && e->code == ERR_VERIFY) {
		err_prefix(e, "cannot store blob: the stored copy is bad");
	}
	buf_release(&f);
	return rc;
}

/* Creates dir if missing; when it was created, fsyncs its parent so the new entry
 * survives a crash. */
static int make_dir(const char *dir, const char *parent, struct err *e)
{
	if (mkdir(dir, 0700) < 0) {
		struct stat st;
		if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		return err_errno(e, ERR_IO, "cannot create directory '%s'", dir);
	}
	if (!parent)
		return 0;
	int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		err_errno(e, ERR_IO, "cannot sync directory '%s'", parent);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int blobs_put(const char *blobs_dir, const uint8_t key[BLOBS_KEY_BYTES], const void *data,
	      size_t len, struct blob_ref *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	if (len > BLOBS_MAX)
		return err_set(e, ERR_INPUT, "blob of %zu bytes is over the cap of %zu", len,
			       BLOBS_MAX);
	if (len && !data)
		return err_set(e, ERR_INPUT, "no blob content given");
	struct subkeys k;
	if (derive(key, &k, e) < 0)
		return -1;
	uint8_t name[BLOBS_NAME_BYTES];
	content_name(&k, data, len, name);
	hex32(name, out->name);

	int rc = -1;
	char *path = blobs_path(blobs_dir, out->name);
	/* "<blobs_dir>/ab" */
	char *shard = path ? mem_strndup(path, strlen(blobs_dir) + 3) : NULL;
	uint8_t *file = NULL;
	if (!path || !shard) {
		err_nomem(e);
		goto done;
	}
	if (make_dir(blobs_dir, NULL, e) < 0 || make_dir(shard, blobs_dir, e) < 0)
		goto done;

	struct stat st;
	if (lstat(path, &st) == 0) {
		rc = reuse_existing(path, &k, name, out, e);
		goto done;
	}
	if (errno != ENOENT) {
		err_errno(e, ERR_IO, "cannot look up blob '%s'", path);
		goto done;
	}

	size_t n = len + BLOBS_OVERHEAD;
	file = mem_alloc(n);
	if (!file) {
		err_nomem(e);
		goto done;
	}
	memcpy(file, BLOBS_MAGIC, 4);
	file[4] = BLOBS_FORMAT;
	randombytes_buf(file + BLOBS_HEADER_BYTES, BLOBS_NONCE_BYTES);
	uint8_t aad[AAD_BYTES];
	make_aad(name, aad);
	static const uint8_t empty;
	crypto_aead_xchacha20poly1305_ietf_encrypt(
		file + BLOBS_HEADER_BYTES + BLOBS_NONCE_BYTES, NULL, len ? data : &empty, len,
		aad, sizeof aad, NULL, file + BLOBS_HEADER_BYTES, k.seal);
	int w = fs_write_new(path, file, n, 0600, e);
	if (w < 0) {
		goto done;
	} else if (w == 1) {
		/* Another writer stored the same content first: use its file. */
		rc = reuse_existing(path, &k, name, out, e);
		goto done;
	}
	crypto_hash_sha256(out->sha256, file, n);
	out->size = n;
	rc = 0;
done:
	sodium_memzero(&k, sizeof k);
	mem_free(file);
	mem_free(shard);
	mem_free(path);
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}

int blobs_get(const char *blobs_dir, const uint8_t key[BLOBS_KEY_BYTES], const char *name,
	      struct buf *out, struct err *e)
{
	uint8_t raw[BLOBS_NAME_BYTES];
	if (!blobs_name_ok(name) || unhex32(name, raw) < 0)
		return err_set(e, ERR_INPUT, "blob name is not 64 lower-case hex characters");
	struct subkeys k;
	if (derive(key, &k, e) < 0)
		return -1;
	int rc = -1;
	struct buf f;
	char *path = blobs_path(blobs_dir, name);
	if (!path) {
		err_nomem(e);
		goto done;
	}
	if (read_stored(path, name, &f, e) < 0)
		goto done;
	rc = open_file(f.data, f.len, &k, raw, name, out, e);
	buf_release(&f);
done:
	sodium_memzero(&k, sizeof k);
	mem_free(path);
	return rc;
}

int blobs_verify(const char *blobs_dir, const struct blob_ref *ref, struct err *e)
{
	if (!blobs_name_ok(ref->name))
		return err_set(e, ERR_INPUT, "blob name is not 64 lower-case hex characters");
	if (libsodium_ready(e) < 0)
		return -1;
	char *path = blobs_path(blobs_dir, ref->name);
	if (!path)
		return err_nomem(e);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			err_set(e, ERR_VERIFY, "blob '%s' is missing", ref->name);
		else if (errno == ELOOP)
			err_set(e, ERR_VERIFY, "blob '%s' is a symbolic link", ref->name);
		else
			err_errno(e, ERR_IO, "cannot open blob '%s'", path);
		mem_free(path);
		return -1;
	}
	int rc = -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err_errno(e, ERR_IO, "cannot stat blob '%s'", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, ERR_VERIFY, "blob '%s' is not a regular file", ref->name);
		goto done;
	}
	if ((uint64_t)st.st_size != ref->size) {
		uint8_t magic[4];
		int foreign = pread(fd, magic, sizeof magic, 0) != (ssize_t)sizeof magic ||
			      memcmp(magic, BLOBS_MAGIC, 4) != 0;
		err_set(e, ERR_VERIFY, "blob '%s' has %lld bytes, %llu were recorded%s",
			ref->name, (long long)st.st_size, (unsigned long long)ref->size,
			foreign ? ", and it is not a paspor blob (no '" BLOBS_MAGIC "' magic): "
				  "overwritten or encrypted by someone else" : "");
		goto done;
	}
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	uint8_t chunk[16384], head[BLOBS_HEADER_BYTES] = { 0 };
	uint64_t total = 0;
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err_errno(e, ERR_IO, "cannot read blob '%s'", path);
			goto done;
		}
		if (r == 0)
			break;
		if (total < sizeof head) {
			size_t take = sizeof head - (size_t)total;
			memcpy(head + total, chunk, (size_t)r < take ? (size_t)r : take);
		}
		crypto_hash_sha256_update(&h, chunk, (unsigned long long)r);
		total += (uint64_t)r;
	}
	uint8_t got[32];
	crypto_hash_sha256_final(&h, got);
	if (total != ref->size) {
		err_set(e, ERR_VERIFY, "blob '%s' changed while it was read (%llu bytes, %llu "
			"recorded)", ref->name, (unsigned long long)total,
			(unsigned long long)ref->size);
		goto done;
	}
	if (memcmp(got, ref->sha256, sizeof got) != 0) {
		if (total < BLOBS_OVERHEAD || memcmp(head, BLOBS_MAGIC, 4) != 0)
			err_set(e, ERR_VERIFY, "blob '%s' does not match its recorded SHA-256 and "
				"is not a paspor blob (no '" BLOBS_MAGIC "' magic): overwritten "
				"or encrypted by someone else", ref->name);
		else
			err_set(e, ERR_VERIFY, "blob '%s' does not match its recorded SHA-256",
				ref->name);
		goto done;
	}
	rc = 0;
done:
	close(fd);
	mem_free(path);
	return rc;
}

int blobs_ref_set(struct blob_ref *ref, const char *name, const char *sha256_hex,
		  uint64_t size, struct err *e)
{
	memset(ref, 0, sizeof *ref);
	if (!blobs_name_ok(name))
		return err_set(e, ERR_INPUT, "blob name is not 64 lower-case hex characters");
	if (!sha256_hex || unhex32(sha256_hex, ref->sha256) < 0)
		return err_set(e, ERR_INPUT, "SHA-256 of blob '%s' is not 64 hex characters",
			       name);
	memcpy(ref->name, name, 65);
	ref->size = size;
	return 0;
}

void blobs_sha256_hex(const struct blob_ref *ref, char hex[65])
{
	hex32(ref->sha256, hex);
}

static int is_shard(const char *s)
{
	return lower_hex_prefix(s, 2) && s[2] == '\0';
}

/* "<64 hex>.tmp.<anything>": what fs_write_new leaves behind. */
static int is_temp(const char *s)
{
	return lower_hex_prefix(s, 64) && strncmp(s + 64, ".tmp.", 5) == 0;
}

/* Calls fn(path, ctx, e) for each entry of dir whose name match() accepts (path:
 * "dir/name", freed after the call) until fn fails: 0, or -1 with e. A missing dir has
 * no entries. */
static int each_entry(const char *dir, int (*match)(const char *),
		      int (*fn)(const char *path, void *ctx, struct err *e), void *ctx,
		      struct err *e)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return err_errno(e, ERR_IO, "cannot open directory '%s'", dir);
	}
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (!match(de->d_name))
			continue;
		char *p = fs_join(dir, de->d_name);
		if (!p) {
			rc = err_nomem(e);
			break;
		}
		rc = fn(p, ctx, e);
		mem_free(p);
	}
	closedir(d);
	return rc;
}

struct gc {
	time_t cutoff;  /* a temporary file last changed then or before goes */
	size_t removed; /* files removed */
};

static int gc_temp_file(const char *path, void *ctx, struct err *e)
{
	struct gc *g = ctx;
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime <= g->cutoff) {
		if (unlink(path) == 0)
			g->removed++;
		else if (errno != ENOENT)
			return err_errno(e, ERR_IO, "cannot remove '%s'", path);
	}
	return 0;
}

static int gc_shard(const char *shard, void *ctx, struct err *e)
{
	return each_entry(shard, is_temp, gc_temp_file, ctx, e);
}

int blobs_gc_temp(const char *blobs_dir, long min_age_s, size_t *removed, struct err *e)
{
	if (removed)
		*removed = 0;
	struct gc g = { time(NULL) - (min_age_s > 0 ? min_age_s : 0), 0 };
	int rc = each_entry(blobs_dir, is_shard, gc_shard, &g, e);
	if (removed)
		*removed = g.removed;
	return rc;
}
