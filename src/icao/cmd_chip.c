/*
 * `paspor chip` — make and verify eMRTD chip files (icao/lds.h, icao/sod.h, icao/pa.h).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "commands.h"
#include "icao/face.h"
#include "icao/lds.h"
#include "icao/mrz.h"
#include "icao/pa.h"
#include "icao/pki.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/cli.h"
#include "util/fs.h"

#define CHIP_FILE_MAX ((size_t)32 << 20)

static const struct cli_usage make_usage = {
	"usage: paspor chip make --ds DIR (--json FILE | --mrz MRZ) --photo FACE.jpg --out DIR\n"
	"\n"
	"Writes the LDS1 files of a passport chip into the folder --out: EF.COM, EF.DG1 (the\n"
	"MRZ), EF.DG2 (the photo in an ISO/IEC 19794-5 face record) and EF.SOD (SHA-256\n"
	"hashes of DG1 and DG2 signed with the Document Signer key in --ds: ds.key.pem and\n"
	"ds.cert.pem). See docs/CHIP.md.\n",
	"Exit status: 0 written, 1 signing or writing failed, 2 bad input.\n",
	NULL
};

static const struct cli_usage verify_usage = {
	"usage: paspor chip verify [--csca CERT.pem] FILE|DIR...\n"
	"\n"
	"Passive authentication (Doc 9303 Part 11): recognises each file by its first tag,\n"
	"checks the EF.SOD signature with the Document Signer certificate it carries, every\n"
	"data group's hash against EF.SOD, EF.COM against EF.SOD, and with --csca the Document\n"
	"Signer certificate's chain to the CSCA, its validity now and its Doc 9303 Part 12\n"
	"profile (keyUsage digitalSignature, not a CA, ...). EF.SOD may be BER (indefinite\n"
	"lengths), as real passports write it. A folder means every file in it (names\n"
	"starting with '.' skipped). One line per check:\n"
	"  ok   EF.DG1 hash matches (SHA-256) [path]\n"
	"  FAIL EF.DG2 (path): hash differs from EF.SOD (SHA-256)\n"
	"  --   EF.DG3 not present\n",
	"Exit status: 0 every check passed, 1 a check failed, 2 usage error or a file that\n"
	"cannot be read or is not an LDS file.\n",
	NULL
};

static int read_json_mrz(const char *path, char mrz[2 * MRZ_TD3_LEN + 1], struct err *e)
{
	json_error_t je;
	json_t *obj = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!obj)
		return err_set(e, ERR_INPUT, "'%s': line %d: %s", path, je.line, je.text);
	struct mrz_doc *d = mem_alloc(sizeof *d);
	int rc = -1;
	if (!d) {
		err_nomem(e);
	} else if (mrz_doc_from_json(obj, d, e) == 0 && mrz_make_td3(d, mrz, e) == 0) {
		rc = 0;
	} else {
		err_prefix(e, "'%s'", path);
	}
	mem_free(d);
	json_decref(obj);
	return rc;
}

static int write_out(const char *dir, const char *name, const struct buf *b, struct err *e)
{
	char *path = fs_join(dir, name);
	if (!path)
		return err_nomem(e);
	int rc = fs_write_atomic(path, b->data, b->len, 0644, e);
	mem_free(path);
	return rc;
}

static int chip_make(int argc, char **argv)
{
	const char *ds = NULL, *json = NULL, *mrz_arg = NULL, *photo = NULL, *out = NULL;
	struct cli_option opts[] = {
		OPT_FILENAME("ds", &ds, "DIR", "Document Signer folder (paspor pki ds)"),
		OPT_FILENAME("json", &json, "FILE", "document description, as for 'paspor mrz make'"),
		OPT_STRING("mrz", &mrz_arg, "MRZ", "the 88-character TD3 MRZ instead of --json"),
		OPT_FILENAME("photo", &photo, "FILE", "the face image, a JPEG"),
		OPT_FILENAME("out", &out, "DIR", "output folder (created if missing)"),
		OPT_END(),
	};
	int rc;
	if (cli_parse_no_operands(argc, argv, opts, &make_usage, &rc) < 0)
		return rc;
	if (!ds || !photo || !out)
		return cli_usage_error(argv[0], "--ds, --photo and --out are required");
	if (!json == !mrz_arg)
		return cli_usage_error(argv[0], "give one of --json and --mrz");

	struct err e = ERR_INIT;
	char mrz[2 * MRZ_TD3_LEN + 1];
	struct buf jpeg;
	struct chip_files files;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	rc = EXIT_USAGE;
	buf_init(&jpeg, FACE_JPEG_MAX);
	chip_files_init(&files);
	if (json) {
		if (read_json_mrz(json, mrz, &e) < 0)
			goto report;
	} else {
		if (strlen(mrz_arg) != sizeof mrz - 1) {
			rc = cli_usage_error(argv[0], "--mrz: %zu characters, a TD3 MRZ has 88",
					     strlen(mrz_arg));
			goto out;
		}
		memcpy(mrz, mrz_arg, sizeof mrz);
	}
	if (fs_read_file(photo, &jpeg, &e) < 0) {
		e.code = ERR_INPUT;
		goto report;
	}
	if (pki_load_signer(ds, &key, &cert, &e) < 0)
		goto report;
	struct sod_key sk = { key, cert };
	struct sod_signer signer = { sod_sign_with_key, &sk };
	struct chip_input in = { mrz, jpeg.data, jpeg.len, &signer, NULL };
	if (lds_make_chip(&in, &files, &e) < 0) {
		if (e.code == ERR_INPUT && strncmp(e.msg, "photo", 5) == 0)
			err_prefix(&e, "'%s'", photo);
		goto report;
	}
	if (fs_mkdir(out, 0755, &e) < 0 || write_out(out, "EF.COM", &files.com, &e) < 0 ||
	    write_out(out, "EF.DG1", &files.dg1, &e) < 0 ||
	    write_out(out, "EF.DG2", &files.dg2, &e) < 0 ||
	    write_out(out, "EF.SOD", &files.sod, &e) < 0)
		goto report;
	rc = EXIT_OK;
	goto out;
report:
	rc = cli_report(argv[0], &e);
	if (e.code == ERR_INPUT || e.code == ERR_IO)
		rc = EXIT_USAGE;
out:
	EVP_PKEY_free(key);
	X509_free(cert);
	buf_release(&jpeg);
	chip_files_release(&files);
	return rc;
}

struct loaded {
	struct chip_file *files;
	struct buf *bufs;
	char **names;
	size_t n, cap;
};

static int load_one(struct loaded *l, const char *path, struct err *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct chip_file *f = mem_realloc(l->files, cap * sizeof *f);
		if (f)
			l->files = f;
		struct buf *b = mem_realloc(l->bufs, cap * sizeof *b);
		if (b)
			l->bufs = b;
		char **nm = mem_realloc(l->names, cap * sizeof *nm);
		if (nm)
			l->names = nm;
		if (!f || !b || !nm)
			return err_nomem(e);
		l->cap = cap;
	}
	struct buf *b = &l->bufs[l->n];
	buf_init(b, CHIP_FILE_MAX);
	char *name = mem_strdup(path);
	if (!name)
		return err_nomem(e);
	if (fs_read_file(path, b, e) < 0) {
		buf_release(b);
		mem_free(name);
		return -1;
	}
	l->names[l->n] = name;
	l->files[l->n] = (struct chip_file){ name, b->data, b->len };
	l->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_path(struct loaded *l, const char *path, struct err *e)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return err_errno(e, ERR_IO, "cannot read '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return load_one(l, path, e);
	DIR *d = opendir(path);
	if (!d)
		return err_errno(e, ERR_IO, "cannot open folder '%s'", path);
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *p = fs_join(path, de->d_name);
		if (!p || stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
			mem_free(p);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			char **nn = mem_realloc(names, cap * sizeof *nn);
			if (!nn) {
				mem_free(p);
				rc = err_nomem(e);
				break;
			}
			names = nn;
		}
		names[n++] = p;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && load_one(l, names[i], e) < 0)
			rc = -1;
		mem_free(names[i]);
	}
	mem_free(names);
	return rc;
}

static void loaded_release(struct loaded *l)
{
	for (size_t i = 0; i < l->n; i++) {
		buf_release(&l->bufs[i]);
		mem_free(l->names[i]);
	}
	mem_free(l->files);
	mem_free(l->bufs);
	mem_free(l->names);
}

static int chip_verify(int argc, char **argv)
{
	const char *csca_path = NULL;
	struct cli_option opts[] = {
		OPT_FILENAME("csca", &csca_path, "CERT.pem", "the CSCA certificate: also check the "
			     "Document Signer certificate's chain, validity and profile"),
		OPT_END(),
	};
	int rc, first = cli_parse(argc, argv, opts, &verify_usage, &rc);
	if (first < 0)
		return rc;
	if (first >= argc)
		return cli_usage_error(argv[0], "name at least one file or folder");
	struct err e = ERR_INIT;
	X509 *csca = NULL;
	if (csca_path && pki_load_cert(csca_path, &csca, &e) < 0) {
		cli_report(argv[0], &e);
		return EXIT_USAGE;
	}
	struct loaded l = { 0 };
	rc = EXIT_OK;
	for (int i = first; i < argc; i++) {
		if (load_path(&l, argv[i], &e) < 0) {
			cli_report(argv[0], &e);
			err_clear(&e);
			rc = EXIT_USAGE;
		}
	}
	struct pa_report r;
	pa_report_init(&r);
	if (pa_verify(l.files, l.n, csca, &r, &e) < 0) {
		cli_report(argv[0], &e);
		rc = EXIT_FAILED > rc ? EXIT_FAILED : rc;
	}
	for (size_t i = 0; i < r.n; i++)
		printf("%s %s\n", pa_status_word(r.lines[i].status), r.lines[i].text);
	int prc = pa_report_exit_code(&r);
	if (prc > rc)
		rc = prc;
	printf("passive authentication %s\n", rc == 0 ? "passed" : "FAILED");
	pa_report_release(&r);
	loaded_release(&l);
	X509_free(csca);
	return rc;
}

const struct cli_command chip_commands[] = {
	CLI_CMD("make", chip_make, "write EF.COM, EF.DG1, EF.DG2 and a signed EF.SOD"),
	CLI_CMD("verify", chip_verify, "passive authentication of chip files"),
	CLI_CMD_END(),
};
