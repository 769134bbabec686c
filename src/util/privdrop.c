/* privdrop.c: give up root for good (uid, gid and groups) once what needs root is open. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fedscan/privdrop.h"

int
fs_drop_privileges(const char *user, bool *dropped, char *err, size_t errlen)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	*dropped = false;
	if (geteuid() != 0)
		return 0;
	if (user == NULL)
		user = FS_PRIVDROP_DEFAULT_USER;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "--user %s: no such user%s%s", user, errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	/* Groups first, then the group, then the user: afterwards none of it can be taken back. */
	if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
		snprintf(err, errlen, "--user %s: cannot drop privileges: %s", user, strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "--user %s: root privileges could be regained; refusing to go on", user);
		return -1;
	}
	*dropped = uid != 0;
	return 0;
}
