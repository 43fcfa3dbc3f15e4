/*
 * keys — node key, verifier key and wrapped data key files (see keys.h).
 */
#include "log/keys.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "log/event.h"
#include "log/note.h"
#include "util/alloc.h"
#include "util/sodium_ready.h"
#include "util/buf.h"
#include "util/fs.h"

#define DATA_KEY_MAGIC "paspor-data-key 1"
#define KEY_FILE_MAX 4096
#define KEK_PASSPHRASE_MIN 12

static int b64_encode(struct buf *b, const uint8_t *p, size_t n)
{
	size_t need = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	if (buf_grow(b, need) < 0)
		return -1;
	sodium_bin2base64((char *)b->data + b->len, need, p, n, sodium_base64_VARIANT_ORIGINAL);
	b->len += need - 1;
	return 0;
}

/* Decodes base64 text of exactly n bytes. */
static int b64_decode_exact(const char *s, uint8_t *out, size_t n)
{
	size_t got = 0;
	const char *end;
	if (sodium_base642bin(out, n, s, strlen(s), NULL, &got, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return got == n && *end == '\0' ? 0 : -1;
}

/* Refuses a secret file that group or others may read, or that is not a regular file. */
static int check_private(const char *path, struct err *e)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return err_errno(e, ERR_IO, "cannot open '%s'", path);
	if (!S_ISREG(st.st_mode))
		return err_set(e, ERR_IO, "'%s' is not a regular file", path);
	if (st.st_mode & 077)
		return err_set(e, ERR_IO,
			       "'%s' is readable or writable by others (mode %03o): "
			       "run 'chmod 600 %s' and check who could have copied it",
			       path, (unsigned)(st.st_mode & 0777), path);
	return 0;
}

/* Reads a private key file into sodium-guarded memory-free buf; caller wipes. */
static int read_private(const char *path, struct buf *b, struct err *e)
{
	if (check_private(path, e) < 0)
		return -1;
	return fs_read_file(path, b, e);
}

/* Splits text into at most max lines (in place); returns the count or -1. */
static int split_lines(char *s, char **lines, int max)
{
	int n = 0;
	while (*s) {
		if (n == max)
			return -1;
		lines[n++] = s;
		char *nl = strchr(s, '\n');
		if (!nl)
			return -1; /* every line ends in \n */
		*nl = '\0';
		s = nl + 1;
	}
	return n;
}

static int get_kek(const struct kek_source *src, const uint8_t *salt, unsigned long long ops,
		   size_t mem, uint8_t *kek, struct err *e)
{
	if (src->key_file) {
		struct buf b;
		buf_init(&b, 256);
		if (read_private(src->key_file, &b, e) < 0) {
			err_prefix(e, "key-encryption key");
			buf_release(&b);
			return -1;
		}
		/* one format: base64 of 32 bytes on one line (keys_make_kek_file), the newline
		 * optional; raw bytes, other lengths and anything else are refused */
		int rc = 0;
		if (b.len && b.data[b.len - 1] == '\n')
			b.data[--b.len] = '\0';
		if (memchr(b.data, '\0', b.len) || b64_decode_exact((char *)b.data, kek, 32) < 0)
			rc = err_set(e, ERR_INPUT,
				     "key-encryption key file '%s' is not base64 of 32 bytes on one "
				     "line (make one with 'paspor office kek --out FILE')",
				     src->key_file);
		buf_release_wiped(&b);
		return rc;
	}
	if (src->passphrase) {
		size_t plen = strlen(src->passphrase);
		if (plen < KEK_PASSPHRASE_MIN)
			return err_set(e, ERR_INPUT, "passphrase too short (at least %d characters)",
				       KEK_PASSPHRASE_MIN);
		if (crypto_pwhash(kek, 32, src->passphrase, plen, salt, ops, mem,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
			return err_set(e, ERR_NOMEM, "argon2id: out of memory");
		return 0;
	}
	return err_set(e, ERR_INPUT,
		       "no key-encryption key: give --kek-file FILE or a passphrase");
}

static void data_key_aad(const char *origin, char *aad, size_t n)
{
	snprintf(aad, n, "%s %s", DATA_KEY_MAGIC, origin);
}

int keys_make_kek_file(const char *path, struct err *e)
{
	if (libsodium_ready(e) < 0)
		return -1;
	if (access(path, F_OK) == 0)
		return err_set(e, ERR_INPUT, "'%s' exists: refusing to overwrite a key file", path);
	uint8_t kek[32];
	randombytes_buf(kek, sizeof kek);
	struct buf b;
	buf_init(&b, 256);
	int rc = b64_encode(&b, kek, sizeof kek) < 0 || buf_addch(&b, '\n') < 0
			 ? err_nomem(e)
			 : fs_write_atomic(path, b.data, b.len, 0600, e);
	sodium_memzero(kek, sizeof kek);
	buf_release_wiped(&b);
	return rc;
}

static int write_node_key(const char *dir, const char *origin, struct err *e)
{
	uint8_t *seed = sodium_malloc(33); /* 0x01 ‖ seed */
	if (!seed)
		return err_nomem(e);
	seed[0] = NOTE_ED25519;
	randombytes_buf(seed + 1, 32);

	int rc = -1;
	struct note_signer s = { 0 };
	struct note_verifier v = { 0 };
	struct buf b, pub;
	buf_init(&b, KEY_FILE_MAX);
	buf_init(&pub, KEY_FILE_MAX);
	char *kpath = fs_join(dir, "node.key"), *ppath = fs_join(dir, "node.pub");
	if (!kpath || !ppath) {
		err_nomem(e);
		goto out;
	}
	if (note_signer_init(&s, origin, seed + 1, e) < 0 ||
	    note_signer_verifier(&s, &v, e) < 0 || note_verifier_format(&v, &pub, e) < 0)
		goto out;
	buf_addf(&b, "PRIVATE+KEY+%s+%08" PRIx32 "+", origin, s.key_id);
	b64_encode(&b, seed, 33);
	buf_addch(&b, '\n');
	buf_addch(&pub, '\n');
	if (!buf_ok(&b) || !buf_ok(&pub)) {
		err_nomem(e);
		goto out;
	}
	if (fs_write_atomic(kpath, b.data, b.len, 0600, e) < 0 ||
	    fs_write_atomic(ppath, pub.data, pub.len, 0644, e) < 0)
		goto out;
	rc = 0;
out:
	sodium_free(seed);
	note_signer_release(&s);
	note_verifier_release(&v);
	buf_release_wiped(&b);
	buf_release(&pub);
	mem_free(kpath);
	mem_free(ppath);
	return rc;
}

static int write_data_key(const char *dir, const char *origin, const struct kek_source *kek,
			  struct err *e)
{
	uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t wrapped[KEYS_DATA_KEY_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES];
	uint8_t *secrets = sodium_malloc(32 + KEYS_DATA_KEY_LEN); /* kek ‖ data key */
	if (!secrets)
		return err_nomem(e);
	uint8_t *kk = secrets, *dk = secrets + 32;
	unsigned long long ops = kek->ops ? kek->ops : crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = kek->mem ? kek->mem : crypto_pwhash_MEMLIMIT_INTERACTIVE;
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	randombytes_buf(dk, KEYS_DATA_KEY_LEN);

	int rc = -1;
	struct buf b;
	buf_init(&b, KEY_FILE_MAX);
	char *path = fs_join(dir, "data.key");
	char aad[KEYS_ORIGIN_MAX + 64];
	if (!path) {
		err_nomem(e);
		goto out;
	}
	if (get_kek(kek, salt, ops, mem, kk, e) < 0)
		goto out;
	data_key_aad(origin, aad, sizeof aad);
	crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped, NULL, dk, KEYS_DATA_KEY_LEN,
						   (const uint8_t *)aad, strlen(aad), NULL, nonce, kk);
	buf_addf(&b, "%s\n", DATA_KEY_MAGIC);
	if (kek->key_file) {
		buf_addstr(&b, "kdf keyfile\n");
	} else {
		buf_addf(&b, "kdf argon2id %llu %zu ", ops, mem);
		b64_encode(&b, salt, sizeof salt);
		buf_addch(&b, '\n');
	}
	buf_addstr(&b, "nonce ");
	b64_encode(&b, nonce, sizeof nonce);
	buf_addstr(&b, "\nwrapped ");
	b64_encode(&b, wrapped, sizeof wrapped);
	buf_addch(&b, '\n');
	if (!buf_ok(&b)) {
		err_nomem(e);
		goto out;
	}
	rc = fs_write_atomic(path, b.data, b.len, 0600, e);
out:
	sodium_free(secrets);
	buf_release(&b);
	mem_free(path);
	return rc;
}

/* The origin names the log: it follows the event envelope's origin rules (a DNS name). */
static int check_origin(const char *origin, struct err *e)
{
	struct event ev = { .format = EVENT_FORMAT, .kind_version = 1 };
	if (strlen(origin) >= sizeof ev.origin)
		return err_set(e, ERR_INPUT, "origin is longer than %d characters", KEYS_ORIGIN_MAX);
	snprintf(ev.origin, sizeof ev.origin, "%s", origin);
	snprintf(ev.actor, sizeof ev.actor, "system");
	snprintf(ev.kind, sizeof ev.kind, "x");
	if (event_check_header(&ev, e) < 0) {
		err_prefix(e, "origin '%s' is not a DNS name such as kanim-samarinda.imigrasi.go.id",
			   origin);
		return -1;
	}
	return 0;
}

int keys_create(const char *dir, const char *origin, const struct kek_source *kek,
		struct err *e)
{
	if (libsodium_ready(e) < 0)
		return -1;
	if (check_origin(origin, e) < 0)
		return -1;
	if (!kek->key_file && !kek->passphrase)
		return get_kek(kek, NULL, 0, 0, NULL, e);
	if (fs_mkdir(dir, 0700, e) < 0)
		return -1;
	if (write_data_key(dir, origin, kek, e) < 0)
		return -1;
	return write_node_key(dir, origin, e);
}

static int load_node_key(const char *dir, const char *origin, struct node_keys *k,
			 struct err *e)
{
	char *path = fs_join(dir, "node.key");
	if (!path)
		return err_nomem(e);
	struct buf b;
	buf_init(&b, KEY_FILE_MAX);
	int rc = -1;
	if (read_private(path, &b, e) < 0)
		goto out;
	if (b.len == 0 || b.data[b.len - 1] != '\n' || memchr(b.data, '\n', b.len) != b.data + b.len - 1) {
		err_set(e, ERR_INPUT, "'%s' is not a node key (one line PRIVATE+KEY+...)", path);
		goto out;
	}
	b.data[b.len - 1] = '\0';
	if (note_signer_parse(&k->signer, (const char *)b.data, e) < 0) {
		err_prefix(e, "'%s'", path);
		goto out;
	}
	if (strcmp(k->signer.name, origin) != 0) {
		err_set(e, ERR_INPUT, "'%s' belongs to origin '%s', not '%s'", path, k->signer.name,
			origin);
		note_signer_release(&k->signer);
		goto out;
	}
	rc = 0;
out:
	buf_release_wiped(&b);
	mem_free(path);
	return rc;
}

static int load_data_key(const char *dir, const char *origin, const struct kek_source *kek,
			 struct node_keys *k, struct err *e)
{
	char *path = fs_join(dir, "data.key");
	if (!path)
		return err_nomem(e);
	struct buf b;
	buf_init(&b, KEY_FILE_MAX);
	uint8_t salt[crypto_pwhash_SALTBYTES] = { 0 }, nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t wrapped[KEYS_DATA_KEY_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES];
	uint8_t *kk = sodium_malloc(32);
	int rc = -1;
	char *lines[5];
	unsigned long long ops = 0;
	size_t mem = 0;
	if (!kk) {
		err_nomem(e);
		goto out;
	}
	if (read_private(path, &b, e) < 0)
		goto out;
	int n = split_lines((char *)b.data, lines, 5);
	if (n != 4 || strcmp(lines[0], DATA_KEY_MAGIC) != 0 || strncmp(lines[2], "nonce ", 6) ||
	    strncmp(lines[3], "wrapped ", 8) || b64_decode_exact(lines[2] + 6, nonce, sizeof nonce) < 0 ||
	    b64_decode_exact(lines[3] + 8, wrapped, sizeof wrapped) < 0)
		goto bad;
	int is_keyfile = strcmp(lines[1], "kdf keyfile") == 0;
	if (!is_keyfile) {
		char salt64[64];
		if (sscanf(lines[1], "kdf argon2id %llu %zu %63s", &ops, &mem, salt64) != 3 ||
		    b64_decode_exact(salt64, salt, sizeof salt) < 0 ||
		    ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_MAX ||
		    mem < crypto_pwhash_MEMLIMIT_MIN || mem > ((size_t)4 << 30))
			goto bad;
	}
	struct kek_source src = *kek;
	if (is_keyfile && !src.key_file)
		{ err_set(e, ERR_INPUT, "'%s' is wrapped by a key file: give --kek-file", path); goto out; }
	if (!is_keyfile && !src.passphrase)
		{ err_set(e, ERR_INPUT, "'%s' is wrapped by a passphrase: give the passphrase", path); goto out; }
	if (is_keyfile)
		src.passphrase = NULL;
	else
		src.key_file = NULL;
	if (get_kek(&src, salt, ops, mem, kk, e) < 0)
		goto out;
	k->data_key = sodium_malloc(KEYS_DATA_KEY_LEN);
	if (!k->data_key) {
		err_nomem(e);
		goto out;
	}
	char aad[KEYS_ORIGIN_MAX + 64];
	data_key_aad(origin, aad, sizeof aad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(k->data_key, NULL, NULL, wrapped,
						       sizeof wrapped, (const uint8_t *)aad,
						       strlen(aad), nonce, kk) != 0) {
		err_set(e, ERR_VERIFY,
			"cannot unwrap '%s': wrong key-encryption key or passphrase, or the file belongs to another origin",
			path);
		goto out;
	}
	rc = 0;
	goto out;
bad:
	err_set(e, ERR_INPUT, "'%s' is not a paspor data key file", path);
out:
	sodium_free(kk);
	buf_release(&b);
	mem_free(path);
	return rc;
}

int keys_load(const char *dir, const char *origin, const struct kek_source *kek,
	      struct node_keys *k, struct err *e)
{
	memset(k, 0, sizeof *k);
	if (libsodium_ready(e) < 0)
		return -1;
	if (check_origin(origin, e) < 0)
		return -1;
	struct stat st;
	if (stat(dir, &st) < 0)
		return err_errno(e, ERR_IO, "cannot open key folder '%s'", dir);
	if (st.st_mode & 022)
		return err_set(e, ERR_IO, "key folder '%s' is writable by others (mode %03o)", dir,
			       (unsigned)(st.st_mode & 0777));
	snprintf(k->origin, sizeof k->origin, "%s", origin);
	if (load_node_key(dir, origin, k, e) < 0 || load_data_key(dir, origin, kek, k, e) < 0) {
		keys_release(k);
		return -1;
	}
	return 0;
}

int keys_load_verifier(const char *dir, struct note_verifier *v, struct err *e)
{
	memset(v, 0, sizeof *v);
	char *path = fs_join(dir, "node.pub");
	if (!path)
		return err_nomem(e);
	struct buf b;
	buf_init(&b, KEY_FILE_MAX);
	int rc = fs_read_file(path, &b, e);
	if (rc == 0) {
		buf_truncate(&b, strcspn(buf_str(&b), "\n"));
		rc = note_verifier_parse(v, buf_str(&b), e);
		if (rc < 0)
			err_prefix(e, "'%s'", path);
	}
	buf_release(&b);
	mem_free(path);
	return rc;
}

int keys_read_passphrase_fd(int fd, char **out, struct err *e)
{
	*out = NULL;
	if (libsodium_ready(e) < 0)
		return -1;
	char *p = sodium_malloc(KEYS_PASSPHRASE_MAX + 1);
	if (!p)
		return err_nomem(e);
	size_t n = 0;
	for (;;) {
		if (n == KEYS_PASSPHRASE_MAX) {
			keys_free_passphrase(p);
			return err_set(e, ERR_INPUT, "passphrase on fd %d is longer than %d bytes", fd,
				       KEYS_PASSPHRASE_MAX);
		}
		ssize_t r = read(fd, p + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			keys_free_passphrase(p);
			return err_errno(e, ERR_IO, "cannot read the passphrase from fd %d", fd);
		}
		if (r == 0 || p[n] == '\n')
			break;
		n++;
	}
	p[n] = '\0';
	*out = p;
	return 0;
}

void keys_free_passphrase(char *p)
{
	if (p)
		sodium_free(p); /* sodium_free wipes */
}

void keys_release(struct node_keys *k)
{
	note_signer_release(&k->signer);
	if (k->data_key)
		sodium_free(k->data_key);
	k->data_key = NULL;
}

int keys_kek_from_options(struct kek_source *k, const char *file, const char *fd,
			  struct err *e)
{
	memset(k, 0, sizeof *k);
	if (!!file == !!fd)
		return err_set(e, ERR_INPUT,
			       "give the key-encryption key: --kek-file FILE or --passphrase-fd N");
	if (file) {
		/* checked now, so that a command fails before it creates or changes anything */
		if (libsodium_ready(e) < 0)
			return -1;
		uint8_t *kk = sodium_malloc(32);
		if (!kk)
			return err_nomem(e);
		int rc = get_kek(&(struct kek_source){ .key_file = file }, NULL, 0, 0, kk, e);
		sodium_free(kk);
		if (rc == 0)
			k->key_file = file;
		return rc;
	}
	char *end;
	errno = 0;
	long n = strtol(fd, &end, 10);
	if (errno || *end || end == fd || n < 0 || n > 1023)
		return err_set(e, ERR_INPUT, "--passphrase-fd: '%s' is not a file descriptor", fd);
	char *p;
	if (keys_read_passphrase_fd((int)n, &p, e) < 0)
		return -1;
	if (strlen(p) < KEK_PASSPHRASE_MIN) {
		keys_free_passphrase(p);
		return err_set(e, ERR_INPUT, "passphrase on fd %ld is too short (at least %d "
			       "characters)", n, KEK_PASSPHRASE_MIN);
	}
	k->passphrase = p;
	return 0;
}

void keys_kek_release(struct kek_source *k)
{
	keys_free_passphrase((char *)k->passphrase);
	k->passphrase = NULL;
}
