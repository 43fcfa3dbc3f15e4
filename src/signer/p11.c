/*
 * p11 — the DS key in a PKCS#11 token (see p11.h).
 */
/* the ENGINE API is deprecated in OpenSSL 3.0 but is how the pkcs11 engine is reached */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "signer/p11.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/engine.h>
#include <openssl/param_build.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <sodium.h>

#include "util/buf.h"

/* prime256v1 as DER: the key's CKA_EC_PARAMS */
static const unsigned char P256_OID[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
					  0x3d, 0x03, 0x01, 0x07 };

int p11_read_pin(const char *path, char pin[65], struct err *e)
{
	struct stat st;
	if (!path || !*path)
		return err_set(e, ERR_INPUT, "no pin file configured");
	if (stat(path, &st) < 0)
		return err_errno(e, ERR_INPUT, "pin file '%s'", path);
	if (st.st_mode & 077)
		return err_set(e, ERR_INPUT, "pin file '%s' is open to group or others "
			       "(chmod 600)", path);
	struct buf b;
	buf_init(&b, 4096);
	if (buf_read_file(&b, path) < 0) {
		buf_release(&b);
		return err_errno(e, ERR_INPUT, "cannot read pin file '%s'", path);
	}
	size_t n = 0;
	while (n < b.len && b.data[n] != '\n' && b.data[n] != '\r')
		n++;
	int rc = 0;
	if (n == 0 || n > 64) {
		rc = err_set(e, ERR_INPUT, "pin file '%s': the first line must hold 1 to 64 "
			     "bytes", path);
	} else {
		memcpy(pin, b.data, n);
		pin[n] = 0;
	}
	if (b.data)
		sodium_memzero(b.data, b.len);
	buf_release(&b);
	return rc;
}

/* ---- direct PKCS#11 through p11-kit ---- */

struct session {
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE s;
	int open, logged_in;
};

static int ck_fail(struct err *e, const char *call, CK_RV rv)
{
	return err_set(e, ERR_CRYPTO, "pkcs11: %s failed (CKR 0x%lx)", call, (unsigned long)rv);
}

static void session_close(struct session *ss)
{
	if (!ss->f)
		return;
	if (ss->logged_in)
		ss->f->C_Logout(ss->s);
	if (ss->open)
		ss->f->C_CloseSession(ss->s);
	p11_kit_module_finalize(ss->f);
	p11_kit_module_release(ss->f);
	memset(ss, 0, sizeof *ss);
}

static int label_is(const CK_UTF8CHAR *padded, size_t size, const char *label)
{
	size_t n = strlen(label);
	if (n > size || memcmp(padded, label, n) != 0)
		return 0;
	for (size_t i = n; i < size; i++)
		if (padded[i] != ' ')
			return 0;
	return 1;
}

static int session_open(struct session *ss, const struct p11_token *t, struct err *e)
{
	memset(ss, 0, sizeof *ss);
	if (!t->module || !t->token || !t->key_label)
		return err_set(e, ERR_INPUT, "token: module, token and key label are required");
	char pin[65];
	if (p11_read_pin(t->pin_file, pin, e) < 0)
		return -1;
	ss->f = p11_kit_module_load(t->module, P11_KIT_MODULE_UNMANAGED);
	if (!ss->f) {
		sodium_memzero(pin, sizeof pin);
		return err_set(e, ERR_INPUT, "cannot load pkcs11 module '%s': %s", t->module,
			       p11_kit_message() ? p11_kit_message() : "unknown error");
	}
	CK_RV rv = p11_kit_module_initialize(ss->f);
	if (rv != CKR_OK) {
		p11_kit_module_release(ss->f);
		ss->f = NULL;
		sodium_memzero(pin, sizeof pin);
		return ck_fail(e, "C_Initialize", rv);
	}
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	rv = ss->f->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		ck_fail(e, "C_GetSlotList", rv);
		goto fail;
	}
	CK_ULONG i;
	for (i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (ss->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    label_is(ti.label, sizeof ti.label, t->token))
			break;
	}
	if (i == n) {
		err_set(e, ERR_INPUT, "no token labelled '%s' in '%s'", t->token, t->module);
		goto fail;
	}
	rv = ss->f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
				  &ss->s);
	if (rv != CKR_OK) {
		ck_fail(e, "C_OpenSession", rv);
		goto fail;
	}
	ss->open = 1;
	rv = ss->f->C_Login(ss->s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
	sodium_memzero(pin, sizeof pin);
	if (rv != CKR_OK) {
		ck_fail(e, "C_Login (wrong pin?)", rv);
		goto fail;
	}
	ss->logged_in = 1;
	return 0;
fail:
	sodium_memzero(pin, sizeof pin);
	session_close(ss);
	return -1;
}

