/*
 * log/note: signed notes, keys and checkpoints. Known answers come from
 * golang.org/x/mod/sumdb/note (note.go package documentation, example_test.go and
 * note_test.go): the PeterNeumann key pair and signature, and the EnochRoot key that
 * GenerateKey derives from an all-zero seed with its cosignature on the same text. The
 * key id of C2SP signed-note's example key (example.com/foo+530d903a) checks the key-id
 * derivation once more.
 */
#include <stdio.h>

#include "harness.h"
#include "log/note.h"
#include "util/alloc.h"

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define TEXT "If you think cryptography is the answer to your problem,\n" \
	     "then you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_SIG "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

TEST(note_keys_match_go_sumdb_note)
{
	struct err e = ERR_INIT;
	struct note_verifier v;
	CHECK(note_verifier_parse(&v, PETER_VKEY, &e) == 0);
	CHECK_STR_EQ(v.name, "PeterNeumann");
	CHECK_INT_EQ(v.key_id, 0xc74f20a3);
	struct buf b;
	buf_init(&b, 1024);
	CHECK(note_verifier_format(&v, &b, &e) == 0);
	CHECK_STR_EQ(buf_str(&b), PETER_VKEY);
	note_verifier_release(&v);

	/* the private key derives the same public key and id */
	struct note_signer s;
	CHECK(note_signer_parse(&s, PETER_SKEY, &e) == 0);
	CHECK_INT_EQ(s.key_id, 0xc74f20a3);
	CHECK(note_signer_verifier(&s, &v, &e) == 0);
	buf_reset(&b);
	CHECK(note_verifier_format(&v, &b, &e) == 0);
	CHECK_STR_EQ(buf_str(&b), PETER_VKEY);
	note_verifier_release(&v);
	note_signer_release(&s);

	/* GenerateKey from an all-zero seed gives the EnochRoot key */
	uint8_t zero[32] = { 0 };
	CHECK(note_signer_init(&s, "EnochRoot", zero, &e) == 0);
	CHECK(note_signer_verifier(&s, &v, &e) == 0);
	buf_reset(&b);
	CHECK(note_verifier_format(&v, &b, &e) == 0);
	CHECK_STR_EQ(buf_str(&b), ENOCH_VKEY);
	note_verifier_release(&v);
	note_signer_release(&s);

	/* the C2SP signed-note example key */
	CHECK(note_verifier_parse(&v, "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", &e) == 0);
	CHECK_INT_EQ(v.key_id, 0x530d903a);
	note_verifier_release(&v);
	buf_release(&b);
}

TEST(note_keys_reject_malformed_strings)
{
	struct err e = ERR_INIT;
	struct note_verifier v;
	struct note_signer s;
	const char *bad[] = {
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* wrong id */
		"PeterNeumann+c74f20a3+AhpC2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* type 2 */
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  /* short */
		"PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", /* upper hex */
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&e);
		if (note_verifier_parse(&v, bad[i], &e) == 0) {
			note_verifier_release(&v);
			test_fail(__FILE__, __LINE__, "accepted verifier key %zu", i);
			return;
		}
		CHECK_INT_EQ(e.code, ERR_INPUT);
	}
	err_clear(&e);
	CHECK(note_signer_parse(&s, PETER_VKEY, &e) < 0);
	err_clear(&e);
	CHECK(note_signer_parse(&s, "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", &e) < 0);
}

TEST(note_sign_reproduces_go_signature_and_cosignature)
{
	struct err e = ERR_INIT;
	struct note_signer peter, enoch;
	uint8_t zero[32] = { 0 };
	CHECK(note_signer_parse(&peter, PETER_SKEY, &e) == 0);
	CHECK(note_signer_init(&enoch, "EnochRoot", zero, &e) == 0);
	struct note n;
	CHECK(note_init(&n, TEXT, strlen(TEXT), &e) == 0);
	CHECK(note_sign(&n, &peter, &e) == 0);
	struct buf b;
	buf_init(&b, NOTE_MAX_LEN);
	CHECK(note_format(&n, &b, &e) == 0);
	CHECK_STR_EQ(buf_str(&b), TEXT "\n" PETER_SIG);
	CHECK(note_sign(&n, &enoch, &e) == 0);
	CHECK(note_sign(&n, &peter, &e) == 0); /* re-signing replaces, does not duplicate */
	CHECK_INT_EQ(n.nsigs, 2);
	buf_reset(&b);
	CHECK(note_format(&n, &b, &e) == 0);
	CHECK_STR_EQ(buf_str(&b), TEXT "\n" ENOCH_SIG PETER_SIG);
	note_release(&n);
	note_signer_release(&peter);
	note_signer_release(&enoch);
	buf_release(&b);
}

