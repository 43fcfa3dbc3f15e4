/*
 * privs — running a process as its own Unix user: a process started as root (by a
 * service manager or by hand) switches to the named user before it opens its data, so
 * that everything it creates belongs to that user and a compromise of the process gives
 * no more than that user's rights (docs/SIGNER.md "Deployment").
 *
 * Errors: ERR_INPUT (no such user; not root and another user asked for), ERR_IO (a
 * set*id call failed, or root could be regained).
 */
#ifndef PASPOR_UTIL_PRIVS_H
#define PASPOR_UTIL_PRIVS_H

#include "util/err.h"

/* As root: initgroups, setgid, setuid to user, then checks that root cannot be regained.
 * Not root: succeeds only when user is the current user. */
int privs_drop_to(const char *user, struct err *e);

/* 1 when the process runs as root (uid or euid 0). */
int privs_is_root(void);

#endif
