#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum pb_err file_read(const char *path, size_t max, const char *what,
		      char **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	FILE *f;
	char *b;
	size_t n;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return PB_ERR_IO;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a %s", path, what);
		return PB_ERR_IO;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		snprintf(err, errlen, "%s: not a regular file of at most %zu KiB",
			 path, max / 1024);
		return PB_ERR_IO;
	}
	if (!(f = fopen(path, "rb"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return PB_ERR_IO;
	}
	if (!(b = malloc((size_t)st.st_size + 1))) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return PB_ERR_NOMEM;
	}
	n = fread(b, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		fclose(f);
		free(b);
		snprintf(err, errlen, "%s: read error", path);
		return PB_ERR_IO;
	}
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return PB_OK;
}
