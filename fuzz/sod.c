/*
 * libFuzzer target: feeds bytes to the EF.SOD parser (and, when it parses, the signature
 * check, the signing time, the Document Signer profile check and passive authentication)
 * and to the LDSSecurityObject decoder; EF.SOD may be BER (corpus: paspor-ber-*).
 */
#include <stddef.h>
#include <stdint.h>

#include "icao/pa.h"
#include "icao/pki.h"
#include "icao/sod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = ERR_INIT;
	struct lds_security_object lso;
	(void)sod_decode_lso(data, size, &lso, &e);
	struct sod s;
	err_clear(&e);
	if (sod_parse(data, size, &s, &e) == 0) {
		X509 *signer = NULL;
		time_t at;
		int has_time = sod_signing_time(&s, &at, &e);
		if (sod_verify_signature(&s, &signer, &e) == 0) {
			(void)pki_check_ds_profile(signer, signer, has_time == 1 ? &at : NULL, &e);
			X509_free(signer);
		}
		sod_release(&s);
	}
	struct chip_file f = { "fuzz", data, size };
	struct pa_report r;
	pa_report_init(&r);
	(void)pa_verify(&f, 1, NULL, &r, &e);
	pa_report_release(&r);
	return 0;
}
