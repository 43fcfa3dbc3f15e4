/*
 * privs — switching to a service user (see privs.h).
 */
#include "util/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int privs_is_root(void)
{
	return getuid() == 0 || geteuid() == 0;
}

int privs_drop_to(const char *user, struct err *e)
{
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw && errno)
		return err_errno(e, ERR_IO, "cannot look user '%.64s' up", user);
	if (!pw)
		return err_set(e, ERR_INPUT, "no such user '%.64s'", user);
	/* copied: initgroups may reuse getpwnam's static buffer */
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	if (!privs_is_root()) {
		if (getuid() == uid && geteuid() == uid)
			return 0;
		return err_set(e, ERR_INPUT, "--user %.64s needs root (or that user) to start the "
			       "process", user);
	}
	if (uid == 0)
		return err_set(e, ERR_INPUT, "--user must name a user other than root");
	if (initgroups(user, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return err_errno(e, ERR_IO, "cannot switch to user '%.64s'", user);
	if (setuid(0) == 0 || geteuid() == 0 || getegid() == 0)
		return err_set(e, ERR_IO, "switched to '%.64s' but root could be regained", user);
	return 0;
}
