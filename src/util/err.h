/*
 * err — how a failure travels from where it happens to where it is reported.
 *
 * Library functions take a `struct err *` and, on failure, fill it with one message
 * (lower case, no full stop, naming the subject: "cannot open 'x.pem': No such file")
 * and return -1. The caller that understands the failure decides what to do with it:
 * the CLI prints it on stderr, the HTTP layer turns it into problem+json. A message is
 * written once; err_set on an error already set keeps the first (innermost) message
 * unless it is cleared, so wrappers can add context with err_prefix.
 *
 * `code` classifies the failure for callers that must choose an exit code or an HTTP
 * status; messages are for people and may change, codes may not.
 */
#ifndef PASPOR_UTIL_ERR_H
#define PASPOR_UTIL_ERR_H

#include <stddef.h>

enum err_code {
	ERR_NONE = 0,
	ERR_INPUT,    /* the input was invalid (usage error, bad JSON, bad field) */
	ERR_VERIFY,   /* the thing checked is not valid (signature, hash, check digit) */
	ERR_IO,       /* files, sockets */
	ERR_NOMEM,
	ERR_CRYPTO,   /* a cryptographic library failed (not a verification failure) */
	ERR_INTERNAL,
};

struct err {
	enum err_code code;
	char msg[512];
	/* why a refusal (ERR_INPUT) was made, in the terms of the subsystem that refused
	 * (e.g. office/workflow.h's enum wf_reason): set with err_refuse where the rule is
	 * checked, so that it travels with the message to the caller that reports it; 0
	 * when none was given */
	int reason;
};

#define ERR_INIT { ERR_NONE, { 0 }, 0 }

void err_clear(struct err *e);
/* Sets the message (if none is set yet) and returns -1. e may be NULL. */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* err_set(e, ERR_INPUT, …) that also records reason (a subsystem's refusal code). */
int err_refuse(struct err *e, int reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As err_set, with ": strerror(errno)" appended. */
int err_errno(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As err_set, with the first reason in OpenSSL's error queue appended; clears the queue. */
int err_openssl(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Puts "prefix: " before the message already set. */
void err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_nomem(struct err *e);

/* The CLI exit code for an error: 1 for ERR_VERIFY, 2 for ERR_INPUT, 1 otherwise. */
int err_exit_code(const struct err *e);

#endif
