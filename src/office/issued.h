/*
 * issued — the produced documents of a personalized application, rebuilt from the
 * record (docs/PERSONALIZATION.md, docs/SPOOL.md): the data page's fields, the chip
 * files (EF.COM, EF.DG1 and EF.DG2 rebuilt from the recorded MRZ and the enrolled
 * photo; EF.SOD read from its blob: the signature is the one thing that cannot be made
 * again), the print job in the spool folder, the optional print command, and the
 * automatic part of the quality check.
 *
 * Everything here runs outside the writer (handler threads) through a read-only
 * connection; the operations that record results are in workflow.h (wf_issue.c).
 *
 * Ownership: struct issued owns its JSON, photo and chip buffers (issued_release).
 * Errors: ERR_INPUT with *reason WF_NOT_FOUND / WF_INVALID_STATE when the application
 * is unknown or not personalized; ERR_VERIFY a blob that does not verify; ERR_IO files;
 * ERR_NOMEM.
 */
#ifndef PASPOR_OFFICE_ISSUED_H
#define PASPOR_OFFICE_ISSUED_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "icao/lds.h"
#include "office/config.h"
#include "office/workflow.h"
#include "util/buf.h"
#include "util/err.h"

struct issued {
	char app[APPID_LEN + 1];
	char state[32];
	char booklet[9];
	char mrz[89];
	char personalized_by[256];
	char sod_blob[65];
	int64_t personalized_ms;
	int electronic;          /* chip files exist */
	/* the names recorded by the personalization, and the MRZ name field approved; the
	 * page's surname and given names are the enrolled (approved) ones */
	char recorded_surname[640], recorded_given[640];
	char approved_mrz_name[40];
	json_t *page;            /* the data page's fields (datapage_from_json's shape) */
	struct buf photo;        /* the enrolled JPEG */
	struct chip_files chip;  /* sod empty when !electronic */
};

void issued_init(struct issued *d);
void issued_release(struct issued *d);

/* Loads app's issuance record, photo and EF.SOD (blobs_dir + 32-byte data key). */
int issued_load(sqlite3 *db, const char *blobs_dir, const uint8_t *data_key,
		const struct config *cfg, const char *app, struct issued *d,
		enum wf_reason *reason, struct err *e);

/* Renders the data page from d->page and the photo (either output may be NULL). */
int issued_render(const struct issued *d, struct buf *pdf, struct buf *png, struct err *e);

/*
 * Writes the print job of d into spool_dir (created if missing) as the folder
 * "<booklet>-<app>" (docs/SPOOL.md): data-page.pdf, EF.COM, EF.DG1, EF.DG2, EF.SOD and,
 * last, job.json with the SHA-256 of each file and the page's fields. Written in a
 * temporary folder, fsynced and renamed into place; an older job of the same booklet
 * and application is replaced. job_dir (may be NULL) gets its path.
 */
int issued_spool(const struct issued *d, const char *spool_dir, const struct buf *pdf,
		 char *job_dir, size_t job_dir_size, struct err *e);

#define ISSUED_PRINT_TIMEOUT_S 60

/* Removes the print job of booklet + app from spool_dir (nothing there: 0). Called
 * when the passport is handed over or its booklet spoiled: the job holds personal data
 * in clear and is of no use after that. */
int issued_spool_remove(const char *spool_dir, const char *booklet, const char *app,
			struct err *e);

/* Runs the configured print command with the PDF's path appended (no shell, stdin
 * /dev/null), waits for it at most ISSUED_PRINT_TIMEOUT_S (then kills it); 0 when it
 * exited 0. Without a command: 0 and *ran = 0. */
int issued_print(const struct config_issuance *c, const char *pdf_path, int *ran,
		 struct err *e);

/*
 * The automatic quality check of the print job in job_dir against the record d:
 *  - job.json is there and every file has the SHA-256 it lists;
 *  - the job's PDF is the one the record makes (issued_render is deterministic) and its
 *    chip files are the record's (EF.SOD: the stored one);
 *  - passive authentication of the job's chip files against the CSCA certificate at
 *    csca_path (icao/pa.h): EF.SOD's signature, the chain, each data group's hash;
 *  - the MRZ read from the job's EF.DG1 parses with valid check digits and equals the
 *    recorded MRZ, which equals the MRZ made afresh from the record's fields;
 *  - the job's page fields equal the record's; the job's EF.DG2 holds the enrolled photo;
 *  - the names the personalization recorded are the enrolled ones, and the recorded
 *    MRZ and EF.DG1's carry the MRZ name field that was approved.
 * Every failed check appends a short string to failures (no personal data in them), at
 * most ISSUED_QC_FAILURES_MAX (the last place then says that more were cut).
 */
#define ISSUED_QC_FAILURES_MAX 20 /* application.quality_checked holds at most 20 */
int issued_quality_check(const struct issued *d, const char *job_dir, const char *csca_path,
			 json_t *failures, struct err *e);

/* The spool folder of d inside spool_dir. */
int issued_job_dir(const struct issued *d, const char *spool_dir, char *out, size_t size,
		   struct err *e);

#endif
