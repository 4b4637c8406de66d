/* Allocation counting for the torture run (tests/torture/README.md), as
 * curl's memdebug.h: the library is built a third time with
 * `-include tests/torture/alloc.h`, so every malloc, calloc, realloc,
 * strdup and strndup phoneboot itself makes goes through a counting
 * wrapper (tests/torture/alloc.c, built without this header) that can be
 * told to fail the Nth one. Allocations inside OpenSSL, c-ares, libuv or
 * libldap are theirs and are not counted; jansson's are routed through the
 * same wrappers by the test (json_set_alloc_funcs). free() is untouched:
 * the wrappers hand out libc's own blocks. */
#ifndef PB_TORTURE_ALLOC_H
#define PB_TORTURE_ALLOC_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void *torture_malloc(size_t n);
void *torture_calloc(size_t n, size_t size);
void *torture_realloc(void *p, size_t n);
char *torture_strdup(const char *s);
char *torture_strndup(const char *s, size_t n);

#define malloc(n) torture_malloc(n)
#define calloc(n, size) torture_calloc(n, size)
#define realloc(p, n) torture_realloc(p, n)
#define strdup(s) torture_strdup(s)
#define strndup(s, n) torture_strndup(s, n)

#endif
