/* The control side of tests/torture/alloc.c: count phoneboot's own
 * allocations, fail the Nth one, and say where it was made. */
#ifndef PB_TORTURE_H
#define PB_TORTURE_H

#include <stddef.h>

/* Start counting from zero; fail_at N > 0 fails the Nth allocation
 * (once), 0 only counts. */
void torture_arm(unsigned long fail_at);
/* Stop counting (the harness's own allocations are not the library's). */
void torture_disarm(void);
/* Allocations counted since torture_arm(). */
unsigned long torture_count(void);
/* 1 once the armed allocation has been failed. */
int torture_fired(void);
/* Where the failed allocation was made: the first frame in phoneboot's
 * lib/ ("lib/steps/connect.c:74 in tried"), else the first caller, into
 * buf. */
void torture_site(char *buf, size_t len);
/* The wrappers, for json_set_alloc_funcs(). */
void *torture_malloc(size_t n);
void torture_free(void *p);

#endif
