/* report-write.c: a report into its file, whole or appended. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aas.h"
#include "report.h"
#include "report-int.h"
#include "banned.h"

static int
append_file(const char *path, const char *data, size_t len,
    struct aas_err *e)
{
	int fd, saved;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1)
		return aas_err_set(e, "io", "%s: cannot open: %s", path,
		    strerror(errno));
	if (aas_write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		close(fd);
		return aas_err_set(e, "io", "%s: cannot write: %s", path,
		    strerror(saved));
	}
	if (close(fd) == -1)
		return aas_err_set(e, "io", "%s: cannot write: %s", path,
		    strerror(errno));
	return 0;
}

struct streamed {
	struct aas_report *r;
	const char *kind;
};

/* JUnit and HTML stream into the temporary file as they are made
 * (rpt_flush, through r->sink); the rest goes after them. */
static int
fill_streamed(int fd, void *arg)
{
	struct streamed *sw = arg;
	struct aas_report *r = sw->r;
	struct aas_buf b = AAS_BUF_INIT;
	int rc = 0;

	r->sink = fd;
	r->sink_errno = 0;
	if (strcmp(sw->kind, "junit") == 0)
		aas_report_junit(r, &b);
	else
		aas_report_html(r, &b);
	r->sink = -1;
	if (r->sink_errno != 0) {
		errno = r->sink_errno;
		rc = -1;
	} else
		rc = aas_write_all(fd, b.s, b.len);
	aas_buf_free(&b);
	return rc;
}

int
aas_report_write(struct aas_report *r, const char *kind, const char *path,
    int append, struct aas_err *e)
{
	struct aas_buf b = AAS_BUF_INIT;
	struct stat st;
	size_t limit = AAS_REPORT_SUMMARY_MAX;
	int rc;

	if (strcmp(kind, "summary") != 0) {
		struct streamed sw = { r, kind };

		return aas_write_atomic_fill(path, -1, fill_streamed, &sw, NULL,
		    NULL, e) == 0 ? 0 : -1;
	}
	/* the summary is at most 1 MiB: made whole, then written */
	if (append && stat(path, &st) == 0)
		limit = (size_t)st.st_size < limit ? limit - (size_t)st.st_size :
		    0;
	aas_report_markdown(r, &b, limit);
	if (append)
		rc = append_file(path, b.s, b.len, e);
	else
		rc = aas_write_atomic(path, b.s, b.len, -1, e);
	aas_buf_free(&b);
	return rc;
}
