/* Random identifiers from the kernel's generator (uv_random). */
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

#include "core/rnd.h"

void rnd_hex(char *out, size_t bytes)
{
	unsigned char r[32];
	size_t i;

	if (bytes > sizeof(r))
		bytes = sizeof(r);
	/* getrandom(2) does not fail for 32 bytes once the pool is
	 * initialised; rand() keeps identifiers unique if it ever does
	 * (they are not secrets) */
	if (uv_random(NULL, NULL, r, bytes, 0, NULL) != 0)
		for (i = 0; i < bytes; i++)
			r[i] = (unsigned char)rand();
	for (i = 0; i < bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	out[2 * bytes] = '\0';
}
