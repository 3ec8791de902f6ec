/* Daemon life cycle: detaching from the terminal, the locked PID file, chroot and the permanent user switch. */
#include "build_config.h"

#include "daemon.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* How often a PID file that was replaced under us while locking it is tried again. */
#define PIDFILE_LOCK_TRIES 5

int daemon_detach(void)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	pid_t child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (child > 0) {
		/* The original process: wait for the daemon's verdict, then leave. */
		char verdict = 0;
		ssize_t n;

		close(p[1]);
		waitpid(child, NULL, 0);
		do
			n = read(p[0], &verdict, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 && verdict == '1' ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(1);
	/* The second fork makes sure the daemon is no session leader and never gets a terminal again. */
	pid_t grandchild = fork();
	if (grandchild < 0)
		_exit(1);
	if (grandchild > 0)
		_exit(0);
	umask(027);
	if (chdir("/") < 0)
		_exit(1);
	return p[1];
}

void daemon_detach_done(int fd, bool ok)
{
	if (fd < 0)
		return;
	if (ok) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
	}
	char verdict = ok ? '1' : '0';
	ssize_t n;
	do
		n = write(fd, &verdict, 1);
	while (n < 0 && errno == EINTR);
	close(fd);
}

/* Reads the PID a running instance wrote, for the message; 0 when unreadable. */
static long pidfile_read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Opens path and takes its lock, making sure the locked inode is still the one the path names
 * (another instance may have renamed a new file over it meanwhile). Returns the fd, -1 on error,
 * -2 when another process holds the lock (its PID in *holder).
 */
static int pidfile_lock_current(const char *path, long *holder, char *err, size_t errlen)
{
	for (int tries = 0; tries < PIDFILE_LOCK_TRIES; tries++) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			snprintf(err, errlen, "cannot open PID file %s: %s", path, strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			if (e == EWOULDBLOCK) {
				*holder = pidfile_read_pid(fd);
				close(fd);
				return -2;
			}
			snprintf(err, errlen, "cannot lock PID file %s: %s", path, strerror(e));
			close(fd);
			return -1;
		}
		struct stat by_fd, by_path;
		if (fstat(fd, &by_fd) == 0 && stat(path, &by_path) == 0 &&
		    by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino)
			return fd;
		close(fd);
	}
	snprintf(err, errlen, "PID file %s keeps being replaced by another process", path);
	return -1;
}

static void pidfile_busy_msg(long holder, const char *path, char *err, size_t errlen)
{
	if (holder > 0)
		snprintf(err, errlen, "another siproxd (pid %ld) is running with PID file %s", holder, path);
	else
		snprintf(err, errlen, "another process holds the lock on PID file %s", path);
}

int pidfile_check(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;   /* no file or unreadable: pidfile_create() will tell */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
		pidfile_busy_msg(pidfile_read_pid(fd), path, err, errlen);
		close(fd);
		return -1;
	}
	close(fd);   /* releases the probe lock */
	return 0;
}

int pidfile_create(struct pidfile *pf, const char *path, pid_t pid, char *err, size_t errlen)
{
	long holder = 0;
	char *tmp = NULL;
	int tmpfd = -1;

	pf->fd = -1;
	pf->path = NULL;
	pf->removed = false;

	/* Hold the lock of the current file while replacing it, so a racing instance sees a lock on
	 * whichever inode it opens. */
	int oldfd = pidfile_lock_current(path, &holder, err, errlen);
	if (oldfd == -2) {
		pidfile_busy_msg(holder, path, err, errlen);
		return -1;
	}
	if (oldfd < 0)
		return -1;

	size_t tmplen = strlen(path) + 32;
	tmp = malloc(tmplen);
	pf->path = strdup(path);
	if (!tmp || !pf->path) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(tmp, tmplen, "%s.%ld.tmp", path, (long)pid);
	tmpfd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (tmpfd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (flock(tmpfd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "cannot lock %s: %s", tmp, strerror(errno));
		goto fail_unlink;
	}
	char line[32];
	int n = snprintf(line, sizeof line, "%ld\n", (long)pid);
	if (write(tmpfd, line, (size_t)n) != n || fsync(tmpfd) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto fail_unlink;
	}
	/* Others must be able to read the PID even when the umask is strict. */
	fchmod(tmpfd, 0644);
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail_unlink;
	}
	close(oldfd);
	free(tmp);
	pf->fd = tmpfd;
	return 0;

fail_unlink:
	unlink(tmp);
fail:
	if (tmpfd >= 0)
		close(tmpfd);
	close(oldfd);
	free(tmp);
	free(pf->path);
	pf->path = NULL;
	return -1;
}

