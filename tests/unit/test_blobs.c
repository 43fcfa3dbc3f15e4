/*
 * Unit tests of log/blobs: the encrypted blob store (docs/BLOBS.md). Outside truth:
 * Python's hashlib (BLAKE2b with key, salt and personalisation, as crypto_kdf is
 * specified) derives the sub-keys and the name independently; the stored file is
 * opened straight from the byte table with libsodium's AEAD; `openssl dgst -sha256`
 * hashes the stored file; `openssl enc` plays ransomware; a full tmpfs and a file-size
 * limit make writes fail for real.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <sodium.h>

#include "harness.h"
#include "log/blobs.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/fs.h"

static const uint8_t key1[32] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};
static const uint8_t key2[32] = { 0xff, 2, 3 };

static void pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

static char *blobs_dir(void)
{
	static char dir[4096];
	snprintf(dir, sizeof dir, "%s/blobs", test_tmpdir());
	return dir;
}

static int read_whole(const char *path, struct buf *b)
{
	buf_init(b, 0);
	return buf_read_file(b, path);
}

static int write_whole(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(p, 1, n, f);
	return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Counts entries of dir other than . and .. whose names contain `part` (NULL: all). */
static int count_entries(const char *dir, const char *part)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    (!part || strstr(de->d_name, part)))
			n++;
	closedir(d);
	return n;
}

/* Runs a command and reads the first line of its output into out. */
static int run_line(const char *cmd, char *out, size_t n)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	int ok = fgets(out, (int)n, p) != NULL;
	int st = pclose(p);
	if (!ok || st != 0)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

TEST(blobs_roundtrip)
{
	uint8_t data[10000];
	pattern(data, sizeof data, 1);
	struct blob_ref ref;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, data, sizeof data, &ref, &e), 0);
	CHECK(blobs_name_ok(ref.name));
	CHECK_INT_EQ(ref.size, sizeof data + BLOBS_OVERHEAD);

	/* sharded layout blobs/ab/abcdef…, file 0600 */
	char path[4200];
	snprintf(path, sizeof path, "%s/%.2s/%s", blobs_dir(), ref.name, ref.name);
	struct stat st;
	CHECK_INT_EQ(stat(path, &st), 0);
	CHECK_INT_EQ(st.st_size, (long long)ref.size);
	CHECK_INT_EQ(st.st_mode & 0777, 0600);
	char *p = blobs_path(blobs_dir(), ref.name);
	CHECK_STR_EQ(p, path);
	mem_free(p);

	/* the returned SHA-256 is the one `openssl dgst` computes over the file */
	char cmd[4400], line[256], want[65];
	snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -r '%s'", path);
	CHECK_INT_EQ(run_line(cmd, line, sizeof line), 0);
	blobs_sha256_hex(&ref, want);
	CHECK(strncmp(line, want, 64) == 0);

	struct buf out;
	buf_init(&out, 0);
	buf_addstr(&out, "prefix");
	CHECK_INT_EQ(blobs_get(blobs_dir(), key1, ref.name, &out, &e), 0);
	CHECK_INT_EQ(out.len, 6 + sizeof data);
	CHECK_MEM_EQ(out.data, "prefix", 6);
	CHECK_MEM_EQ(out.data + 6, data, sizeof data);
	buf_release(&out);
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &ref, &e), 0);

	/* empty content is a blob too */
	struct blob_ref empty;
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, NULL, 0, &empty, &e), 0);
	CHECK_INT_EQ(empty.size, BLOBS_OVERHEAD);
	buf_init(&out, 0);
	CHECK_INT_EQ(blobs_get(blobs_dir(), key1, empty.name, &out, &e), 0);
	CHECK_INT_EQ(out.len, 0);
	buf_release(&out);
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &empty, &e), 0);
}

/* The file follows the byte table of docs/BLOBS.md, with sub-keys and name computed by
 * Python's hashlib from the specification of crypto_kdf (BLAKE2b-256 keyed with the data
 * key, salt = id little-endian ‖ 8 zero bytes, personal = context ‖ 8 zero bytes). */
