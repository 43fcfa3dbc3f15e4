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
	if (!pw)
		return err_set(e, ERR_INPUT, "no such user '%.64s'", user);
	if (!privs_is_root()) {
		if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
			return 0;
		return err_set(e, ERR_INPUT, "--user %.64s needs root (or that user) to start the "
			       "process", user);
	}
	if (pw->pw_uid == 0)
		return err_set(e, ERR_INPUT, "--user must name a user other than root");
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return err_errno(e, ERR_IO, "cannot switch to user '%.64s'", user);
	if (setuid(0) == 0 || geteuid() == 0 || getegid() == 0)
		return err_set(e, ERR_IO, "switched to '%.64s' but root could be regained", user);
	return 0;
}
