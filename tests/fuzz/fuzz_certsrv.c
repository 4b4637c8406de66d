/* libFuzzer: the CA chain of AD CS web enrollment's certnew.p7b
 * (lib/http/certsrv.c; the page's body is network input). What it
 * accepts is one to CERTSRV_MAX_CERTS certificates, each of which decodes
 * again as X.509 DER. */
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "http/certsrv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certsrv_chain c;
	char why[200];
	size_t i;

	if (certsrv_chain_parse((const char *)data, size, &c, why, sizeof(why)) == 0) {
		if (c.n == 0 || c.n > CERTSRV_MAX_CERTS || !c.form)
			__builtin_trap();
		for (i = 0; i < c.n; i++) {
			const unsigned char *p = c.der[i];
			X509 *x = d2i_X509(NULL, &p, (long)c.der_len[i]);

			if (!x)
				__builtin_trap();
			X509_free(x);
		}
		certsrv_chain_free(&c);
	}
	return 0;
}
