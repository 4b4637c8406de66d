/* The counting allocator of the torture run: see alloc.h and torture.h.
 * alloc.h only for its prototypes: malloc here is libc's (ASan's). */
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/common_interface_defs.h>

#include "alloc.h"
#include "torture.h"

/* the wrappers call libc's own */
#undef malloc
#undef calloc
#undef realloc
#undef strdup
#undef strndup

#define MAX_FRAMES 24

static int counting;
static unsigned long count, fail_at;
static int fired;
static void *frames[MAX_FRAMES];
static int n_frames;

void torture_arm(unsigned long n)
{
	void *warm[2];

	/* backtrace() loads libgcc_s (and allocates) on its first call: not
	 * while an allocation is failing */
	backtrace(warm, 2);
	count = 0;
	fail_at = n;
	fired = 0;
	n_frames = 0;
	counting = 1;
}

void torture_disarm(void)
{
	counting = 0;
}

unsigned long torture_count(void)
{
	return count;
}

int torture_fired(void)
{
	return fired;
}

/* Count one allocation; 1 when this one is to fail. */
static int fail_now(void)
{
	if (!counting)
		return 0;
	if (++count != fail_at)
		return 0;
	fired = 1;
	n_frames = backtrace(frames, MAX_FRAMES);
	return 1;
}

void *torture_malloc(size_t n)
{
	return fail_now() ? NULL : malloc(n);
}

void *torture_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : calloc(n, size);
}

void *torture_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : realloc(p, n);
}

char *torture_strdup(const char *s)
{
	return fail_now() ? NULL : strdup(s);
}

char *torture_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : strndup(s, n);
}

void torture_free(void *p)
{
	free(p);
}

void torture_site(char *buf, size_t len)
{
	char first[256] = "", line[256];
	int i;

	/* frame 0 is fail_now, 1 the wrapper */
	for (i = 2; i < n_frames; i++) {
		__sanitizer_symbolize_pc(frames[i], "%s:%l in %f", line, sizeof(line));
		if (!first[0])
			snprintf(first, sizeof(first), "%s", line);
		if (strstr(line, "/lib/") && !strstr(line, "/usr/lib/")) {
			snprintf(buf, len, "%s", strstr(line, "/lib/") + 1);
			return;
		}
	}
	snprintf(buf, len, "%s", first[0] ? first : "(no stack)");
}
