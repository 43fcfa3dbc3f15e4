/*
 * policy — what the signer checks in the data groups it is asked to sign (docs/SIGNER.md
 * "Policy"). Pure functions of the request and the signer's settings, so that each
 * refusal has a unit test (tests/unit/test_signer_policy.c); signer.c calls them inside
 * its writer transaction, between the checks on its own tables.
 *
 *   signer_check_content  EF.DG1 parses (TD3 MRZ, every check digit right) and EF.DG2
 *                         is the face file the office writes; document code an ordinary
 *                         passport ("P<" or "PP"); issuing state and nationality the
 *                         signer's state; document number the booklet's number
 *   signer_check_dates    issue date the signer's today; the MRZ's expiry after it, at
 *                         most issue + 10 years and not after the DS certificate's
 *                         notAfter
 *
 * Both return 0 with *code NULL when the request passes, 0 with *code a refusal code
 * ("bad_dg1", "bad_dg2", "document_code", "issuing_state", "nationality",
 * "document_number", "issue_date", "expiry") and reason filled when it is refused, and
 * -1 only on memory exhaustion. Ownership: everything borrowed; nothing kept.
 */
#ifndef PASPOR_SIGNER_POLICY_H
#define PASPOR_SIGNER_POLICY_H

#include <time.h>

#include "signproto/proto.h"
#include "util/err.h"

#define SIGNER_VALIDITY_YEARS_MAX 10

struct signer_policy {
	char state[4];          /* issuing state and nationality, "IDN" */
	char today[9];          /* the signer's local date "YYYYMMDD" (its timezone) */
	time_t cert_not_after;  /* the DS certificate's notAfter (UTC) */
};

/* What the content check read from EF.DG1, for the dates and the log. */
struct signer_content {
	char document_number[10]; /* fillers removed */
	char expiry[9];           /* "YYYYMMDD", the century resolved against the issue date */
	char expiry_yymmdd[7];
};

int signer_check_content(const struct proto_request *r, const struct signer_policy *p,
			 struct signer_content *c, const char **code,
			 char reason[PROTO_REASON_MAX + 1], struct err *e);
int signer_check_dates(const struct proto_request *r, const struct signer_policy *p,
		       struct signer_content *c, const char **code,
		       char reason[PROTO_REASON_MAX + 1]);

#endif
