/* Reading a whole input file, bounded. */
#ifndef PB_CORE_FILE_H
#define PB_CORE_FILE_H

#include <stddef.h>

#include "phoneboot/codes.h"

/* Read regular file path (at most max bytes) into a malloc'd buffer with a
 * NUL after the data. *buf and *len are set only on success; on error a
 * one-line message naming the file is written into err ("what" names the
 * kind of file expected, for "is a directory, not a <what>"). */
enum pb_err file_read(const char *path, size_t max, const char *what,
		      char **buf, size_t *len, char *err, size_t errlen);

#endif
