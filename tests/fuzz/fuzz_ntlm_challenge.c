/* libFuzzer: the NTLM CHALLENGE_MESSAGE parser ([MS-NLMP] 2.2.1.2), and
 * the AUTHENTICATE_MESSAGE built from what it accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntlm/ntlm.h"

static struct ntlm_crypto *crypto;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t cc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t esk[16] = { 9 };
	static const uint64_t now = 0;
	struct ntlm_challenge c;
	struct ntlm_ctx *x = NULL;
	struct ntlm_auth_opts o;
	uint8_t *msg = NULL, sig[NTLM_SIG_LEN];
	size_t len = 0;

	if (ntlm_parse_challenge(data, size, &c) != NTLM_OK)
		return 0;
	/* every name is a terminated string; target_info lies inside data */
	if (!memchr(c.target_name, '\0', sizeof(c.target_name)) ||
	    !memchr(c.dns_computer, '\0', sizeof(c.dns_computer)) ||
	    (c.target_info && (c.target_info < data ||
			       c.target_info + c.target_info_len > data + size)))
		__builtin_trap();
	if (!crypto && ntlm_crypto_new(&crypto) != NTLM_OK)
		__builtin_trap();
	memset(&o, 0, sizeof(o));
	o.user = "alice";
	o.domain = "CORP";
	o.password = "Secret-1";
	o.workstation = "CX700";
	o.flags = NTLM_FLAGS_OC2007R2;
	o.client_challenge = cc;
	o.exported_session_key = esk;
	o.now = &now;
	if (ntlm_ctx_new(&x, crypto) != NTLM_OK)
		__builtin_trap();
	switch (ntlm_authenticate(x, data, size, &o, &msg, &len)) {
	case NTLM_OK:
		if (len < 88 || ntlm_sign(x, NTLM_SIPAE_SEQ, data, size, sig) != NTLM_OK)
			__builtin_trap();
		break;
	case NTLM_ERR_UNSUPPORTED:      /* an NTLMv2 response past 64 KiB */
		break;
	default:
		__builtin_trap();
	}
	free(msg);
	ntlm_ctx_free(x);
	return 0;
}