TEST(blobs_file_matches_the_byte_table)
{
	static const char content[] = "face photo of a specimen applicant";
	struct blob_ref ref;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, content, sizeof content - 1, &ref, &e), 0);

	char keyhex[65], cmd[2048], line[512];
	hex(key1, 32, keyhex);
	snprintf(cmd, sizeof cmd,
		 "python3 -c 'import hashlib,sys\n"
		 "k=bytes.fromhex(\"%s\")\n"
		 "def sub(i): return hashlib.blake2b(b\"\",digest_size=32,key=k,"
		 "salt=i.to_bytes(8,\"little\")+bytes(8),person=b\"paspblob\"+bytes(8)).digest()\n"
		 "n=hashlib.blake2b(sys.argv[1].encode(),digest_size=32,key=sub(2)).hexdigest()\n"
		 "print(n+\" \"+sub(1).hex())' '%s'",
		 keyhex, content);
	CHECK_INT_EQ(run_line(cmd, line, sizeof line), 0);
	CHECK_INT_EQ(strlen(line), 129);
	line[64] = '\0';
	CHECK_STR_EQ(ref.name, line);
	uint8_t seal[32];
	CHECK_INT_EQ(sodium_hex2bin(seal, sizeof seal, line + 65, 64, NULL, NULL, NULL), 0);

	char *path = blobs_path(blobs_dir(), ref.name);
	CHECK(path);
	struct buf f;
	CHECK_INT_EQ(read_whole(path, &f), 0);
	mem_free(path);
	CHECK_INT_EQ(f.len, 4 + 1 + 24 + (sizeof content - 1) + 16);
	CHECK_MEM_EQ(f.data, "PSPB\x01", 5);
	uint8_t aad[5 + 32];
	memcpy(aad, "PSPB\x01", 5);
	CHECK_INT_EQ(sodium_hex2bin(aad + 5, 32, ref.name, 64, NULL, NULL, NULL), 0);
	uint8_t m[sizeof content];
	unsigned long long mlen = 0;
	CHECK_INT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL, f.data + 29,
								f.len - 29, aad, sizeof aad,
								f.data + 5, seal),
		     0);
	CHECK_INT_EQ(mlen, sizeof content - 1);
	CHECK_MEM_EQ(m, content, mlen);
	/* the data key itself does not open it: a separate sub-key is used */
	CHECK(crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL, f.data + 29,
							 f.len - 29, aad, sizeof aad,
							 f.data + 5, key1) != 0);

	/* a file sealed correctly under the name, but holding other content (only a key
	 * holder can make one), is refused: the content must hash back to the name */
	static const char forged[] = "another photo";
	uint8_t file[29 + sizeof forged - 1 + 16];
	memcpy(file, f.data, 29); /* header and nonce */
	crypto_aead_xchacha20poly1305_ietf_encrypt(file + 29, NULL, (const uint8_t *)forged,
						   sizeof forged - 1, aad, sizeof aad, NULL,
						   file + 5, seal);
	path = blobs_path(blobs_dir(), ref.name);
	CHECK(path);
	CHECK_INT_EQ(write_whole(path, file, sizeof file), 0);
	mem_free(path);
	struct buf out;
	buf_init(&out, 0);
	CHECK_INT_EQ(blobs_get(blobs_dir(), key1, ref.name, &out, &e), -1);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	CHECK(strstr(e.msg, "does not hash to its name"));
	CHECK_INT_EQ(out.len, 0);
	buf_release(&out);
	buf_release(&f);

	char name[65];
	CHECK_INT_EQ(blobs_name(key1, content, sizeof content - 1, name, &e), 0);
	CHECK_STR_EQ(name, ref.name);
}

