/* libFuzzer: MS-SIPAE values as the boot reads them: every challenge of a
 * WWW-Authenticate or Authentication-Info value (comma-joined ones split,
 * lib/sip), and the base64 of their gssapi-data, decoded and encoded back
 * (lib/sipae): the decoding is canonical. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip.h"
#include "sipae/sipae.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *v = (const char *)data;
	struct sip_challenge c;
	size_t used = 0, off = 0, n, m;
	uint8_t bin[4096];
	char *enc;

	while (off < size && sip_parse_challenge_at(v + off, size - off, &c, &used) == 0) {
		const char *b64 = sip_param(&c, "gssapi-data");

		if (used == 0 || used > size - off)
			__builtin_trap();
		if (b64 && sipae_b64_decode(b64, strlen(b64), bin, sizeof(bin), &n) == SIPAE_OK) {
			enc = malloc(strlen(b64) + 1);
			if (!enc || sipae_b64_encode(bin, n, enc, strlen(b64) + 1, &m) != SIPAE_OK ||
			    m != strlen(b64) || memcmp(enc, b64, m) != 0)
				__builtin_trap();
			free(enc);
		}
		off += used;
	}
	return 0;
}
