/* libFuzzer: the parser of the directory's SPNEGO answers (RFC 4178
 * NegTokenResp, lib/ldap/spnego.c): what it accepts points inside the
 * input, and the answer built back from its token parses again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldap/spnego.h"

static void inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	if (p && (p < data || p + n > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spnego_answer a, b;
	static uint8_t out[1 << 17];
	size_t n = 0;

	if (spnego_parse(data, size, &a) != 0)
		return 0;
	inside(a.token, a.token_len, data, size);
	inside(a.mic, a.mic_len, data, size);
	if (a.state < SPNEGO_STATE_NONE || a.state > SPNEGO_REQUEST_MIC)
		abort();
	if (a.raw)
		return 0;
	/* a response with the same token and MIC parses back to them */
	if (a.token && spnego_resp_token(a.token, a.token_len, a.mic, a.mic_len, out,
					 sizeof(out), &n) == 0) {
		if (spnego_parse(out, n, &b) != 0 || b.token_len != a.token_len ||
		    memcmp(b.token, a.token, a.token_len) ||
		    (a.mic && (b.mic_len != a.mic_len || memcmp(b.mic, a.mic, a.mic_len))))
			abort();
	}
	return 0;
}