TEST(blobs_naming_dedup_and_secrecy)
{
	uint8_t data[3000];
	pattern(data, sizeof data, 2);
	struct blob_ref a, b, c;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, data, sizeof data, &a, &e), 0);
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, data, sizeof data, &b, &e), 0);
	/* same content, same name, and the stored file is reused: same SHA-256 */
	CHECK_STR_EQ(a.name, b.name);
	CHECK_MEM_EQ(a.sha256, b.sha256, 32);
	CHECK_INT_EQ(a.size, b.size);
	char shard[4200];
	snprintf(shard, sizeof shard, "%s/%.2s", blobs_dir(), a.name);
	CHECK_INT_EQ(count_entries(shard, NULL), 1);
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &a, &e), 0);

	/* another key, another name */
	CHECK_INT_EQ(blobs_put(blobs_dir(), key2, data, sizeof data, &c, &e), 0);
	CHECK(strcmp(a.name, c.name) != 0);
	/* and the blob of key1 does not open under key2 */
	struct buf out;
	buf_init(&out, 0);
	CHECK_INT_EQ(blobs_get(blobs_dir(), key2, a.name, &out, &e), -1);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	CHECK_INT_EQ(out.len, 0);
	buf_release(&out);

	/* one different byte, another name */
	char n2[65];
	data[1234] ^= 1;
	CHECK_INT_EQ(blobs_name(key1, data, sizeof data, n2, &e), 0);
	CHECK(strcmp(n2, a.name) != 0);
	data[1234] ^= 1;

	/* the name is no plain hash of the content */
	uint8_t h[64];
	char hx[129];
	crypto_hash_sha256(h, data, sizeof data);
	hex(h, 32, hx);
	CHECK(strcmp(hx, a.name) != 0);
	crypto_generichash(h, 32, data, sizeof data, NULL, 0);
	hex(h, 32, hx);
	CHECK(strcmp(hx, a.name) != 0);
	crypto_generichash(h, 64, data, sizeof data, NULL, 0);
	hex(h, 64, hx);
	CHECK(strncmp(hx, a.name, 64) != 0);
	/* nor the BLAKE2b keyed with the data key itself */
	crypto_generichash(h, 32, data, sizeof data, key1, 32);
	hex(h, 32, hx);
	CHECK(strcmp(hx, a.name) != 0);
	/* and sha256sum of the content (outside tool) differs too */
	char path[4200], cmd[4400], line[256];
	snprintf(path, sizeof path, "%s/plain", test_tmpdir());
	CHECK_INT_EQ(write_whole(path, data, sizeof data), 0);
	snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -r '%s'", path);
	CHECK_INT_EQ(run_line(cmd, line, sizeof line), 0);
	CHECK(strncmp(line, a.name, 64) != 0);
}

static void expect_bad(const char *dir, const struct blob_ref *ref, const char *why)
{
	struct err e = ERR_INIT;
	struct buf out;
	buf_init(&out, 0);
	buf_addstr(&out, "keep");
	int rc = blobs_get(dir, key1, ref->name, &out, &e);
	if (rc != -1 || e.code != ERR_VERIFY || !strstr(e.msg, ref->name) || out.len != 4) {
		test_fail(__FILE__, __LINE__, "%s: blobs_get rc %d code %d: %s", why, rc,
			  (int)e.code, e.msg);
		buf_release(&out);
		return;
	}
	buf_release(&out);
	err_clear(&e);
	rc = blobs_verify(dir, ref, &e);
	if (rc != -1 || e.code != ERR_VERIFY || !strstr(e.msg, ref->name))
		test_fail(__FILE__, __LINE__, "%s: blobs_verify rc %d code %d: %s", why, rc,
			  (int)e.code, e.msg);
}

TEST(blobs_every_flipped_byte_is_caught)
{
	uint8_t data[100];
	pattern(data, sizeof data, 3);
	struct blob_ref ref;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, data, sizeof data, &ref, &e), 0);
	char *path = blobs_path(blobs_dir(), ref.name);
	CHECK(path);
	struct buf f;
	CHECK_INT_EQ(read_whole(path, &f), 0);
	for (size_t i = 0; i < f.len && !test_failed(); i++) {
		for (int bit = 0; bit < 8 && !test_failed(); bit += 7) {
			f.data[i] ^= (uint8_t)(1u << bit);
			if (write_whole(path, f.data, f.len) < 0)
				test_fail(__FILE__, __LINE__, "cannot rewrite the blob");
			char why[64];
			snprintf(why, sizeof why, "byte %zu bit %d", i, bit);
			expect_bad(blobs_dir(), &ref, why);
			f.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	CHECK(!test_failed());
	CHECK_INT_EQ(write_whole(path, f.data, f.len), 0);
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &ref, &e), 0);
	buf_release(&f);
	mem_free(path);
}

