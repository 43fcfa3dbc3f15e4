/*
 * wf_transitions — the workflow's state machine: for each application.* and booking.*
 * kind (booking.created and application.viewed aside), the states it is allowed from
 * and the state it moves the application to (docs/WORKFLOW.md's table). The operations
 * and the projection (wf_guard_begin) check a transition through wf_transition.
 */
#include <string.h>

#include "office/wf_internal.h"

struct transition {
	const char *kind;
	const char *from[3]; /* allowed current states */
	const char *to;      /* NULL: the state stays */
};

static const struct transition transitions[] = {
	{ "booking.cancelled", { WF_STATE_BOOKED }, WF_STATE_CANCELLED },
	{ "booking.rescheduled", { WF_STATE_BOOKED }, WF_STATE_BOOKED },
	{ "application.checked_in", { WF_STATE_BOOKED }, WF_STATE_CHECKED_IN },
	{ "application.no_show", { WF_STATE_BOOKED }, WF_STATE_NO_SHOW },
	{ "application.documents_checked", { WF_STATE_CHECKED_IN }, WF_STATE_DOCUMENTS_VERIFIED },
	{ "application.photo_enrolled", { WF_STATE_DOCUMENTS_VERIFIED }, WF_STATE_DOCUMENTS_VERIFIED },
	{ "application.fingerprint_enrolled", { WF_STATE_DOCUMENTS_VERIFIED },
	  WF_STATE_DOCUMENTS_VERIFIED },
	{ "application.enrolled", { WF_STATE_DOCUMENTS_VERIFIED }, WF_STATE_ENROLLED },
	{ "application.interviewed", { WF_STATE_ENROLLED }, WF_STATE_INTERVIEWED },
	{ "application.watchlist_checked", { WF_STATE_INTERVIEWED }, WF_STATE_INTERVIEWED },
	{ "application.approved", { WF_STATE_INTERVIEWED }, WF_STATE_APPROVED },
	{ "application.rejected", { WF_STATE_INTERVIEWED }, WF_STATE_REJECTED },
	{ "application.payment_recorded", { WF_STATE_APPROVED }, WF_STATE_PAID },
	{ "application.payment_confirmed", { WF_STATE_PAID }, WF_STATE_PAID },
	{ "application.personalized", { WF_STATE_PAID }, WF_STATE_PERSONALIZED },
	/* to quality_checked or qc_failed by the result (p_quality) */
	{ "application.quality_checked", { WF_STATE_PERSONALIZED }, WF_STATE_QUALITY_CHECKED },
	{ "application.personalization_voided",
	  { WF_STATE_PERSONALIZED, WF_STATE_QC_FAILED, WF_STATE_QUALITY_CHECKED }, WF_STATE_PAID },
	{ "application.handed_over", { WF_STATE_QUALITY_CHECKED }, WF_STATE_ISSUED },
};

const char *wf_transition(const char *kind, const char *from)
{
	for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++) {
		if (strcmp(transitions[i].kind, kind) != 0)
			continue;
		for (size_t k = 0; k < 3 && transitions[i].from[k]; k++)
			if (strcmp(transitions[i].from[k], from) == 0)
				return transitions[i].to;
		return NULL;
	}
	return NULL;
}

const char *wf_transition_from(const char *kind)
{
	for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
		if (strcmp(transitions[i].kind, kind) == 0)
			return transitions[i].from[0];
	return NULL;
}

int wf_kind_has_transition(const char *kind)
{
	for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
		if (strcmp(transitions[i].kind, kind) == 0)
			return 1;
	return 0;
}
