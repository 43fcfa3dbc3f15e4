/*
 * bench_doc — what issue_bench and signer_bench share: a monotonic clock and the test
 * document both send to the signer. Header-only (each benchmark is one .c file built on
 * its own, see the Makefile's bench rule).
 *
 * bench_doc_today fills d as the signer's policy accepts it today: a TD3 passport ("P<")
 * of IDN, born 1990-05-14, sex F, with the given names (surname, given: given may be
 * ""), issued today in the signer's default zone (Asia/Jakarta: it sets TZ to it) and
 * valid 5 years (issued on 29 February, it expires on 28 February). issue gets today as
 * "YYYY-MM-DD". The document number is the caller's (a booklet's, per request).
 */
#ifndef PASPOR_BENCH_DOC_H
#define PASPOR_BENCH_DOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "icao/mrz.h"

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void bench_doc_today(struct mrz_doc *d, const char *surname, const char *given,
				   char issue[11])
{
	setenv("TZ", "Asia/Jakarta", 1); /* the signer's default zone: its today */
	tzset();
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(issue, 11, "%Y-%m-%d", &tm);
	memset(d, 0, sizeof *d);
	strcpy(d->document_code, "P<");
	strcpy(d->issuing_state, "IDN");
	strcpy(d->nationality, "IDN");
	snprintf(d->surname, sizeof d->surname, "%s", surname);
	snprintf(d->given_names, sizeof d->given_names, "%s", given);
	strcpy(d->birth_date, "1990-05-14");
	d->sex = 'F';
	snprintf(d->expiry_date, sizeof d->expiry_date, "%04u-%02u-%02u",
		 (unsigned)(tm.tm_year + 1905) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
		 (unsigned)tm.tm_mday % 100u);
	if (tm.tm_mon == 1 && tm.tm_mday == 29)
		d->expiry_date[9] = '8';
}

#endif
