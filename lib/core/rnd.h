/* Internal: random identifiers (Call-ID, tags, branches, nonces). */
#ifndef PB_CORE_RND_H
#define PB_CORE_RND_H

#include <stddef.h>

/* 2*bytes lower-case hex characters and a NUL into out (bytes <= 32). */
void rnd_hex(char *out, size_t bytes);

#endif
