/* Daemon life cycle: detaching from the terminal, the locked PID file, chroot and the permanent user switch. */
#ifndef SIPROXD_DAEMON_H
#define SIPROXD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Double fork + setsid, chdir("/"), umask 027. Returns in the daemon (the grandchild) with a
 * descriptor for daemon_detach_done(); the original process waits until the daemon reports that
 * start-up finished and exits 0, or 1 when the daemon failed or died first. stdio stays on the
 * terminal until then, so start-up errors are still seen. Returns -1 (errno set) when fork failed.
 */
int daemon_detach(void);
/* Tells the waiting parent how start-up went and moves stdio to /dev/null. fd < 0: no-op. */
void daemon_detach_done(int fd, bool ok);

struct pidfile {
	int fd;            /* open and locked while the daemon runs; -1 when none */
	char *path;
	bool removed;
};

/*
 * Creates the PID file atomically (temporary file + rename) and keeps it locked (flock) on pf->fd.
 * When another process holds the lock, fails with a message naming that process' PID in err.
 * Returns 0, or -1 with err filled.
 */
int pidfile_create(struct pidfile *pf, const char *path, pid_t pid, char *err, size_t errlen);
/*
 * Early probe, before sockets are bound: -1 with the running instance's PID in err when another
 * process holds the lock, so a second start says "already running" instead of "address in use".
 */
int pidfile_check(const char *path, char *err, size_t errlen);
/*
 * At exit: removes the file (inside a chroot or without write access to the directory this may
 * fail: then the file is emptied through the still-open descriptor and the reason is logged once),
 * and releases the lock. Safe to call on a zeroed or already released pidfile.
 */
void pidfile_release(struct pidfile *pf);

/*
 * Looks up user (may be NULL) before the chroot, enters jail (may be NULL) and then switches
 * permanently to the user: setgroups(1, gid), setgid, setuid, and verifies that root cannot be
 * regained. Returns 0, or -1 with the reason in err (the caller treats it as fatal).
 */
int daemon_drop_privileges(const char *user, const char *jail, char *err, size_t errlen);

#endif
