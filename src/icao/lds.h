/*
 * lds — the LDS1 files of an eMRTD chip (ICAO Doc 9303 Part 10): EF.COM, EF.DG1 and
 * EF.DG2 building, telling files apart by their first tag, and chip personalization in
 * memory (lds_make_chip: COM, DG1, DG2 and the signed EF.SOD).
 *
 *   EF.COM  60 { 5F01 "0107", 5F36 "040000", 5C tag list (61 75) }
 *   EF.DG1  61 { 5F1F MRZ (88 characters for TD3) }
 *   EF.DG2  75 { 7F61 { 02 01, 7F60 { A1 BHT { 81 02, 82 00, 87 0101, 88 0008 },
 *                                     5F2E 19794-5 face record (icao/face.h) } } }
 *   EF.SOD  77 { CMS SignedData over an LDSSecurityObject (icao/sod.h) }
 *
 * Ownership: inputs are borrowed for the call. struct chip_files owns its four buffers;
 * initialise it once with chip_files_init, call lds_make_chip any number of times (the
 * buffers are reused: a personalization allocates only what OpenSSL needs for the
 * signature), and free it with chip_files_release.
 *
 * A signer may be given the data groups instead of an LDSSecurityObject (struct
 * lds_dg_signer: the signer process, which makes the security object itself and checks
 * what it signs, docs/SIGNER.md); lds_make_chip then checks that the EF.SOD returned
 * holds a valid signature over exactly the data groups it sent (lds_sod_covers).
 *
 * Errors: -1 with ERR_INPUT for bad input (MRZ length or characters, a photo that is
 * not a JPEG), ERR_VERIFY for an EF.SOD that does not cover the data groups sent,
 * ERR_NOMEM, or whatever the signer reports.
 */
#ifndef PASPOR_ICAO_LDS_H
#define PASPOR_ICAO_LDS_H

#include <stddef.h>
#include <stdint.h>

#include "icao/sod.h"
#include "util/buf.h"
#include "util/err.h"

/* Elementary files: 0 EF.COM, 1..16 EF.DG1..16, 17 EF.SOD. */
enum { LDS_EF_COM = 0, LDS_EF_SOD = 17, LDS_EF_COUNT = 18 };

#define LDS_VERSION "0107"
#define LDS_UNICODE_VERSION "040000"
#define LDS_MRZ_TD3_LEN 88

/* The file a first tag belongs to (0x61 → 1), or -1 for a tag of no LDS1 file. */
int lds_ef_from_tag(uint32_t tag);
/* The first tag of an elementary file (1 → 0x61), or 0 when ef is out of range. */
uint32_t lds_ef_tag(int ef);
/* "EF.COM", "EF.DG1", ..., "EF.SOD"; "EF.?" when out of range. */
const char *lds_ef_name(int ef);

/* Appends EF.COM listing the data groups dgs[0..n) (numbers 1..16). */
int lds_put_com(struct buf *out, const int *dgs, size_t n, struct err *e);
/* Appends EF.DG1 for an MRZ of 88 (TD3), 72 (TD2) or 90 (TD1) characters A-Z 0-9 <. */
int lds_put_dg1(struct buf *out, const char *mrz, struct err *e);
/* Appends EF.DG2 around a JPEG (checked here: ERR_INPUT when it is not one). */
int lds_put_dg2(struct buf *out, const uint8_t *jpeg, size_t len, struct err *e);

/* An EF.COM read back. */
struct lds_com {
	char lds_version[5];      /* "0107" */
	char unicode_version[7];  /* "040000" */
	int dgs[SOD_MAX_DG];      /* data groups listed, in order */
	size_t n;
};
/*
 * Parses EF.COM strictly: exactly the three elements above in that order, versions of
 * digits, tags of data groups without repeats, nothing after them.
 */
int lds_parse_com(const uint8_t *p, size_t n, struct lds_com *com, struct err *e);

/*
 * Reads EF.DG1 back: exactly 61 { 5F1F MRZ } as lds_put_dg1 writes it (re-encoding it
 * gives the same bytes); mrz gets the 88, 72 or 90 characters and a NUL.
 */
int lds_parse_dg1(const uint8_t *p, size_t n, char mrz[91], struct err *e);
/*
 * Reads EF.DG2 back: exactly what lds_put_dg2 writes for the JPEG it holds (the JPEG is
 * checked and the file rebuilt from it and compared byte for byte); *jpeg and *jpeg_len
 * point into p.
 */
int lds_parse_dg2(const uint8_t *p, size_t n, const uint8_t **jpeg, size_t *jpeg_len,
		  struct err *e);

/* A signer given EF.DG1 and EF.DG2 (not a security object): appends EF.SOD to out. */
struct lds_dg_signer {
	int (*sign)(void *ctx, const struct buf *dg1, const struct buf *dg2, struct buf *out,
		    struct err *e);
	void *ctx;
};

/*
 * Checks that EF.SOD sod[0..n) parses, that its signature holds (with the certificate it
 * carries; the chain is the reader's business), and that its LDSSecurityObject lists
 * exactly the data groups of want with the same algorithm and hashes. ERR_VERIFY names
 * the first difference.
 */
int lds_sod_covers(const uint8_t *sod, size_t n, const struct lds_security_object *want,
		   struct err *e);

struct chip_input {
	const char *mrz;                 /* 88 characters (two TD3 lines, no newline) */
	const uint8_t *photo;            /* JPEG */
	size_t photo_len;
	const struct sod_signer *signer; /* e.g. { sod_sign_with_key, &key }, or NULL and: */
	const struct lds_dg_signer *dg_signer; /* given DG1 and DG2 (the signer process) */
};

struct chip_files {
	struct buf com, dg1, dg2, sod;
	struct buf lso;                  /* scratch: the LDSSecurityObject signed */
};

void chip_files_init(struct chip_files *f);
void chip_files_release(struct chip_files *f);

/* Builds EF.COM, EF.DG1, EF.DG2 and EF.SOD (SHA-256 of DG1 and DG2, signed): by
 * in->signer over the LDSSecurityObject made here, or by in->dg_signer given the data
 * groups (then checked with lds_sod_covers against the one made here). */
int lds_make_chip(const struct chip_input *in, struct chip_files *out, struct err *e);

#endif
