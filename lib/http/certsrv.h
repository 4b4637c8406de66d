/* Internal: the CA certificate chain from Active Directory Certificate
 * Services' web enrollment pages, as the CX700 downloads it
 * (docs/engine.md, "download-root").
 *
 * Polycom's CX700 deployment guide shows the phone's sign-in sequence:
 * "Polycom CX700 phone attempts HTTP request to download RootCA cert chain
 * using Kerberos (SPNEGO)", then "DC streams Base64 certificate chain to
 * Polycom CX700 phone via HTTP (URL: /certsrv/certnew.p7b, Using SPNEGO
 * Authentication)". The query string is AD CS's for the CA's own chain
 * (ReqID=CACert; the guide does not print it): its reply is a PKCS#7
 * certs-only message, in base64 (Enc=b64), which AD CS has been seen to
 * armor with a "CERTIFICATE" label, or in DER (Enc=bin). The parser takes
 * all three, and a bare certificate, and judges the content, not the
 * label; fuzzed (tests/fuzz/fuzz_certsrv.c). */
#ifndef PB_CERTSRV_H
#define PB_CERTSRV_H

#include <stddef.h>

/* The path and query of the chain download. */
#define CERTSRV_CHAIN_PATH "/certsrv/certnew.p7b?ReqID=CACert&Renewal=-1&Enc=b64"

#define CERTSRV_MAX_CERTS 8

struct certsrv_chain {
	unsigned char *der[CERTSRV_MAX_CERTS];  /* malloc'd; certsrv_chain_free */
	size_t der_len[CERTSRV_MAX_CERTS];
	size_t n;
	int more;                   /* certificates past CERTSRV_MAX_CERTS, left out */
	const char *form;           /* "PKCS#7 (base64)", "PKCS#7 (DER)",
				       "certificate (base64)", ... (static) */
};

/* The certificates of an answer's body. 0 with out filled (n >= 1), or -1
 * with why (nothing was allocated then). */
int certsrv_chain_parse(const char *body, size_t len, struct certsrv_chain *out, char *why,
			size_t whylen);
/* Frees the certificates still held (a taken one is set to NULL). */
void certsrv_chain_free(struct certsrv_chain *c);

#endif
