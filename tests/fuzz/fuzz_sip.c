/* libFuzzer: the SIP response parser (network input): its challenges,
 * comma-joined or not, and its Authentication-Info; the Digest answer
 * computed from whatever challenge it yields, and the NTLM mechanism's
 * rounds over an NTLM one (its gssapi-data is the registrar's CHALLENGE). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "sip/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_response m;
	struct auth_in in = { .user = "alice", .domain = "corp.example", .password = "secret",
			      .method = "REGISTER", .uri = "sip:corp.example", .call_id = "c",
			      .cseq = 2, .from_uri = "sip:alice@corp.example", .from_tag = "t",
			      .to_uri = "sip:alice@corp.example", .to_tag = "", .expires = "3600" };
	static unsigned char state[4096];
	struct auth_err e;
	char err[128], out[4096];
	size_t i;
	int cred;

	if (sip_parse_response((const char *)data, size, &m, err, sizeof(err)) != 1)
		return 0;
	if (m.len > size || m.n_ch > SIP_MAX_CHALLENGES)
		__builtin_trap();
	for (i = 0; i < m.n_ch; i++) {
		digest_response(&m.ch[i], "alice", "secret", "REGISTER", "sip:corp.example",
				1, "0a4f113b", out, sizeof(out));
		if (strcasecmp(m.ch[i].scheme, "NTLM"))
			continue;
		memset(state, 0, auth_ntlm.state_size);
		if (auth_ntlm.answer(state, &in, &m.ch[i], out, sizeof(out), &cred, &e) == AUTH_ANSWER &&
		    sip_param(&m.ch[i], "gssapi-data"))
			auth_ntlm.verify(state, &in, &m, &e);
		auth_ntlm.clear(state);
	}
	return 0;
}
