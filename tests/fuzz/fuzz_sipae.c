/* libFuzzer: the MS-SIPAE parameter parsers (challenge and
 * Authentication-Info values), sipae_copy() and base64 decoding of
 * gssapi-data, with a round trip through the encoder. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipae/sipae.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *v = (const char *)data;
	struct sipae_auth a;
	struct span s;
	size_t used = 0, off = 0, i, n, m;
	char buf[256];
	uint8_t bin[4096];
	char *enc;

	(void)sipae_parse_auth_info(v, size, &a);
	/* every challenge of a comma-joined value */
	while (off < size && sipae_parse_challenge(v + off, size - off, &a, &used) == SIPAE_OK) {
		if (used == 0 || used > size - off)
			__builtin_trap();
		for (i = 0; i < a.n; i++) {
			if (a.p[i].name.p < v || a.p[i].value.p + a.p[i].value.len > v + size)
				__builtin_trap();
			(void)sipae_copy(a.p[i].value, buf, sizeof(buf));
		}
		if (sipae_get(&a, "gssapi-data", &s) &&
		    sipae_b64_decode(s.p, s.len, bin, sizeof(bin), &n) == SIPAE_OK) {
			enc = malloc(s.len + 1);
			if (!enc || sipae_b64_encode(bin, n, enc, s.len + 1, &m) != SIPAE_OK ||
			    m != s.len || memcmp(enc, s.p, m) != 0)
				__builtin_trap();   /* decoding is canonical */
			free(enc);
		}
		off += used;
	}
	return 0;
}
