/* libFuzzer: a KDC's reply as phoneboot reads it (lib/krb/): the TCP
 * framing (kdc_tcp_frame: the message it locates stays inside the input),
 * then the message named and, when it is a KRB-ERROR, read through krb5
 * (krb_read_error: the code, the KDC's clock, the e-text). The AS/TGS
 * replies themselves are krb5's to parse (krb5_init_creds_step). Also the
 * directory's SASL security-layer framing (dir_sasl_frame, lib/ldap/). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "krb/kdc.h"
#include "krb/krb.h"
#include "ldap/gssapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static krb5_context ctx;
	size_t off = 0, len = 0;
	krb5_error_code code;
	time_t st;
	char text[64];
	int rc;

	if (!ctx && krb_context_new("TEST.EXAMPLE", time(NULL), &ctx) != 0)
		return 0;
	if (dir_sasl_frame(data, size, &len) > 0 && (len == 0 || len > size - 4 ||
						     len > DIR_SASL_MAX))
		__builtin_trap();
	rc = kdc_tcp_frame(data, size, &off, &len);
	if (rc > 0) {
		if (off != 4 || len == 0 || len > size - 4 || len > KDC_MAX_REPLY)
			__builtin_trap();
		data += off;
		size = len;
	} else if (rc < 0 && size < 4) {
		__builtin_trap();       /* -1 needs a whole prefix */
	}
	(void)krb_msg_name(data, size);
	if (krb_read_error(ctx, data, size, &code, &st, text, sizeof(text)) == 0) {
		if (strlen(text) >= sizeof(text))
			__builtin_trap();
		(void)krb_cause_of(code, 0);
	}
	return 0;
}