void pidfile_release(struct pidfile *pf)
{
	if (!pf || pf->fd < 0)
		return;
	if (!pf->removed) {
		/* Inside a chroot the path may name nothing (ENOENT) or another file, so the link count of
		 * our own descriptor tells whether the file is really gone. */
		int unlink_errno = unlink(pf->path) < 0 ? errno : 0;
		struct stat st;
		if (fstat(pf->fd, &st) == 0 && st.st_nlink > 0) {
			/* Typical after chroot or the user switch. An emptied file names no stale process,
			 * and the lock, not the file's existence, keeps a second instance out. */
			log_warn("cannot remove PID file %s (%s); emptied it instead", pf->path,
				 unlink_errno ? strerror(unlink_errno) : "outside the chroot jail");
			if (ftruncate(pf->fd, 0) < 0)
				log_warn("cannot empty PID file %s either: %s", pf->path, strerror(errno));
		}
	}
	pf->removed = true;
	close(pf->fd);
	pf->fd = -1;
	free(pf->path);
	pf->path = NULL;
}

int daemon_drop_privileges(const char *user, const char *jail, char *err, size_t errlen)
{
	struct passwd *pw = NULL;
	uid_t uid = 0;
	gid_t gid = 0;

	if (user && *user) {
		/* Before the chroot: /etc/passwd is usually not inside the jail. */
		errno = 0;
		pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "unknown user '%s'%s%s", user, errno ? ": " : "",
				 errno ? strerror(errno) : "");
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		if (geteuid() != 0 && (getuid() != uid || geteuid() != uid)) {
			snprintf(err, errlen, "cannot switch to user '%s': not running as root", user);
			return -1;
		}
	}
	if (jail && *jail) {
		if (chroot(jail) < 0) {
			snprintf(err, errlen, "chroot to %s failed: %s", jail, strerror(errno));
			return -1;
		}
		if (chdir("/") < 0) {
			snprintf(err, errlen, "chdir to / inside %s failed: %s", jail, strerror(errno));
			return -1;
		}
	}
	if (!pw || geteuid() != 0)
		return 0;
	if (setgroups(1, &gid) < 0) {
		snprintf(err, errlen, "setgroups(%ld) failed: %s", (long)gid, strerror(errno));
		return -1;
	}
	if (setgid(gid) < 0) {
		snprintf(err, errlen, "setgid(%ld) failed: %s", (long)gid, strerror(errno));
		return -1;
	}
	if (setuid(uid) < 0) {
		snprintf(err, errlen, "setuid(%ld) failed: %s", (long)uid, strerror(errno));
		return -1;
	}
	/* setuid() as root sets real, effective and saved IDs; prove it (uid 0 itself cannot be left). */
	if (uid != 0 && (setuid(0) == 0 || geteuid() != uid || getuid() != uid)) {
		snprintf(err, errlen, "switch to user '%s' is not permanent: root could be regained", user);
		return -1;
	}
	if (getegid() != gid || getgid() != gid) {
		snprintf(err, errlen, "switch to group %ld did not take effect", (long)gid);
		return -1;
	}
	return 0;
}
