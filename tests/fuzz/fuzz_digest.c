/* libFuzzer: the Digest challenge parser (a WWW-Authenticate value). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sip/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_challenge c;
	char out[2048];

	if (sip_parse_challenge((const char *)data, size, &c) == 0) {
		if (!memchr(c.realm, '\0', sizeof(c.realm)) || !memchr(c.nonce, '\0', sizeof(c.nonce)))
			__builtin_trap();
		sip_digest_answer(&c, "alice", "secret", "REGISTER", "sip:corp.example", 1,
				  "0a4f113b", out, sizeof(out));
	}
	return 0;
}