TEST(blobs_ransomware_truncation_and_loss)
{
	uint8_t data[5000];
	pattern(data, sizeof data, 4);
	struct blob_ref ref;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, data, sizeof data, &ref, &e), 0);
	char *path = blobs_path(blobs_dir(), ref.name);
	CHECK(path);
	struct buf orig;
	CHECK_INT_EQ(read_whole(path, &orig), 0);

	/* encrypted over by "ransomware" */
	char cmd[9000];
	snprintf(cmd, sizeof cmd,
		 "openssl enc -aes-256-cbc -pbkdf2 -pass pass:x -in '%s' -out '%s.enc' && "
		 "mv '%s.enc' '%s'", path, path, path, path);
	CHECK_INT_EQ(system(cmd), 0);
	expect_bad(blobs_dir(), &ref, "openssl enc");
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &ref, &e), -1);
	CHECK(strstr(e.msg, "not a paspor blob"));

	/* truncated */
	size_t cuts[] = { orig.len - 1, orig.len - 16, 45, 44, 29, 5, 1, 0 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		CHECK_INT_EQ(write_whole(path, orig.data, cuts[i]), 0);
		expect_bad(blobs_dir(), &ref, "truncated");
		CHECK(!test_failed());
	}
	/* longer */
	CHECK_INT_EQ(write_whole(path, orig.data, orig.len), 0);
	FILE *fp = fopen(path, "ab");
	CHECK(fp);
	fputc(0, fp);
	fclose(fp);
	expect_bad(blobs_dir(), &ref, "appended byte");

	/* over the cap (sparse file) */
	CHECK_INT_EQ(truncate(path, (off_t)BLOBS_FILE_MAX + 1), 0);
	struct buf out;
	buf_init(&out, 0);
	err_clear(&e);
	CHECK_INT_EQ(blobs_get(blobs_dir(), key1, ref.name, &out, &e), -1);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	CHECK(strstr(e.msg, "over the cap"));
	buf_release(&out);

	/* missing */
	CHECK_INT_EQ(unlink(path), 0);
	expect_bad(blobs_dir(), &ref, "missing");
	err_clear(&e);
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &ref, &e), -1);
	CHECK(strstr(e.msg, "is missing"));

	/* a good blob file moved to another name does not open (name in the AD) */
	struct blob_ref other;
	pattern(data, sizeof data, 5);
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, data, sizeof data, &other, &e), 0);
	CHECK_INT_EQ(write_whole(path, orig.data, orig.len), 0);
	char *opath = blobs_path(blobs_dir(), other.name);
	CHECK(opath);
	CHECK_INT_EQ(rename(path, opath), 0);
	err_clear(&e);
	buf_init(&out, 0);
	CHECK_INT_EQ(blobs_get(blobs_dir(), key1, other.name, &out, &e), -1);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	buf_release(&out);
	expect_bad(blobs_dir(), &other, "renamed");

	/* putting content whose stored copy is bad refuses and keeps the evidence */
	struct blob_ref again;
	err_clear(&e);
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, data, sizeof data, &again, &e), -1);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	CHECK(strstr(e.msg, other.name));
	struct buf now;
	CHECK_INT_EQ(read_whole(opath, &now), 0);
	CHECK_INT_EQ(now.len, orig.len);
	CHECK_MEM_EQ(now.data, orig.data, now.len);
	buf_release(&now);

	mem_free(opath);
	mem_free(path);
	buf_release(&orig);
}