/* The object of class cls with the key label; *found 0 when there is none. */
static int find_key(struct session *ss, const char *label, CK_OBJECT_CLASS cls,
		    CK_OBJECT_HANDLE *h, int *found, struct err *e)
{
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof cls },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_RV rv = ss->f->C_FindObjectsInit(ss->s, tmpl, 2);
	if (rv != CKR_OK)
		return ck_fail(e, "C_FindObjectsInit", rv);
	CK_ULONG n = 0;
	rv = ss->f->C_FindObjects(ss->s, h, 1, &n);
	ss->f->C_FindObjectsFinal(ss->s);
	if (rv != CKR_OK)
		return ck_fail(e, "C_FindObjects", rv);
	*found = n == 1;
	return 0;
}

/* A session on t and its key of class cls (private or public): 0, or -1 with the session
 * closed ("no key labelled …" when the token has none). */
static int open_key(struct session *ss, const struct p11_token *t, CK_OBJECT_CLASS cls,
		    CK_OBJECT_HANDLE *h, struct err *e)
{
	if (session_open(ss, t, e) < 0)
		return -1;
	int found = 0;
	if (find_key(ss, t->key_label, cls, h, &found, e) == 0 && !found)
		err_set(e, ERR_INPUT, "no %skey labelled '%s' in token '%s'",
			cls == CKO_PUBLIC_KEY ? "public " : "", t->key_label, t->token);
	if (found)
		return 0;
	session_close(ss);
	return -1;
}

static int check_label(const char *label, struct err *e)
{
	size_t n = strlen(label);
	if (n == 0 || n > P11_LABEL_MAX)
		return err_set(e, ERR_INPUT, "key label must be 1 to %d characters",
			       P11_LABEL_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = label[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return err_set(e, ERR_INPUT, "key label: only letters, digits, '-', '_' "
				       "and '.'");
	}
	return 0;
}

int p11_key_generate(const struct p11_token *t, struct err *e)
{
	if (check_label(t->key_label, e) < 0)
		return -1;
	struct session ss;
	if (session_open(&ss, t, e) < 0)
		return -1;
	int rc = -1, found = 0;
	CK_OBJECT_HANDLE h;
	if (find_key(&ss, t->key_label, CKO_PRIVATE_KEY, &h, &found, e) < 0)
		goto out;
	if (found) {
		err_set(e, ERR_INPUT, "token '%s' holds a key labelled '%s' already", t->token,
			t->key_label);
		goto out;
	}
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_BYTE id[8];
	randombytes_buf(id, sizeof id);
	size_t ll = strlen(t->key_label);
	CK_ATTRIBUTE pub[] = {
		{ CKA_EC_PARAMS, (void *)P256_OID, sizeof P256_OID },
		{ CKA_TOKEN, &yes, sizeof yes },
		{ CKA_VERIFY, &yes, sizeof yes },
		{ CKA_LABEL, (void *)t->key_label, ll },
		{ CKA_ID, id, sizeof id },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &yes, sizeof yes },
		{ CKA_PRIVATE, &yes, sizeof yes },
		{ CKA_SENSITIVE, &yes, sizeof yes },
		{ CKA_EXTRACTABLE, &no, sizeof no },
		{ CKA_SIGN, &yes, sizeof yes },
		{ CKA_DERIVE, &no, sizeof no },
		{ CKA_LABEL, (void *)t->key_label, ll },
		{ CKA_ID, id, sizeof id },
	};
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_RV rv = ss.f->C_GenerateKeyPair(ss.s, &mech, pub, sizeof pub / sizeof pub[0], priv,
					   sizeof priv / sizeof priv[0], &hpub, &hpriv);
	if (rv != CKR_OK) {
		ck_fail(e, "C_GenerateKeyPair", rv);
		goto out;
	}
	rc = 0;
out:
	session_close(&ss);
	return rc;
}

