/* t-util.c: buffers, redaction, atomic writes, sha256, rmtree. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aas.h"
#include "tap.h"

static int
refuse(void *arg)
{
	(void)arg;
	return 1;
}

int
main(void)
{
	struct aas_buf b = AAS_BUF_INIT;
	struct aas_err e;
	char dir[] = "/tmp/t-util.XXXXXX", *p, *s, *data, hex[65];
	struct stat st;
	size_t len;
	int i;

	aas_setprogname("t-util");
	plan(23);
	for (i = 0; i < 1000; i++)
		aas_buf_printf(&b, "%d,", i);
	is_int(b.len, 3890, "buffer grows");
	ok(strncmp(b.s + b.len - 4, "999,", 4) == 0, "buffer content");
	aas_buf_free(&b);

	aas_secret_add("sk-secret-123");
	aas_secret_add("abc");	/* too short to register */
	s = aas_redact("key sk-secret-123 and sk-secret-123 abc");
	is_str(s, "key [redacted] and [redacted] abc", "secrets redacted");
	free(s);

	aas_err_set(&e, "io", "boom %d", 7);
	aas_err_prefix(&e, "file %s", "x");
	is_str(e.msg, "file x: boom 7", "error prefix");
	is_str(e.code, "io", "error code kept");

	aas_sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "sha256 of abc");

	if (mkdtemp(dir) == NULL)
		return 1;
	p = aas_xasprintf("%s/a/b/c", dir);
	is_int(aas_mkdirs(p, 0755, &e), 0, "mkdirs");
	free(p);
	p = aas_xasprintf("%s/a/f", dir);
	is_int(aas_write_atomic(p, "hello\n", 6, 0750, &e), 0, "atomic write");
	aas_read_file(p, &data, &len, &e);
	is_str(data, "hello\n", "read back");
	free(data);
	aas_write_atomic(p, "x", 1, -1, &e);
	stat(p, &st);
	is_int(st.st_mode & 0777, 0750, "mode kept on rewrite");
	is_int(aas_write_atomic_if(p, "y", 1, -1, refuse, NULL, &e), 1,
	    "a last look that refuses: 1");
	aas_read_file(p, &data, &len, &e);
	is_str(data, "x", "and nothing written");
	free(data);
	free(p);
	/* aas_write_all: 1 MiB through a pipe (short writes), then EBADF */
	{
		char *big = aas_xcalloc(1, 1 << 20);
		int fds[2];
		pid_t pid;
		ssize_t r;
		size_t got = 0;
		char chunk[4096];

		memset(big, 'x', 1 << 20);
		if (pipe(fds) == -1 || (pid = fork()) == -1)
			return 1;
		if (pid == 0) {
			close(fds[0]);
			_exit(aas_write_all(fds[1], big, 1 << 20) == 0 ? 0 : 1);
		}
		close(fds[1]);
		while ((r = read(fds[0], chunk, sizeof(chunk))) > 0)
			got += (size_t)r;
		close(fds[0]);
		is_int(got, 1 << 20, "write_all: every byte through a pipe");
		is_int(waitpid(pid, &i, 0) == pid && WIFEXITED(i) ?
		    WEXITSTATUS(i) : -1, 0, "write_all: 0");
		is_int(aas_write_all(-1, big, 1), -1, "write_all: bad fd -1");
		is_int(aas_write_all(-1, big, 0), 0, "write_all: nothing is 0");
		free(big);
	}
	is_int(aas_read_file("/nonexistent/x", &data, &len, &e), -1,
	    "missing file");
	is_str(e.msg, "/nonexistent/x: No such file or directory",
	    "missing file message");
	aas_rmtree(dir, &e);
	ok(access(dir, F_OK) == -1, "rmtree removes everything");
	{
		static const char *const lead[] = { "#", "//", "<!--", NULL };

		is_int(aas_lead_len("// x", 4, lead), 2, "lead_len: the lead");
		is_int(aas_lead_len("<!-- x", 6, lead), 4,
		    "lead_len: a longer lead");
		is_int(aas_lead_len("//", 2, lead), 0,
		    "lead_len: a lead with nothing after it");
		is_int(aas_lead_len("x //", 4, lead), 0, "lead_len: none");
	}
	aas_fini();
	return done_testing();
}