TEST(blobs_rejects_bad_input)
{
	struct err e = ERR_INIT;
	struct blob_ref ref;
	static const uint8_t one = 1;
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, &one, BLOBS_MAX + 1, &ref, &e), -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	err_clear(&e);
	CHECK_INT_EQ(blobs_put(blobs_dir(), NULL, &one, 1, &ref, &e), -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	err_clear(&e);
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, NULL, 1, &ref, &e), -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);

	struct buf out;
	buf_init(&out, 0);
	const char *bad[] = { "", "../../etc/passwd",
			      "ABCDEF0000000000000000000000000000000000000000000000000000000000",
			      "abcdef000000000000000000000000000000000000000000000000000000000",
			      "abcdef00000000000000000000000000000000000000000000000000000000000",
			      "abcdef0000000000000000000000000000000000000000000000000000000/00" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&e);
		CHECK_INT_EQ(blobs_get(blobs_dir(), key1, bad[i], &out, &e), -1);
		CHECK_INT_EQ(e.code, ERR_INPUT);
		CHECK(!blobs_name_ok(bad[i]));
		CHECK(blobs_path(blobs_dir(), bad[i]) == NULL);
	}
	buf_release(&out);

	/* a buffer too small for the content fails without touching it */
	uint8_t data[200];
	pattern(data, sizeof data, 6);
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, data, sizeof data, &ref, &e), 0);
	buf_init(&out, 100);
	err_clear(&e);
	CHECK_INT_EQ(blobs_get(blobs_dir(), key1, ref.name, &out, &e), -1);
	CHECK_INT_EQ(out.len, 0);
	buf_release(&out);

	/* refs in their textual form */
	char sha[65];
	struct blob_ref r2;
	blobs_sha256_hex(&ref, sha);
	CHECK_INT_EQ(blobs_ref_set(&r2, ref.name, sha, ref.size, &e), 0);
	CHECK_MEM_EQ(&r2, &ref, sizeof r2);
	for (char *c = sha; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	CHECK_INT_EQ(blobs_ref_set(&r2, ref.name, sha, ref.size, &e), 0);
	CHECK_MEM_EQ(r2.sha256, ref.sha256, 32);
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &r2, &e), 0);
	sha[10] = 'g';
	err_clear(&e);
	CHECK_INT_EQ(blobs_ref_set(&r2, ref.name, sha, ref.size, &e), -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	err_clear(&e);
	CHECK_INT_EQ(blobs_ref_set(&r2, "x", sha, ref.size, &e), -1);
	CHECK_INT_EQ(e.code, ERR_INPUT);
	/* a wrong size or SHA-256 in the ref fails verify */
	r2 = ref;
	r2.size++;
	err_clear(&e);
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &r2, &e), -1);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	r2 = ref;
	r2.sha256[31] ^= 1;
	err_clear(&e);
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &r2, &e), -1);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	CHECK(strstr(e.msg, ref.name));
}

TEST(blobs_gc_temp_removes_only_leftovers)
{
	uint8_t data[300];
	pattern(data, sizeof data, 7);
	struct blob_ref ref;
	struct err e = ERR_INIT;
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, data, sizeof data, &ref, &e), 0);
	char shard[4200], tmp[4400], other[4400];
	snprintf(shard, sizeof shard, "%s/%.2s", blobs_dir(), ref.name);
	/* what an interrupted fs_write_new leaves: half a file under a temporary name */
	snprintf(tmp, sizeof tmp, "%s/%s.tmp.Ab12Cd", shard, ref.name);
	CHECK_INT_EQ(write_whole(tmp, "PSPB\x01half", 9), 0);
	snprintf(other, sizeof other, "%s/notes.txt", shard);
	CHECK_INT_EQ(write_whole(other, "x", 1), 0);

	/* readers ignore it */
	struct buf out;
	buf_init(&out, 0);
	CHECK_INT_EQ(blobs_get(blobs_dir(), key1, ref.name, &out, &e), 0);
	buf_release(&out);

	size_t removed = 99;
	CHECK_INT_EQ(blobs_gc_temp(blobs_dir(), 3600, &removed, &e), 0);
	CHECK_INT_EQ(removed, 0); /* too young */
	CHECK_INT_EQ(access(tmp, F_OK), 0);
	CHECK_INT_EQ(blobs_gc_temp(blobs_dir(), 0, &removed, &e), 0);
	CHECK_INT_EQ(removed, 1);
	CHECK(access(tmp, F_OK) != 0);
	CHECK_INT_EQ(access(other, F_OK), 0);
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &ref, &e), 0);

	char missing[4200];
	snprintf(missing, sizeof missing, "%s/none", test_tmpdir());
	CHECK_INT_EQ(blobs_gc_temp(missing, 0, &removed, &e), 0);
	CHECK_INT_EQ(removed, 0);
}

