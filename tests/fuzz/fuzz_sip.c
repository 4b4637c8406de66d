/* libFuzzer: the SIP response parser (network input), and the Digest
 * answer computed from whatever challenge it yields. */
#include <stddef.h>
#include <stdint.h>

#include "sip/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_response m;
	char err[128], out[2048];
	size_t i;

	if (sip_parse_response((const char *)data, size, &m, err, sizeof(err)) != 1)
		return 0;
	if (m.len > size)
		__builtin_trap();
	for (i = 0; i < m.n_ch; i++)
		sip_digest_answer(&m.ch[i], "alice", "secret", "REGISTER", "sip:corp.example",
				  1, "0a4f113b", out, sizeof(out));
	return 0;
}
