/* libFuzzer harness for the registrar's SIP reader (make lab-fuzz): every
 * parser the registrar runs on network input before any NTLM. */
#include "sipmsg.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg m;
	struct sip_auth a;
	const struct sip_str *v;
	unsigned char out[4096];
	char mem[256];
	struct sbuf s;
	if (sip_parse((const char *)data, size, &m) != 1)
		return 0;
	for (int i = 0; (v = sip_hdr(&m, "Authorization", i)) != NULL; i++)
		if (sip_auth_parse(*v, &a) == 0) {
			const struct sip_str *p = sip_auth_param(&a, "gssapi-data");
			if (p != NULL)
				b64_decode(*p, out, sizeof out);
			if ((p = sip_auth_param(&a, "response")) != NULL)
				hex_decode(*p, out, sizeof out);
		}
	if ((v = sip_hdr(&m, "From", 0)) != NULL) {
		struct sip_str u = sip_addr_uri(*v);
		sip_uri_user(u);
		sip_uri_host(u);
		sip_addr_tag(*v);
		sb_init(&s, mem, sizeof mem);
		sb_str(&s, u);
		sb_hex(&s, (const unsigned char *)u.p, u.n, 1);
	}
	{
		struct sip_str n, me;
		sip_cseq(&m, &n, &me);
	}
	return 0;
}
