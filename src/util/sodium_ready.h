/*
 * sodium_ready — the one place libsodium is initialised.
 *
 * Every module that calls libsodium first calls libsodium_ready(e): it runs
 * sodium_init() once per process (thread-safe) and returns 0, or -1 with e set when
 * libsodium cannot start (no usable randomness source).
 */
#ifndef PASPOR_UTIL_SODIUM_READY_H
#define PASPOR_UTIL_SODIUM_READY_H

#include "util/err.h"

int libsodium_ready(struct err *e);

#endif
