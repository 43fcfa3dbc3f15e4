/*
 * issued — the produced documents of a personalized application (see issued.h).
 */
#include "office/issued.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "icao/mrz.h"
#include "icao/pa.h"
#include "icao/tlv.h"
#include "log/blobs.h"
#include "log/db.h"
#include "office/datapage.h"
#include "util/alloc.h"
#include "util/fs.h"

extern char **environ;

/* Spool writes and removals of one job must not interleave (a personalize answer and a
 * POST …/print-job, or two of them, share the ".old-" name): one at a time. */
static pthread_mutex_t spool_mu = PTHREAD_MUTEX_INITIALIZER;

/* The files of a print job, in job.json's order; chip files only for a chip. */
static const char *const job_files[] = { "data-page.pdf", "EF.COM", "EF.DG1", "EF.DG2",
					 "EF.SOD" };
#define JOB_FILES 5
#define JOB_MANIFEST "job.json"
#define JOB_FORMAT "paspor-print-job/1"

void issued_init(struct issued *d)
{
	memset(d, 0, sizeof *d);
	buf_init(&d->photo, (size_t)1 << 20);
	chip_files_init(&d->chip);
}

void issued_release(struct issued *d)
{
	json_decref(d->page);
	d->page = NULL;
	buf_release(&d->photo);
	chip_files_release(&d->chip);
}

static const char *text(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);
	return v ? v : "";
}

int issued_load(sqlite3 *db, const char *blobs_dir, const uint8_t *data_key,
		const struct config *cfg, const char *app, struct issued *d,
		enum wf_reason *reason, struct err *e)
{
	*reason = WF_OK;
	sqlite3_stmt *st;
	if (db_prepare(db, "SELECT a.state, a.full_name, a.birth_place, a.birth_date, a.sex,"
			   " a.photo_blob, i.booklet, i.surname, i.given_names, i.issue_date,"
			   " i.expiry_date, i.mrz, i.sod_blob, i.personalized_by, i.personalized_ms,"
			   " n.primary_id, n.secondary_id, n.approved_mrz_name"
			   " FROM applications a LEFT JOIN issuance i ON i.app = a.id"
			   " LEFT JOIN application_names n ON n.app = a.id WHERE a.id = ?",
		       &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return db_error(db, e, "reading an application");
		*reason = WF_NOT_FOUND;
		return err_set(e, ERR_INPUT, "application %s does not exist", app);
	}
	snprintf(d->app, sizeof d->app, "%s", app);
	snprintf(d->state, sizeof d->state, "%s", text(st, 0));
	int personalized = sqlite3_column_type(st, 6) != SQLITE_NULL &&
			   (strcmp(d->state, WF_STATE_PERSONALIZED) == 0 ||
			    strcmp(d->state, WF_STATE_QUALITY_CHECKED) == 0 ||
			    strcmp(d->state, WF_STATE_QC_FAILED) == 0 ||
			    strcmp(d->state, WF_STATE_ISSUED) == 0);
	if (!personalized) {
		*reason = WF_INVALID_STATE;
		err_set(e, ERR_INPUT, "application %s is '%s': it has no personalized booklet", app,
			d->state);
		sqlite3_finalize(st);
		return -1;
	}
	snprintf(d->booklet, sizeof d->booklet, "%s", text(st, 6));
	snprintf(d->mrz, sizeof d->mrz, "%s", text(st, 11));
	snprintf(d->sod_blob, sizeof d->sod_blob, "%s", text(st, 12));
	snprintf(d->personalized_by, sizeof d->personalized_by, "%s", text(st, 13));
	d->personalized_ms = sqlite3_column_int64(st, 14);
	d->electronic = d->sod_blob[0] != 0;
	snprintf(d->recorded_surname, sizeof d->recorded_surname, "%s", text(st, 7));
	snprintf(d->recorded_given, sizeof d->recorded_given, "%s", text(st, 8));
	snprintf(d->approved_mrz_name, sizeof d->approved_mrz_name, "%s", text(st, 17));
	const char *st_code = cfg->issuance.issuing_state[0] ? cfg->issuance.issuing_state : "IDN";
	d->page = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			    "document_code", "P", "issuing_state", st_code, "surname", text(st, 15),
			    "given_names", text(st, 16), "document_number", d->booklet,
			    "nationality", st_code, "birth_date", text(st, 3), "sex", text(st, 4),
			    "expiry_date", text(st, 10), "birth_place", text(st, 2),
			    "issue_date", text(st, 9), "issuing_office", cfg->office_name,
			    "full_name", text(st, 1));
	char photo_blob[65];
	snprintf(photo_blob, sizeof photo_blob, "%s", text(st, 5));
	sqlite3_finalize(st);
	if (!d->page)
		return err_nomem(e);
	if (blobs_get(blobs_dir, data_key, photo_blob, &d->photo, e) < 0)
		return -1;
	static const int dgs[] = { 1, 2 };
	if (d->electronic &&
	    (lds_put_com(&d->chip.com, dgs, 2, e) < 0 || lds_put_dg1(&d->chip.dg1, d->mrz, e) < 0 ||
	     lds_put_dg2(&d->chip.dg2, d->photo.data, d->photo.len, e) < 0 ||
	     blobs_get(blobs_dir, data_key, d->sod_blob, &d->chip.sod, e) < 0))
		return -1;
	return 0;
}

