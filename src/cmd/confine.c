/* confine.c: the end of every command's start-up: drop root, confine the file system; -o FILE's privilege split. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "fedscan/err.h"
#include "fedscan/log.h"
#include "fedscan/metrics.h"
#include "fedscan/policyfile.h"
#include "fedscan/privdrop.h"
#include "fedscan/sandbox.h"
#include "confine.h"

#define MAX_RULES 64

/* LeakSanitizer lists the threads in /proc/self/task and reads /proc/self/maps at exit (sanitizer builds only). */
#if defined(__SANITIZE_ADDRESS__)
#define FS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FS_SANITIZED 1
#endif
#endif

struct rules {
	struct fs_sb_rule v[MAX_RULES];
	size_t n;
};

static void
add(struct rules *r, const char *path, unsigned access, bool optional)
{
	if (path != NULL && path[0] != '\0' && strcmp(path, "-") != 0 && r->n < MAX_RULES)
		r->v[r->n++] = (struct fs_sb_rule){ path, access, optional };
}

/* The directory of path, in dir (size bytes). */
static const char *
dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, size, ".");
	else if (slash == path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
	return dir;
}

/* The database's directory (dir, size bytes): SQLite creates and removes its -wal, -shm and -journal there. */
static const char *
db_dir(const struct fs_cli *cli, char *dir, size_t size)
{
	char buf[1024];
	const char *db = cli->db_path != NULL ? cli->db_path : fs_cli_default_db(buf, sizeof(buf));

	return strcmp(db, ":memory:") == 0 ? NULL : dir_of(db, dir, size);
}

/* The system trust store, read when no --ca-file names one: OpenSSL's file and directory, and what they link to. */
static void
add_trust_store(struct rules *r)
{
	const char *f = getenv(X509_get_default_cert_file_env()), *d = getenv(X509_get_default_cert_dir_env());

	add(r, f != NULL ? f : X509_get_default_cert_file(), FS_SB_READ, true);
	add(r, d != NULL ? d : X509_get_default_cert_dir(), FS_SB_READ, true);
	/* Debian's /etc/ssl/certs holds links into these (update-ca-certificates(8)); Landlock checks the target. */
	add(r, "/usr/share/ca-certificates", FS_SB_READ, true);
	add(r, "/usr/local/share/ca-certificates", FS_SB_READ, true);
}

static void
build_rules(const struct fs_cli *cli, const struct fs_confine *c, char *dir, size_t dirsize, char *rdir,
    size_t rdirsize, struct rules *r)
{
	size_t i;

	if (c->store && !cli->no_db)
		add(r, db_dir(cli, dir, dirsize), FS_SB_DATA_DIR, false);
	if (cli->policy != NULL)
		add(r, cli->policy_path != NULL ? cli->policy_path : FS_POLICY_DEFAULT_PATH, FS_SB_READ, true);
	add(r, cli->eng.ca_file, FS_SB_READ, false);
	add(r, cli->eng.client_cert, FS_SB_READ, false);
	add(r, cli->eng.client_key, FS_SB_READ, false);
	add(r, cli->partners_file, FS_SB_READ, false);
	if (c->network) {
		/* c-ares reads /etc/hosts at each lookup (ares_getaddrinfo's "f" source). */
		add(r, "/etc/hosts", FS_SB_READ, true);
		add(r, "/etc/resolv.conf", FS_SB_READ, true);
		if (cli->eng.ca_file == NULL)
			add_trust_store(r);
	}
	for (i = 0; i < c->nreads; i++)
		add(r, c->reads[i], FS_SB_READ, true);      /* one that could not be opened is reported as such */
	for (i = 0; i < 2; i++)
		add(r, c->writes[i], FS_SB_WRITE, false);
	if (c->replaces != NULL)
		add(r, dir_of(c->replaces, rdir, rdirsize), FS_SB_RENAME_IN, false);
#ifdef FS_SANITIZED
	add(r, "/proc/self", FS_SB_READ, false);
#endif
}

#ifdef FS_TESTING
/*
 * Test builds only (tests/integration/local.mk builds tests/fedscan-testing with -DFS_TESTING; the installed
 * fedscan has no such code): what a compromised parser would try first. FEDSCAN_TEST_OPEN_AFTER_START=PATH[:PATH]
 * opens each path once the sandbox is on and says what the kernel answered (tests/integration/privsep.test).
 */
static void
test_open_after_start(void)
{
	const char *v = getenv("FEDSCAN_TEST_OPEN_AFTER_START");
	char path[1024];
	size_t n;
	int fd;

	while (v != NULL && *v != '\0') {
		n = strcspn(v, ":");
		snprintf(path, sizeof(path), "%.*s", (int)n, v);
		v += n + (v[n] == ':');
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			fprintf(stderr, "fedscan: test: after start-up, open %s: opened\n", path);
			close(fd);
		} else {
			fprintf(stderr, "fedscan: test: after start-up, open %s: refused (%s)\n", path, strerror(errno));
		}
	}
}
#endif