int p11_key_info(const struct p11_token *t, struct p11_key_info *info, struct err *e)
{
	struct session ss;
	CK_OBJECT_HANDLE h;
	if (open_key(&ss, t, CKO_PRIVATE_KEY, &h, e) < 0)
		return -1;
	int rc = -1;
	CK_BBOOL v[5] = { 0 };
	CK_ATTRIBUTE a[] = {
		{ CKA_SENSITIVE, &v[0], 1 },
		{ CKA_ALWAYS_SENSITIVE, &v[1], 1 },
		{ CKA_EXTRACTABLE, &v[2], 1 },
		{ CKA_NEVER_EXTRACTABLE, &v[3], 1 },
		{ CKA_SIGN, &v[4], 1 },
	};
	CK_RV rv = ss.f->C_GetAttributeValue(ss.s, h, a, 5);
	if (rv != CKR_OK) {
		ck_fail(e, "C_GetAttributeValue", rv);
		goto out;
	}
	info->sensitive = v[0] == CK_TRUE;
	info->always_sensitive = v[1] == CK_TRUE;
	info->extractable = v[2] == CK_TRUE;
	info->never_extractable = v[3] == CK_TRUE;
	info->sign = v[4] == CK_TRUE;
	rc = 0;
out:
	session_close(&ss);
	return rc;
}

static EVP_PKEY *p256_from_point(const unsigned char *pt, size_t n, struct err *e)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	char group[] = "P-256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, n),
		OSSL_PARAM_construct_end(),
	};
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		err_openssl(e, ERR_CRYPTO, "token public key: not a P-256 point");
	EVP_PKEY_CTX_free(ctx);
	return k;
}

int p11_public_key(const struct p11_token *t, EVP_PKEY **pub, struct err *e)
{
	*pub = NULL;
	struct session ss;
	CK_OBJECT_HANDLE h;
	if (open_key(&ss, t, CKO_PUBLIC_KEY, &h, e) < 0)
		return -1;
	int rc = -1;
	unsigned char der[160];
	CK_ATTRIBUTE a = { CKA_EC_POINT, der, sizeof der };
	CK_RV rv = ss.f->C_GetAttributeValue(ss.s, h, &a, 1);
	if (rv != CKR_OK) {
		ck_fail(e, "C_GetAttributeValue(CKA_EC_POINT)", rv);
		goto out;
	}
	/* DER OCTET STRING around the uncompressed point (some modules give it bare) */
	const unsigned char *p = der;
	ASN1_OCTET_STRING *os = d2i_ASN1_OCTET_STRING(NULL, &p, (long)a.ulValueLen);
	if (os && p == der + a.ulValueLen)
		*pub = p256_from_point(ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os),
				       e);
	else
		*pub = p256_from_point(der, a.ulValueLen, e);
	ASN1_OCTET_STRING_free(os);
	if (*pub)
		rc = 0;
out:
	session_close(&ss);
	return rc;
}

/* ---- signing through the pkcs11 engine ---- */

int p11_load_key(const struct p11_token *t, struct p11_key *k, struct err *e)
{
	memset(k, 0, sizeof *k);
	if (!t->module || !t->token || !t->key_label)
		return err_set(e, ERR_INPUT, "token: module, token and key label are required");
	if (check_label(t->key_label, e) < 0 || check_label(t->token, e) < 0) {
		err_prefix(e, "token or key label");
		return -1;
	}
	char pin[65];
	if (p11_read_pin(t->pin_file, pin, e) < 0)
		return -1;
	ENGINE *eng = ENGINE_by_id("pkcs11");
	if (!eng) {
		sodium_memzero(pin, sizeof pin);
		return err_openssl(e, ERR_CRYPTO, "cannot load the openssl pkcs11 engine "
				   "(libengine-pkcs11-openssl)");
	}
	char uri[160];
	snprintf(uri, sizeof uri, "pkcs11:token=%s;object=%s;type=private", t->token,
		 t->key_label);
	int inited = 0;
	if (ENGINE_ctrl_cmd_string(eng, "MODULE_PATH", t->module, 0) != 1 ||
	    ENGINE_ctrl_cmd_string(eng, "PIN", pin, 0) != 1 || ENGINE_init(eng) != 1) {
		err_openssl(e, ERR_CRYPTO, "cannot start the pkcs11 engine with '%s'", t->module);
		goto fail;
	}
	inited = 1;
	k->key = ENGINE_load_private_key(eng, uri, NULL, NULL);
	if (!k->key) {
		err_openssl(e, ERR_INPUT, "no key labelled '%s' in token '%s'", t->key_label,
			    t->token);
		goto fail;
	}
	sodium_memzero(pin, sizeof pin);
	k->engine = eng;
	return 0;
fail:
	sodium_memzero(pin, sizeof pin);
	if (inited)
		ENGINE_finish(eng);
	ENGINE_free(eng);
	return -1;
}

void p11_key_release(struct p11_key *k)
{
	EVP_PKEY_free(k->key);
	if (k->engine) {
		ENGINE_finish(k->engine);
		ENGINE_free(k->engine);
	}
	memset(k, 0, sizeof *k);
}