/* No temporary file and either no blob or a whole one that opens. */
static int no_partial_blob(const char *dir, const char *name, const void *data, size_t len)
{
	char shard[4200];
	snprintf(shard, sizeof shard, "%s/%.2s", dir, name);
	if (count_entries(shard, ".tmp.") != 0)
		return 0;
	char *path = blobs_path(dir, name);
	if (!path)
		return 0;
	int present = access(path, F_OK) == 0;
	mem_free(path);
	if (!present)
		return 1;
	struct buf out;
	struct err e = ERR_INIT;
	buf_init(&out, 0);
	int ok = blobs_get(dir, key1, name, &out, &e) == 0 && out.len == len &&
		 memcmp(out.data, data, len) == 0;
	buf_release(&out);
	return ok;
}

TEST(blobs_allocation_failures)
{
	uint8_t data[2000];
	pattern(data, sizeof data, 8);
	char name[65];
	struct err e = ERR_INIT;
	CHECK_INT_EQ(blobs_name(key1, data, sizeof data, name, &e), 0);
	char dir[4200];
	int failures = 0;
	for (long i = 0; i < 100; i++) {
		snprintf(dir, sizeof dir, "%s/put%ld", test_tmpdir(), i);
		struct blob_ref ref;
		err_clear(&e);
		mem_fail_after(i);
		int rc = blobs_put(dir, key1, data, sizeof data, &ref, &e);
		mem_fail_after(-1);
		if (rc == 0) {
			CHECK_INT_EQ(blobs_verify(dir, &ref, &e), 0);
			break;
		}
		failures++;
		if (e.code != ERR_NOMEM && e.code != ERR_IO)
			test_fail(__FILE__, __LINE__, "put failing at %ld: %s", i, e.msg);
		CHECK(no_partial_blob(dir, name, data, sizeof data));
	}
	CHECK(failures > 0);

	/* the reuse path, get, verify and gc */
	struct blob_ref ref;
	CHECK_INT_EQ(blobs_put(dir, key1, data, sizeof data, &ref, &e), 0);
	int done[4] = { 0 };
	for (long i = 0; i < 100 && !(done[0] && done[1] && done[2] && done[3]); i++) {
		struct blob_ref again;
		struct buf out;
		buf_init(&out, 0);
		size_t removed;
		int rc[4];
		mem_fail_after(i);
		err_clear(&e);
		rc[0] = blobs_put(dir, key1, data, sizeof data, &again, &e);
		mem_fail_after(i);
		rc[1] = blobs_get(dir, key1, ref.name, &out, &e);
		mem_fail_after(i);
		rc[2] = blobs_verify(dir, &ref, &e);
		mem_fail_after(i);
		rc[3] = blobs_gc_temp(dir, 0, &removed, &e);
		mem_fail_after(-1);
		if (rc[0] == 0)
			CHECK_MEM_EQ(again.sha256, ref.sha256, 32);
		if (rc[1] == 0)
			CHECK(out.len == sizeof data && !memcmp(out.data, data, sizeof data));
		else
			CHECK_INT_EQ(out.len, 0);
		buf_release(&out);
		for (int k = 0; k < 4; k++)
			done[k] |= rc[k] == 0;
	}
	CHECK(done[0] && done[1] && done[2] && done[3]);
	CHECK_INT_EQ(blobs_verify(dir, &ref, &e), 0);
}