int
fs_cmd_confine(const struct fs_cli *cli, const struct fs_confine *c)
{
	struct fs_sandbox sb;
	struct rules r;
	char err[1024], dir[1024], rdir[1024];
	const char *user;
	bool dropped = false;

	/* Read now what the C library would open later: the local time zone (report times, log stamps). */
	tzset();
	/* Who to become, asked while /etc/passwd can still be read (after the sandbox it cannot). */
	user = cli->run_user != NULL ? cli->run_user : fs_privdrop_default_user();
	memset(&r, 0, sizeof(r));
	build_rules(cli, c, dir, sizeof(dir), rdir, sizeof(rdir), &r);
	/* Built as root: a path in a directory only root can enter must still get its rule. */
	if (fs_sandbox_prepare(r.v, r.n, &sb, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	if (fs_drop_privileges(user, &dropped, err, sizeof(err)) != 0) {
		fs_sandbox_discard(&sb);
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	if (fs_sandbox_enforce(&sb, err, sizeof(err)) != 0) {
		fs_error("%s", err);
		return FS_EXIT_ERROR;
	}
	if (dropped && cli->capture != NULL)
		fs_warn("--capture: running as %s from here on (the capture files and the database were opened as root)",
		    user);
	else if (dropped)
		fs_info("running as %s from here on (what needed root is open)", user);
	if (sb.abi > 0)
		fs_info("file system confined (Landlock ABI %d) to %zu path%s: %s", sb.abi, r.n, r.n == 1 ? "" : "s",
		    c->store && !cli->no_db ? "the database directory read-write, the files named read or write" :
		    "the files named, read or write");
	else
		fs_info("the file system is not confined: %s (Landlock needs Linux 5.13 or later)", sb.why);
#ifdef FS_TESTING
	test_open_after_start();
#endif
	return 0;
}

/* In the parent: the child's exit status, once it has exited. */
static int
wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return FS_EXIT_ERROR;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return FS_EXIT_ERROR;       /* killed: nothing is renamed into place */
}

static void
cannot_write(const struct fs_cmd_output *o, int e)
{
	fprintf(stderr, "fedscan: %s: cannot write %s", o->label, o->quote ? "'" : "");
	fs_fputs_safe(o->path, stderr);
	fprintf(stderr, "%s: %s\n", o->quote ? "'" : "", strerror(e));
}

int
fs_cmd_output_fork(struct fs_cmd_output *o, mode_t mode, int *status)
{
	mode_t mask;
	pid_t pid;
	int e;

	*status = FS_EXIT_ERROR;
	o->fd = -1;
	if (snprintf(o->tmp, sizeof(o->tmp), "%s.XXXXXX", o->path) >= (int)sizeof(o->tmp)) {
		fs_error("%s: -o: the file name is too long", o->label);
		*status = FS_EXIT_USAGE;
		return 0;
	}
	if ((o->fd = mkstemp(o->tmp)) == -1) {
		cannot_write(o, errno);
		return 0;
	}
	mask = umask(0);
	umask(mask);
	(void)fchmod(o->fd, o->umask ? mode & ~mask : mode);
	/* Nothing buffered twice: what the parent printed so far is out before the child inherits the buffers. */
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == 0)
		return 1;
	e = errno;
	close(o->fd);
	o->fd = -1;
	if (pid == -1) {
		unlink(o->tmp);
		cannot_write(o, e);
		return 0;
	}
	/* ^C reaches both (one process group): the child stops, and the parent lives on to remove the temporary. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	*status = wait_child(pid);
	if (*status == 0 && rename(o->tmp, o->path) != 0) {
		cannot_write(o, errno);
		*status = FS_EXIT_ERROR;
	}
	if (*status != 0)
		unlink(o->tmp);
	return 0;
}

static pid_t replace_child;
static int replace_pipe[2] = { -1, -1 };    /* the child says on [1] that the temporary is complete */

/* The parent passes SIGTERM on (a kill of its pid alone): the child stops the audit and records it incomplete. */
static void
forward_term(int sig)
{
	if (replace_child > 0)
		kill(replace_child, sig);
}

int
fs_cmd_replace_fork(const struct fs_cli *cli, struct fs_metrics *m)
{
	struct passwd *pw;
	char *tmp_as_path, done;
	int st, status;

	if (m->tmp == NULL || geteuid() != 0)
		return 0;
	pw = getpwnam(cli->run_user != NULL ? cli->run_user : fs_privdrop_default_user());
	if (pw == NULL || pw->pw_uid == 0)
		return 0;             /* no drop (fs_cmd_confine says why not): this process renames */
	if ((tmp_as_path = strdup(m->tmp)) == NULL) {
		fs_error("out of memory");
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	if (pipe2(replace_pipe, O_CLOEXEC) != 0 || (replace_child = fork()) == -1) {
		fs_error("--prometheus: cannot fork: %s", strerror(errno));
		free(tmp_as_path);
		return -1;
	}
	if (replace_child == 0) {
		close(replace_pipe[0]);
		/* path == tmp: fs_metrics_commit() writes the temporary and leaves it for the parent to rename. */
		free(m->path);
		m->path = tmp_as_path;
		return 0;
	}
	free(tmp_as_path);
	close(replace_pipe[1]);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, forward_term);
	while (waitpid(replace_child, &st, 0) == -1 && errno == EINTR)
		;
	status = WIFEXITED(st) ? WEXITSTATUS(st) : FS_EXIT_ERROR;
	/* Renamed only when the child said it finished the file: a failure before or while writing leaves FILE as it was. */
	if (read(replace_pipe[0], &done, 1) == 1 && rename(m->tmp, m->path) != 0) {
		fs_error("--prometheus: %s: cannot replace it: %s", m->path, strerror(errno));
		if (status < FS_EXIT_ERROR)
			status = FS_EXIT_ERROR;
	}
	unlink(m->tmp);
	/* Everything else (the database, the capture, stdout) was the child's: leave it as it left it. */
	_exit(status);
}

void
fs_cmd_replace_done(void)
{
	if (replace_pipe[1] >= 0 && write(replace_pipe[1], "1", 1) == 1)
		close(replace_pipe[1]);
	replace_pipe[1] = -1;
}
