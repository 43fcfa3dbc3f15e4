/*
 * libFuzzer target: feeds bytes to the EF.SOD parser (and, when it parses, the signature
 * check and passive authentication) and to the LDSSecurityObject decoder.
 */
#include <stddef.h>
#include <stdint.h>

#include "icao/pa.h"
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
		if (sod_verify_signature(&s, &signer, &e) == 0)
			X509_free(signer);
		sod_release(&s);
	}
	struct chip_file f = { "fuzz", data, size };
	struct pa_report r;
	pa_report_init(&r);
	(void)pa_verify(&f, 1, NULL, &r, &e);
	pa_report_release(&r);
	return 0;
}