TEST(note_parse_and_verify_go_messages)
{
	struct err e = ERR_INIT;
	const char *msg = TEXT "\n" PETER_SIG ENOCH_SIG
			       "\xe2\x80\x94 Unknown+Key AAAAAAAAAA==\n";
	(void)msg;
	/* '+' is not allowed in a name: that message is malformed */
	struct note n;
	CHECK(note_parse(&n, (const uint8_t *)msg, strlen(msg), &e) < 0);
	err_clear(&e);
	const char *good = TEXT "\n" PETER_SIG ENOCH_SIG "\xe2\x80\x94 other.example/w AAAAAAAAAA==\n";
	CHECK(note_parse(&n, (const uint8_t *)good, strlen(good), &e) == 0);
	CHECK_INT_EQ(n.nsigs, 3);
	CHECK_INT_EQ(n.text_len, strlen(TEXT));
	CHECK_MEM_EQ(n.text, TEXT, n.text_len);
	struct note_verifier pv, ev, other;
	CHECK(note_verifier_parse(&pv, PETER_VKEY, &e) == 0);
	CHECK(note_verifier_parse(&ev, ENOCH_VKEY, &e) == 0);
	CHECK(note_verify(&n, &pv, &e) == 0);
	CHECK(note_verify(&n, &ev, &e) == 0);
	/* a key with no line in the note */
	uint8_t seed[32];
	memset(seed, 7, sizeof seed);
	struct note_signer os;
	CHECK(note_signer_init(&os, "other.example/w", seed, &e) == 0);
	CHECK(note_signer_verifier(&os, &other, &e) == 0);
	CHECK(note_verify(&n, &other, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	err_clear(&e);
	/* the unknown line is written back unchanged */
	struct buf b;
	buf_init(&b, NOTE_MAX_LEN);
	CHECK(note_format(&n, &b, &e) == 0);
	CHECK_STR_EQ(buf_str(&b), good);
	note_release(&n);

	/* a changed text no longer verifies */
	char *bad = mem_strdup(good);
	bad[3] = 'Y';
	CHECK(note_parse(&n, (const uint8_t *)bad, strlen(bad), &e) == 0);
	CHECK(note_verify(&n, &pv, &e) < 0);
	CHECK_INT_EQ(e.code, ERR_VERIFY);
	note_release(&n);
	mem_free(bad);
	note_verifier_release(&pv);
	note_verifier_release(&ev);
	note_verifier_release(&other);
	note_signer_release(&os);
	buf_release(&b);
}

TEST(note_merge_keeps_cosignatures_from_other_copies)
{
	struct err e = ERR_INIT;
	struct note a, b, c;
	const char *ma = TEXT "\n" PETER_SIG, *mb = TEXT "\n" ENOCH_SIG PETER_SIG;
	CHECK(note_parse(&a, (const uint8_t *)ma, strlen(ma), &e) == 0);
	CHECK(note_parse(&b, (const uint8_t *)mb, strlen(mb), &e) == 0);
	CHECK(note_merge_signatures(&a, &b, &e) == 0);
	CHECK_INT_EQ(a.nsigs, 2);
	struct buf out;
	buf_init(&out, NOTE_MAX_LEN);
	CHECK(note_format(&a, &out, &e) == 0);
	CHECK_STR_EQ(buf_str(&out), TEXT "\n" PETER_SIG ENOCH_SIG);
	const char *mc = "other text\n\n" PETER_SIG;
	CHECK(note_parse(&c, (const uint8_t *)mc, strlen(mc), &e) == 0);
	CHECK(note_merge_signatures(&a, &c, &e) < 0);
	note_release(&a);
	note_release(&b);
	note_release(&c);
	buf_release(&out);
}

TEST(note_parse_rejects_malformed_notes)
{
	static const char *const bad[] = {
		"",
		"no signatures\n",
		"text\n\n",
		"text\n\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", /* no final newline */
		"text\n\n- PeterNeumann AAAAAAAA\n",            /* hyphen, not em dash */
		"text\n\n\xe2\x80\x94 PeterNeumann\n",          /* no signature */
		"text\n\n\xe2\x80\x94 PeterNeumann \n",         /* empty signature */
		"text\n\n\xe2\x80\x94 PeterNeumann AAAA\n",     /* 3 bytes: no room for id + sig */
		"text\n\n\xe2\x80\x94 PeterNeumann AAAAAAB=\n", /* non-canonical trailing bits */
		"text\n\n\xe2\x80\x94  AAAAAAAAAA==\n",         /* empty name */
		"a\n\n\xe2\x80\x94 a AAAAAA\xc5\xbe" "AA==\n",     /* non-ASCII in base64 (fuzz) */
		"text\n\n\xe2\x80\x94 a\xc2\xa0" "b AAAAAAAAAA==\n", /* NBSP in the name */
		"te\rxt\n\n\xe2\x80\x94 a AAAAAAAAAA==\n",      /* control character */
		"te\txt\n\n\xe2\x80\x94 a AAAAAAAAAA==\n",      /* tab */
		"te\xffxt\n\n\xe2\x80\x94 a AAAAAAAAAA==\n",    /* invalid UTF-8 */
		"te\xed\xa0\x80xt\n\n\xe2\x80\x94 a AAAAAAAAAA==\n", /* surrogate */
		"text\n\n\xe2\x80\x94 a AAAAAAAAAA==\n\n\xe2\x80\x94 a AAAAAAAAAA==\n\n", /* blank at end */
	};
	struct err e = ERR_INIT;
	struct note n;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&e);
		if (note_parse(&n, (const uint8_t *)bad[i], strlen(bad[i]), &e) == 0) {
			note_release(&n);
			test_fail(__FILE__, __LINE__, "accepted malformed note %zu", i);
			return;
		}
		CHECK_INT_EQ(e.code, ERR_INPUT);
	}
	/* 100 signatures are fine, 101 are not */
	struct buf b;
	buf_init(&b, NOTE_MAX_LEN);
	buf_addstr(&b, "text\n\n");
	for (int i = 0; i < NOTE_MAX_SIGS; i++)
		buf_addf(&b, "\xe2\x80\x94 w%d AAAAAAAAAA==\n", i);
	err_clear(&e);
	CHECK(note_parse(&n, b.data, b.len, &e) == 0);
	note_release(&n);
	buf_addstr(&b, "\xe2\x80\x94 one.more AAAAAAAAAA==\n");
	CHECK(note_parse(&n, b.data, b.len, &e) < 0);
	err_clear(&e);
	/* the size cap */
	buf_release(&b);
	buf_init(&b, 2 * NOTE_MAX_LEN);
	for (int i = 0; i < NOTE_MAX_LEN / 8 + 1; i++)
		buf_addstr(&b, "1234567\n");
	buf_addstr(&b, "\n\xe2\x80\x94 a AAAAAAAAAA==\n");
	CHECK(buf_ok(&b));
	CHECK(note_parse(&n, b.data, b.len, &e) < 0);
	buf_release(&b);
	/* a text with a blank line inside: the signatures follow the last one */
	const char *two = "a\n\nb\n\n\xe2\x80\x94 a AAAAAAAAAA==\n";
	err_clear(&e);
	CHECK(note_parse(&n, (const uint8_t *)two, strlen(two), &e) == 0);
	CHECK_INT_EQ(n.text_len, 5);
	note_release(&n);
}

