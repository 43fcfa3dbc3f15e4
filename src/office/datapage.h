/*
 * datapage — renders the data page of a TD3 passport (ICAO Doc 9303 Part 4: 125 × 88 mm)
 * with cairo, to PDF and to a 300 dpi PNG, on memory buffers (docs/PERSONALIZATION.md).
 *
 * The page shows the header (state, document name), the photo (the chip-ready JPEG,
 * decoded with libjpeg), every visual-zone field under a bilingual caption (Bahasa
 * Indonesia / English: "Tanggal Lahir / Date of Birth"), and the two MRZ lines in OCR-B
 * (Debian fonts-ocr-b, fontconfig family "OCR B") in the bottom band at 10 characters per
 * inch, the first character 6 mm from the left edge. Text is real text in the PDF
 * (pdftotext reads it; the MRZ lines come out exactly): the MRZ in a Type 3 font made
 * of OCR-B's outlines, because cairo 1.16 cannot embed OCRB.otf (docs/DATAPAGE.md).
 * The PDF bytes depend on the input only (given `created`), the PNG bytes on the input
 * only, whatever the process rendered before.
 *
 * Process-wide state: the PNG's form layer (paper, tint, header, captions; 6 MB, drawn
 * on first use, with its top and bottom bands compressed once: docs/DATAPAGE.md "The
 * PNG file"), one spare PNG surface and the OCR-B user font, each behind its mutex;
 * datapage_release_caches frees them. Renders may run on several threads at once.
 *
 * PNG size: 125 mm and 88 mm at 300 dpi are 1476.38 and 1039.37 pixels, rounded to the
 * nearest pixel: 1476 × 1039 (DATAPAGE_PNG_WIDTH/HEIGHT).
 *
 * Ownership: struct datapage and its strings are the caller's, only read. The output
 * bufs are the caller's (appended to). datapage_from_json fills a struct datapage whose
 * strings point into the JSON object (keep it alive) and into d->mrz (its own array).
 * Errors: ERR_INPUT (a missing field, a photo that is not a JPEG, an MRZ field the MRZ
 * cannot hold), ERR_NOMEM, ERR_INTERNAL (cairo failed; the message names its status).
 */
#ifndef PASPOR_OFFICE_DATAPAGE_H
#define PASPOR_OFFICE_DATAPAGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "icao/mrz.h"
#include "util/buf.h"
#include "util/err.h"

#define DATAPAGE_WIDTH_MM 125.0
#define DATAPAGE_HEIGHT_MM 88.0
#define DATAPAGE_DPI 300
#define DATAPAGE_PNG_WIDTH 1476  /* lround(125 / 25.4 * 300) */
#define DATAPAGE_PNG_HEIGHT 1039 /* lround(88 / 25.4 * 300) */
#define DATAPAGE_OCRB_FAMILY "OCR B"

struct datapage {
	const char *type;           /* "P" */
	const char *issuing_state;  /* "IDN" */
	const char *number;         /* passport (booklet) number */
	const char *full_name;      /* as printed */
	const char *nationality;    /* as printed, e.g. "INDONESIA" */
	const char *birth_date;     /* YYYY-MM-DD (XX for unknown parts) */
	const char *sex;            /* "F", "M" or "X" */
	const char *birth_place;
	const char *issue_date, *expiry_date; /* YYYY-MM-DD */
	const char *issuing_office;
	char mrz[2 * MRZ_TD3_LEN + 1]; /* the two lines, no newline */
	char name_buf[2 * MRZ_NAME_MAX + 2]; /* datapage_from_json's default full name */
	const uint8_t *photo;       /* JPEG */
	size_t photo_len;
	/* the PDF's creation date, ISO 8601 "YYYY-MM-DDThh:mm:ssZ" (cairo's
	 * CAIRO_PDF_METADATA_CREATE_DATE): with it the PDF bytes depend on the input only;
	 * NULL: cairo writes the current time */
	const char *created;
};

/*
 * Fills d from a JSON object with the mrz_doc_from_json keys (document_code,
 * issuing_state, surname, given_names, document_number, nationality, birth_date, sex,
 * expiry_date, optional_data) plus birth_place, issue_date, issuing_office and the
 * optional full_name (default "GIVEN NAMES SURNAME") and nationality_name (default
 * "INDONESIA" for IDN, else the code); makes the MRZ with mrz_make_td3. The photo is
 * left for the caller.
 */
int datapage_from_json(const json_t *obj, struct datapage *d, struct err *e);

/* Renders d to a one-page PDF (appended to pdf) and a 300 dpi PNG (appended to png);
 * either may be NULL. */
int datapage_render(const struct datapage *d, struct buf *pdf, struct buf *png,
		    struct err *e);

/* Frees the renderer's, cairo's and fontconfig's process-wide caches (so leak checkers
 * see no leftovers); only when no thread renders any more, e.g. after the server
 * stopped. */
void datapage_release_caches(void);

/* `paspor office datapage` (cmd_booklets.c): a debugging aid. */
int cmd_office_datapage(int argc, char **argv);

#endif
