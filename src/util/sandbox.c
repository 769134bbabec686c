/* sandbox.c: Landlock through its raw system calls (Linux >= 5.13, <linux/landlock.h>): no library needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/landlock.h>

#include "fedscan/sandbox.h"

/*
 * Debian 12's headers stop at ABI 2; the kernel may be newer (a backport). The values are the kernel's ABI
 * (Documentation/userspace-api/landlock.rst) and never change.
 */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

/* struct landlock_ruleset_attr as of ABI 6; the size passed says which fields the kernel reads. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define LL_FS_V1 (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM)
/* The rights a rule on a file (not a directory) may carry; the kernel refuses a file rule with any other. */
#define LL_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

/* Every file-system right the kernel's ABI knows: all of them are denied unless a rule allows them. */
static uint64_t
handled_fs(int abi)
{
	uint64_t h = LL_FS_V1;

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

/* A rule's rights; never EXECUTE (nothing is run after start-up), REFER, MAKE_DIR/SYM/devices or IOCTL_DEV. */
static uint64_t
rights(unsigned access, bool dir)
{
	uint64_t r = 0;

	if (access & FS_SB_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | (dir ? LANDLOCK_ACCESS_FS_READ_DIR : 0);
	if (access & FS_SB_WRITE)
		r |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
	/* SQLite's -wal, -shm and -journal beside the database: created, written, truncated, removed. */
	if ((access & FS_SB_DATA_DIR) && dir)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_WRITE_FILE |
		    LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE;
	/* rename(2) within a directory needs MAKE_REG (the new name) and REMOVE_FILE (the old one, and a file replaced). */
	if ((access & FS_SB_RENAME_IN) && dir)
		r |= LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE;
	return dir ? r : r & LL_FILE_RIGHTS;
}

static int
add_rule(int rfd, int abi, const struct fs_sb_rule *rule, char *err, size_t errlen)
{
	struct landlock_path_beneath_attr pb;
	struct stat sb;
	int fd, rc = -1;

	if ((fd = open(rule->path, O_PATH | O_CLOEXEC)) == -1) {
		if (rule->optional && (errno == ENOENT || errno == ENOTDIR))
			return 0;
		snprintf(err, errlen, "sandbox: %s: %s", rule->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0) {
		snprintf(err, errlen, "sandbox: %s: %s", rule->path, strerror(errno));
		goto out;
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = rights(rule->access, S_ISDIR(sb.st_mode)) & handled_fs(abi);
	pb.parent_fd = fd;
	if (pb.allowed_access != 0 && syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0) {
		snprintf(err, errlen, "sandbox: cannot allow %s: %s", rule->path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int
fs_sandbox_prepare(const struct fs_sb_rule *rules, size_t n, struct fs_sandbox *sb, char *err, size_t errlen)
{
	struct ll_ruleset_attr attr;
	size_t size, i;
	long abi;

	memset(sb, 0, sizeof(*sb));
	sb->fd = -1;
	abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 1) {
		/* ENOSYS: a kernel before 5.13 or without CONFIG_SECURITY_LANDLOCK; EOPNOTSUPP: not in lsm=. */
		snprintf(sb->why, sizeof(sb->why), "%s", errno == ENOSYS ? "the kernel has no Landlock" :
		    errno == EOPNOTSUPP ? "Landlock is disabled at boot (lsm=)" : strerror(errno));
		return 0;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = handled_fs((int)abi);
	size = sizeof(attr.handled_access_fs);
	if (abi >= 4) {
		/* The listener is bound already; nothing later may bind a TCP port (outgoing connects stay free). */
		attr.handled_access_net = LL_NET_BIND_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	if ((sb->fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0)) < 0) {
		snprintf(err, errlen, "sandbox: cannot create a Landlock ruleset (ABI %ld): %s", abi, strerror(errno));
		sb->fd = -1;
		return -1;
	}
	sb->abi = (int)abi;
	for (i = 0; i < n; i++) {
		if (rules[i].path == NULL || rules[i].path[0] == '\0')
			continue;
		if (add_rule(sb->fd, sb->abi, &rules[i], err, errlen) != 0) {
			fs_sandbox_discard(sb);
			return -1;
		}
	}
	return 0;
}

int
fs_sandbox_enforce(struct fs_sandbox *sb, char *err, size_t errlen)
{
	int rc = 0;

	if (sb->fd < 0)
		return 0;
	/* Required by the kernel for an unprivileged restrict_self; also stops set-uid programs from gaining anything. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_landlock_restrict_self, sb->fd, 0) != 0) {
		snprintf(err, errlen, "sandbox: cannot enforce the Landlock ruleset: %s", strerror(errno));
		rc = -1;
	}
	close(sb->fd);
	sb->fd = -1;
	return rc;
}

void
fs_sandbox_discard(struct fs_sandbox *sb)
{
	if (sb->fd >= 0)
		close(sb->fd);
	sb->fd = -1;
}