int issued_render(const struct issued *d, struct buf *pdf, struct buf *png, struct err *e)
{
	struct datapage page;
	if (datapage_from_json(d->page, &page, e) < 0)
		return -1;
	page.photo = d->photo.data;
	page.photo_len = d->photo.len;
	/* the same record always gives the same PDF bytes (the quality check relies on it) */
	char created[32];
	snprintf(created, sizeof created, "%.10sT00:00:00Z", page.issue_date);
	page.created = created;
	return datapage_render(&page, pdf, png, e);
}

int issued_job_dir(const struct issued *d, const char *spool_dir, char *out, size_t size,
		   struct err *e)
{
	int n = snprintf(out, size, "%s/%s-%s", spool_dir, d->booklet, d->app);
	if (n < 0 || (size_t)n >= size)
		return err_set(e, ERR_INPUT, "spool path too long");
	return 0;
}

static void sha256_hex(const uint8_t *p, size_t n, char hex[65])
{
	unsigned char md[32];
	EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* Removes a job folder's known files and the folder (nothing else is ever in one). */
static void remove_job(const char *dir)
{
	char path[1024];
	for (int i = 0; i < JOB_FILES; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, job_files[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/%s", dir, JOB_MANIFEST);
	unlink(path);
	rmdir(dir);
}

int issued_spool_remove(const char *spool_dir, const char *booklet, const char *app,
			struct err *e)
{
	char dir[1024];
	int n = snprintf(dir, sizeof dir, "%s/%s-%s", spool_dir, booklet, app);
	if (n < 0 || (size_t)n >= sizeof dir)
		return err_set(e, ERR_INPUT, "spool path too long");
	pthread_mutex_lock(&spool_mu);
	remove_job(dir);
	int left = access(dir, F_OK) == 0;
	pthread_mutex_unlock(&spool_mu);
	if (left)
		return err_set(e, ERR_IO, "the print job of booklet %s is still in the spool (a file "
			       "that is not a job's?)", booklet);
	return fs_sync_dir(spool_dir, e);
}

int issued_spool(const struct issued *d, const char *spool_dir, const struct buf *pdf,
		 char *job_dir, size_t job_dir_size, struct err *e)
{
	char final[1024], tmp[1024], old[1024], path[1100];
	if (fs_mkdir(spool_dir, 0750, e) < 0 || issued_job_dir(d, spool_dir, final, sizeof final, e) < 0)
		return -1;
	snprintf(tmp, sizeof tmp, "%s/.tmp-%s-XXXXXX", spool_dir, d->booklet);
	if (!mkdtemp(tmp))
		return err_errno(e, ERR_IO, "cannot make a folder in the spool %s", spool_dir);
	chmod(tmp, 0750);
	const struct buf *files[JOB_FILES] = { pdf, &d->chip.com, &d->chip.dg1, &d->chip.dg2,
					       &d->chip.sod };
	json_t *list = json_object();
	json_t *job = json_pack("{s:s, s:s, s:s, s:o, s:O, s:b}", "format", JOB_FORMAT, "app",
				d->app, "booklet", d->booklet, "files", list, "page", d->page,
				"chip", d->electronic);
	char *text = NULL;
	int rc = -1;
	if (!job) {
		err_nomem(e);
		goto out;
	}
	for (int i = 0; i < (d->electronic ? JOB_FILES : 1); i++) {
		char hex[65];
		sha256_hex(files[i]->data, files[i]->len, hex);
		snprintf(path, sizeof path, "%s/%s", tmp, job_files[i]);
		if (json_object_set_new(list, job_files[i],
					json_pack("{s:s, s:I}", "sha256", hex, "bytes",
						  (json_int_t)files[i]->len)) < 0) {
			err_nomem(e);
			goto out;
		}
		if (fs_write_atomic(path, files[i]->data, files[i]->len, 0640, e) < 0)
			goto out;
	}
	text = json_dumps(job, JSON_INDENT(2) | JSON_SORT_KEYS);
	snprintf(path, sizeof path, "%s/%s", tmp, JOB_MANIFEST);
	if (!text) {
		err_nomem(e);
		goto out;
	}
	if (fs_write_atomic(path, text, strlen(text), 0640, e) < 0)
		goto out;
	/* an older job of this booklet and application is set aside, then removed */
	snprintf(old, sizeof old, "%s/.old-%s-%s", spool_dir, d->booklet, d->app);
	pthread_mutex_lock(&spool_mu);
	remove_job(old);
	if (rename(final, old) < 0 && errno != ENOENT) {
		err_errno(e, ERR_IO, "cannot set the old print job aside");
		pthread_mutex_unlock(&spool_mu);
		goto out;
	}
	if (rename(tmp, final) < 0) {
		err_errno(e, ERR_IO, "cannot move the print job into the spool");
		rename(old, final);
		pthread_mutex_unlock(&spool_mu);
		goto out;
	}
	tmp[0] = 0;
	remove_job(old);
	pthread_mutex_unlock(&spool_mu);
	if (fs_sync_dir(spool_dir, e) < 0)
		goto out;
	if (job_dir)
		snprintf(job_dir, job_dir_size, "%s", final);
	rc = 0;
out:
	if (tmp[0])
		remove_job(tmp);
	free(text);
	json_decref(job);
	return rc;
}

int issued_print(const struct config_issuance *c, const char *pdf_path, int *ran,
		 struct err *e)
{
	*ran = 0;
	if (c->nprint_args == 0)
		return 0;
	char *argv[CONFIG_PRINT_ARGS_MAX + 1];
	for (size_t i = 0; i < c->nprint_args; i++)
		argv[i] = (char *)c->print_args[i];
	argv[c->nprint_args] = (char *)pdf_path;
	argv[c->nprint_args + 1] = NULL;
	pid_t pid;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		return err_errno(e, ERR_IO, "cannot run the print command %s", argv[0]);
	}
	*ran = 1;
	/* a printer that hangs must not hold the officer's request (and a handler thread)
	 * for ever: ISSUED_PRINT_TIMEOUT_S, then the command is killed */
	int status = 0;
	for (int waited_ms = 0;; waited_ms += 20) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return err_errno(e, ERR_IO, "waiting for the print command");
		if (waited_ms >= ISSUED_PRINT_TIMEOUT_S * 1000) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return err_set(e, ERR_IO, "the print command %s did not finish in %d s: "
				       "killed", argv[0], ISSUED_PRINT_TIMEOUT_S);
		}
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(e, ERR_IO, "the print command %s failed (%s %d)", argv[0],
			       WIFEXITED(status) ? "exit" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

/* ---- the quality check ---- */

/* Appends a failure; once the list is full, its last place says that more were cut. */
static int fail(json_t *failures, const char *what)
{
	size_t n = json_array_size(failures);
	if (n >= ISSUED_QC_FAILURES_MAX)
		return json_array_set_new(failures, n - 1, json_string("… and more failures"));
	json_t *s = json_string(what);
	if (!s)
		s = json_string("a check failed (its text is not printable)");
	return json_array_append_new(failures, s);
}

/* The MRZ inside an EF.DG1 (61 { 5F1F mrz }), NUL-terminated into out. */
static int dg1_mrz(const struct buf *dg1, char *out, size_t size)
{
	struct tlv t, m;
	struct err e = ERR_INIT;
	if (tlv_read_exact(dg1->data, dg1->len, 0x61, &t, &e) < 0 ||
	    tlv_find(t.value, t.len, 0x5F1F, &m, &e) < 0 || m.len >= size)
		return -1;
	memcpy(out, m.value, m.len);
	out[m.len] = 0;
	return 0;
}

/* 1 when line 1 of mrz (88 characters) holds the approved MRZ name field. */
static int approved_name(const struct issued *d, const char *mrz)
{
	return strlen(d->approved_mrz_name) == 39 && strlen(mrz) == 88 &&
	       strncmp(mrz + 5, d->approved_mrz_name, 39) == 0;
}

int issued_quality_check(const struct issued *d, const char *job_dir, const char *csca_path,
			 json_t *failures, struct err *e)
{
	char path[1100];
	struct buf files[JOB_FILES], manifest;
	buf_init(&manifest, (size_t)1 << 20);
	for (int i = 0; i < JOB_FILES; i++)
		buf_init(&files[i], (size_t)64 << 20);
	json_t *job = NULL;
	X509 *csca = NULL;
	int rc = -1;
	struct err fe = ERR_INIT;

	/* 1. the job is there and whole */
	snprintf(path, sizeof path, "%s/%s", job_dir, JOB_MANIFEST);
	if (fs_read_file(path, &manifest, &fe) < 0 ||
	    !(job = json_loadb((const char *)manifest.data, manifest.len, 0, NULL))) {
		rc = fail(failures, "print job: job.json is missing or unreadable");
		goto out;
	}
	const json_t *list = json_object_get(job, "files");
	int nfiles = d->electronic ? JOB_FILES : 1;
	int whole = 1;
	for (int i = 0; i < nfiles; i++) {
		snprintf(path, sizeof path, "%s/%s", job_dir, job_files[i]);
		char hex[65], msg[120];
		const char *want = json_string_value(
			json_object_get(json_object_get(list, job_files[i]), "sha256"));
		err_clear(&fe);
		if (fs_read_file(path, &files[i], &fe) < 0) {
			snprintf(msg, sizeof msg, "print job: %s is missing", job_files[i]);
			whole = 0;
		} else if (sha256_hex(files[i].data, files[i].len, hex), !want || strcmp(hex, want)) {
			snprintf(msg, sizeof msg, "print job: %s does not match job.json", job_files[i]);
			whole = 0;
		} else {
			continue;
		}
		if (fail(failures, msg) < 0)
			goto nomem;
	}
	if (!whole) {
		rc = 0;
		goto out;
	}

	/* 2. the page is the record's: its fields, and the PDF made again from the record
	 * byte for byte (the job's own SHA-256 list proves nothing by itself) */
	if (!json_equal(json_object_get(job, "page"), d->page) &&
	    fail(failures, "data page: its fields differ from the record") < 0)
		goto nomem;
	struct buf again;
	buf_init(&again, (size_t)32 << 20);
	err_clear(&fe);
	int same = issued_render(d, &again, NULL, &fe) == 0 && again.len == files[0].len &&
		   memcmp(again.data, files[0].data, again.len) == 0;
	buf_release(&again);
	if (!same && fail(failures, "data page: the job's PDF is not the one the record makes") < 0)
		goto nomem;
	/* the personalization printed and signed the approved name: the names recorded
	 * with it are the enrolled ones, and its MRZ carries the approved name field */
	if ((strcmp(d->recorded_surname, json_string_value(json_object_get(d->page, "surname"))) ||
	     strcmp(d->recorded_given, json_string_value(json_object_get(d->page, "given_names")))) &&
	    fail(failures, "name: the personalization's names are not the enrolled ones") < 0)
		goto nomem;
	if (!approved_name(d, d->mrz) &&
	    fail(failures, "mrz: the recorded MRZ's name is not the approved one") < 0)
		goto nomem;
	/* the MRZ the record's fields make is the recorded one */
	struct datapage page;
	err_clear(&fe);
	if (datapage_from_json(d->page, &page, &fe) < 0 || strcmp(page.mrz, d->mrz) != 0) {
		if (fail(failures, "mrz: the recorded MRZ is not the one the record's fields make") < 0)
			goto nomem;
	}

	if (d->electronic) {
		/* 3. the MRZ in EF.DG1 */
		char mrz[100];
		struct mrz_parsed mp;
		if (dg1_mrz(&files[2], mrz, sizeof mrz) < 0) {
			if (fail(failures, "mrz: EF.DG1 holds no readable MRZ") < 0)
				goto nomem;
		} else {
			char lines[100];
			snprintf(lines, sizeof lines, "%.44s\n%.44s", mrz, strlen(mrz) > 44 ? mrz + 44 : "");
			err_clear(&fe);
			if (strlen(mrz) != 88 || mrz_parse(lines, &mp, &fe) < 0 || mp.nproblems != 0) {
				if (fail(failures, "mrz: EF.DG1's MRZ fails its check digits") < 0)
					goto nomem;
			} else if (strcmp(mrz, d->mrz) != 0 &&
				   fail(failures, "mrz: EF.DG1's MRZ differs from the record") < 0) {
				goto nomem;
			} else if (!approved_name(d, mrz) &&
				   fail(failures, "mrz: EF.DG1's name is not the approved one") < 0) {
				goto nomem;
			}
		}
		/* 4. the chip files are the record's: EF.COM, EF.DG1 and EF.DG2 as made
		 * again from it (EF.DG2: the enrolled photo), EF.SOD the one stored */
		const struct buf *mine[] = { &d->chip.com, &d->chip.dg1, &d->chip.dg2,
					     &d->chip.sod };
		for (int i = 1; i < JOB_FILES; i++) {
			char msg[120];
			snprintf(msg, sizeof msg, "chip: the job's %s is not the record's",
				 job_files[i]);
			if ((files[i].len != mine[i - 1]->len ||
			     memcmp(files[i].data, mine[i - 1]->data, files[i].len) != 0) &&
			    fail(failures, msg) < 0)
				goto nomem;
		}
		/* 5. passive authentication against the CSCA */
		FILE *f = fopen(csca_path, "r");
		if (f) {
			csca = PEM_read_X509(f, NULL, NULL, NULL);
			fclose(f);
		}
		if (!csca) {
			err_set(e, ERR_IO, "cannot read the CSCA certificate %s (issuance.csca_cert)",
				csca_path);
			goto out;
		}
		struct chip_file cf[4];
		for (int i = 1; i < JOB_FILES; i++)
			cf[i - 1] = (struct chip_file){ job_files[i], files[i].data, files[i].len };
		struct pa_report r;
		pa_report_init(&r);
		if (pa_verify(cf, 4, csca, &r, e) < 0) {
			pa_report_release(&r);
			goto out;
		}
		for (size_t i = 0; i < r.n; i++) {
			if (r.lines[i].status != PA_FAIL && r.lines[i].status != PA_UNREADABLE)
				continue;
			char msg[460];
			snprintf(msg, sizeof msg, "chip: %s", r.lines[i].text);
			if (fail(failures, msg) < 0) {
				pa_report_release(&r);
				goto nomem;
			}
		}
		pa_report_release(&r);
	}
	rc = 0;
	goto out;
nomem:
	err_nomem(e);
	rc = -1;
out:
	X509_free(csca);
	json_decref(job);
	buf_release(&manifest);
	for (int i = 0; i < JOB_FILES; i++)
		buf_release(&files[i]);
	return rc;
}
