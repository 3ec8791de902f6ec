/* Unit tests for daemon.c: the locked PID file and its refusal message. */
#include "build_config.h"

#include "unit_run.h"
#include "daemon.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/siproxd-test-daemon.XXXXXX";
static char path[256];

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/siproxd-test-daemon.XXXXXX")));
	snprintf(path, sizeof path, "%s/siproxd.pid", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static long read_pid(void)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	return strtol(buf, NULL, 10);
}

START_TEST(pidfile_written_locked_removed)
{
	struct pidfile pf;
	char err[256] = "";

	ck_assert_int_eq(pidfile_create(&pf, path, 4242, err, sizeof err), 0);
	ck_assert_int_eq(read_pid(), 4242);
	/* The lock is held: another open file description cannot take it. */
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), -1);
	close(fd);
	/* No temporary file is left behind. */
	char tmp[300];
	snprintf(tmp, sizeof tmp, "%s.4242.tmp", path);
	ck_assert_int_eq(access(tmp, F_OK), -1);

	pidfile_release(&pf);
	ck_assert_int_eq(access(path, F_OK), -1);
	pidfile_release(&pf);   /* twice is harmless */
}
END_TEST

START_TEST(second_instance_refused_with_pid)
{
	struct pidfile first, second;
	char err[256] = "";

	ck_assert_int_eq(pidfile_create(&first, path, 4242, err, sizeof err), 0);
	ck_assert_int_eq(pidfile_create(&second, path, 4343, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "pid 4242"));
	err[0] = '\0';
	ck_assert_int_eq(pidfile_check(path, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "pid 4242"));
	ck_assert_int_eq(read_pid(), 4242);
	pidfile_release(&first);
}
END_TEST

START_TEST(stale_file_taken_over)
{
	struct pidfile pf;
	char err[256] = "";
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs("99999\n", f);
	fclose(f);
	ck_assert_int_eq(pidfile_check(path, err, sizeof err), 0);
	ck_assert_int_eq(pidfile_create(&pf, path, 4242, err, sizeof err), 0);
	ck_assert_int_eq(read_pid(), 4242);
	pidfile_release(&pf);
	ck_assert_int_eq(pidfile_check(path, err, sizeof err), 0);
}
END_TEST

START_TEST(unwritable_directory_reported)
{
	struct pidfile pf;
	char err[256] = "";

	ck_assert_int_eq(pidfile_create(&pf, "/nonexistent-dir/siproxd.pid", 1, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/siproxd.pid"));
}
END_TEST

START_TEST(unknown_user_refused)
{
	char err[256] = "";

	ck_assert_int_eq(daemon_drop_privileges("no-such-user-siproxd", NULL, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no-such-user-siproxd"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("pidfile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pidfile_written_locked_removed);
	tcase_add_test(tc, second_instance_refused_with_pid);
	tcase_add_test(tc, stale_file_taken_over);
	tcase_add_test(tc, unwritable_directory_reported);
	tcase_add_test(tc, unknown_user_refused);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
