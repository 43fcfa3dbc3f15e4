/*
 * pa — passive authentication of eMRTD chip files (ICAO Doc 9303 Part 11 §5.1), on
 * files in memory.
 *
 * Each file is recognised by its first tag (0x60 EF.COM, 0x61 DG1, 0x75 DG2, ...,
 * 0x77 EF.SOD; see icao/lds.h), never by its name. pa_verify then checks:
 *   - EF.SOD parses (icao/sod.h; BER accepted, as Doc 9303 readers do) and its
 *     signature holds with the DS certificate it carries (the certificate itself is not
 *     trusted by this step);
 *   - with a CSCA: the DS certificate chains to it and is valid now, and fits the
 *     Document Signer profile of Doc 9303 Part 12 (pki_check_ds_profile, with the
 *     SOD's signing time);
 *   - each data group given has the hash EF.SOD lists for it (with EF.SOD's algorithm);
 *     without a valid EF.SOD every data group given fails (nothing authenticates it);
 *     a data group listed but not given is "not present" (no failure); one given but
 *     not listed fails;
 *   - EF.COM (not signed: a consistency check only) is well formed, has LDS version
 *     0107 or 0108 and Unicode version 040000, and lists exactly EF.SOD's data groups.
 * Two files of the same kind fail. A file whose first TLV cannot be read, or whose tag
 * is of no LDS1 file, is "unreadable" (exit code 2); only EF.SOD may have an indefinite
 * length.
 *
 * The report holds one line per check; pa_report_exit_code gives 0 (all passed),
 * 1 (a check failed) or 2 (an input was unreadable).
 *
 * Ownership: files and csca are borrowed for the call; the report owns its lines
 * (pa_report_release). Errors: -1 only when out of memory (the report is then partial);
 * verification failures are report lines, not errors.
 */
#ifndef PASPOR_ICAO_PA_H
#define PASPOR_ICAO_PA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "util/err.h"

struct chip_file {
	const char *name;      /* for the report, e.g. the path */
	const uint8_t *data;
	size_t len;
};

enum pa_status {
	PA_OK,         /* printed "ok  " */
	PA_FAIL,       /* "FAIL" */
	PA_INFO,       /* "--  ": not present, not checked */
	PA_UNREADABLE, /* "FAIL", and the exit code is 2 */
};

struct pa_line {
	enum pa_status status;
	int ef;                /* LDS_EF_* or -1 */
	char text[400];        /* "EF.DG1 hash matches (SHA-256) [path]" */
};

struct pa_report {
	struct pa_line *lines;
	size_t n, cap;
	int failed;            /* a line is PA_FAIL */
	int unreadable;        /* a line is PA_UNREADABLE */
	int sod_ber;           /* EF.SOD parsed but was BER, not DER: accepted from other
				* issuers (docs/CHIP.md); a check of chips we made ourselves,
				* which are DER, may refuse it */
};

void pa_report_init(struct pa_report *r);
void pa_report_release(struct pa_report *r);
int pa_report_exit_code(const struct pa_report *r);
/* "ok  ", "FAIL" or "--  ". */
const char *pa_status_word(enum pa_status s);

int pa_verify(const struct chip_file *files, size_t n, X509 *csca, struct pa_report *r,
	      struct err *e);

#endif