TEST(checkpoint_format_parse_sign_and_verify)
{
	struct err e = ERR_INIT;
	struct checkpoint c = { 0 };
	c.origin = mem_strdup("kanim-samarinda.imigrasi.go.id");
	c.size = 20852163;
	for (int i = 0; i < 32; i++)
		c.root[i] = (uint8_t)i;
	c.extensions = mem_strdup("ext one\n");
	struct buf b;
	buf_init(&b, NOTE_MAX_LEN);
	CHECK(checkpoint_format(&c, &b, &e) == 0);
	CHECK_STR_EQ(buf_str(&b), "kanim-samarinda.imigrasi.go.id\n20852163\n"
				  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\next one\n");
	struct note n;
	CHECK(note_init(&n, (const char *)b.data, b.len, &e) == 0);
	uint8_t seed[32] = { 1, 2, 3 };
	struct note_signer s;
	struct note_verifier v;
	CHECK(note_signer_init(&s, c.origin, seed, &e) == 0);
	CHECK(note_signer_verifier(&s, &v, &e) == 0);
	CHECK(note_sign(&n, &s, &e) == 0);
	buf_reset(&b);
	CHECK(note_format(&n, &b, &e) == 0);
	note_release(&n);
	CHECK(note_parse(&n, b.data, b.len, &e) == 0);
	CHECK(note_verify(&n, &v, &e) == 0);
	struct checkpoint c2;
	CHECK(checkpoint_parse(&c2, n.text, n.text_len, &e) == 0);
	CHECK_STR_EQ(c2.origin, c.origin);
	CHECK_INT_EQ(c2.size, c.size);
	CHECK_MEM_EQ(c2.root, c.root, 32);
	CHECK_STR_EQ(c2.extensions, "ext one\n");
	checkpoint_release(&c2);
	note_release(&n);
	note_signer_release(&s);
	note_verifier_release(&v);
	checkpoint_release(&c);
	buf_release(&b);
}

TEST(checkpoint_parse_is_strict)
{
	static const char *const bad[] = {
		"origin\n10\n",
		"\n10\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"origin\n010\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"origin\n+10\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"origin\n18446744073709551616\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"origin\n10\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
		"origin\n10\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
		"origin\n10\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\nafter blank\n",
		"origin\n10\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	};
	struct err e = ERR_INIT;
	struct checkpoint c;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&e);
		if (checkpoint_parse(&c, bad[i], strlen(bad[i]), &e) == 0) {
			checkpoint_release(&c);
			test_fail(__FILE__, __LINE__, "accepted checkpoint %zu", i);
			return;
		}
	}
	const char *max = "o\n18446744073709551615\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
	err_clear(&e);
	CHECK(checkpoint_parse(&c, max, strlen(max), &e) == 0);
	CHECK(c.size == UINT64_MAX);
	CHECK_STR_EQ(c.extensions, "");
	checkpoint_release(&c);
}
