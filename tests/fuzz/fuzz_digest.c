/* libFuzzer: the challenge parser (a WWW-Authenticate value, any scheme)
 * and Digest's answer to what it parsed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auth/auth.h"
#include "sip/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_challenge c;
	char out[2048];

	if (sip_parse_challenge((const char *)data, size, &c) == 0) {
		const char *n, *v;
		size_t i;

		if (c.used > sizeof(c.store) || c.n > SIP_MAX_PARAMS)
			__builtin_trap();
		for (i = 0; sip_params(&c, i, &n, &v); i++)
			if (!memchr(n, '\0', (size_t)(c.store + sizeof(c.store) - n)) ||
			    !memchr(v, '\0', (size_t)(c.store + sizeof(c.store) - v)))
				__builtin_trap();
		digest_response(&c, "alice", "secret", "REGISTER", "sip:corp.example", 1,
				"0a4f113b", out, sizeof(out));
	}
	return 0;
}