/* Writes that fail for real: a file-size limit (EFBIG) and, as root, a full tmpfs. */
TEST(blobs_write_failure_leaves_nothing)
{
	uint8_t *data = mem_alloc(200000);
	CHECK(data);
	pattern(data, 200000, 9);
	char name[65];
	struct err e = ERR_INIT;
	CHECK_INT_EQ(blobs_name(key1, data, 200000, name, &e), 0);

	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, small;
	CHECK_INT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 50000;
	CHECK_INT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
	struct blob_ref ref;
	int rc = blobs_put(blobs_dir(), key1, data, 200000, &ref, &e);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_INT_EQ(rc, -1);
	CHECK_INT_EQ(e.code, ERR_IO);
	CHECK(no_partial_blob(blobs_dir(), name, data, 200000));
	char *path = blobs_path(blobs_dir(), name);
	CHECK(path);
	CHECK(access(path, F_OK) != 0);
	mem_free(path);
	/* and once the limit is gone the same put works */
	err_clear(&e);
	CHECK_INT_EQ(blobs_put(blobs_dir(), key1, data, 200000, &ref, &e), 0);
	CHECK_INT_EQ(blobs_verify(blobs_dir(), &ref, &e), 0);

	if (geteuid() == 0) {
		char mnt[4200];
		snprintf(mnt, sizeof mnt, "%s/full", test_tmpdir());
		CHECK_INT_EQ(mkdir(mnt, 0700), 0);
		if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") == 0) {
			err_clear(&e);
			rc = blobs_put(mnt, key1, data, 200000, &ref, &e);
			int clean = no_partial_blob(mnt, name, data, 200000);
			char *p = blobs_path(mnt, name);
			int absent = p && access(p, F_OK) != 0;
			mem_free(p);
			/* a small blob still fits afterwards: nothing was left taking space */
			struct blob_ref small_ref;
			struct err e2 = ERR_INIT;
			int rc2 = blobs_put(mnt, key1, data, 30000, &small_ref, &e2);
			int rc3 = rc2 == 0 ? blobs_verify(mnt, &small_ref, &e2) : -1;
			umount2(mnt, MNT_DETACH);
			CHECK_INT_EQ(rc, -1);
			CHECK_INT_EQ(e.code, ERR_IO);
			CHECK(clean);
			CHECK(absent);
			CHECK_INT_EQ(rc2, 0);
			CHECK_INT_EQ(rc3, 0);
		} else {
			printf("# blobs_write_failure_leaves_nothing: no tmpfs (%s), "
			       "file-size limit only\n", strerror(errno));
		}
	}
	mem_free(data);
}

struct racer {
	const uint8_t *data;
	size_t len;
	struct blob_ref ref;
	int rc;
	char msg[512];
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct err e = ERR_INIT;
	r->rc = blobs_put(blobs_dir(), key1, r->data, r->len, &r->ref, &e);
	memcpy(r->msg, e.msg, sizeof r->msg);
	return NULL;
}

/* Threads putting the same content at once all get the ref of the one stored file. */
TEST(blobs_concurrent_puts_agree)
{
	uint8_t *data = mem_alloc(300000);
	CHECK(data);
	pattern(data, 300000, 10);
	struct racer r[4];
	pthread_t t[4];
	for (int round = 0; round < 5; round++) {
		data[0] = (uint8_t)round;
		for (int i = 0; i < 4; i++) {
			r[i] = (struct racer){ .data = data, .len = 300000 };
			CHECK_INT_EQ(pthread_create(&t[i], NULL, race, &r[i]), 0);
		}
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		struct err e = ERR_INIT;
		for (int i = 0; i < 4; i++) {
			if (r[i].rc != 0)
				test_fail(__FILE__, __LINE__, "racer %d: %s", i, r[i].msg);
			CHECK_INT_EQ(r[i].rc, 0);
			CHECK_STR_EQ(r[i].ref.name, r[0].ref.name);
			CHECK_MEM_EQ(r[i].ref.sha256, r[0].ref.sha256, 32);
			CHECK_INT_EQ(blobs_verify(blobs_dir(), &r[i].ref, &e), 0);
		}
		char shard[4200];
		snprintf(shard, sizeof shard, "%s/%.2s", blobs_dir(), r[0].ref.name);
		CHECK_INT_EQ(count_entries(shard, ".tmp."), 0);
	}
	mem_free(data);
}
