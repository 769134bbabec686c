/* privdrop.c: give up root for good (uid, gid and groups) and every capability once what needs them is open. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "fedscan/privdrop.h"

const char *
fs_privdrop_default_user(void)
{
	return getpwnam(FS_PRIVDROP_USER) != NULL ? FS_PRIVDROP_USER : FS_PRIVDROP_FALLBACK_USER;
}

/* Raw capget/capset (<linux/capability.h>, version 3: two 32-bit words per set): no libcap needed. */
static int
caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(SYS_capget, &h, d);
}

static bool
caps_any(void)
{
	struct __user_cap_data_struct d[2];

	if (caps_get(d) != 0)
		return true;         /* cannot tell: assume the worst */
	return (d[0].effective | d[1].effective | d[0].permitted | d[1].permitted) != 0;
}

/* Empty the effective, permitted, inheritable and ambient sets of a process that is not root. */
static int
caps_clear(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	/* EINVAL: a kernel before 4.3 has no ambient set, so nothing is there to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return -1;
	return (int)syscall(SYS_capset, &h, d);
}

int
fs_drop_privileges(const char *user, bool *dropped, char *err, size_t errlen)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	*dropped = false;
	if (geteuid() != 0) {
		if (caps_any() && (caps_clear() != 0 || caps_any())) {
			snprintf(err, errlen, "cannot give up capabilities: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (user == NULL)
		user = fs_privdrop_default_user();
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
	if (uid == 0)
		return 0;            /* --user root: asked for, documented; the sandbox still applies */
	/* The kernel empties the capability sets on leaving uid 0 (capabilities(7)); check it, and that root stays gone. */
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0 || caps_any()) {
		snprintf(err, errlen, "--user %s: root privileges could be regained; refusing to go on", user);
		return -1;
	}
	*dropped = true;
	return 0;
}
