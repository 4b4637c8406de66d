/* The registrar's MS-SIPAE server side: challenges, security associations,
 * signature checks on requests and signatures on responses.
 * [MS-SIPAE] (Session Initiation Protocol Authentication Extensions) 3.3;
 * for version 2 the older list of [MS-SIP] 3.1.4.2. */
#ifndef LAB_SIPAE_H
#define LAB_SIPAE_H

#include "sipmsg.h"

enum { SCHEME_NTLM = 1, SCHEME_KERBEROS = 2, SCHEME_TLSDSK = 4 };

struct sipae_config {
	const char *realm;          /* "SIP Communications Service" */
	const char *domain;         /* the SIP domain the From host must be */
	int version;                /* offered: 2, 3 or 4 */
	unsigned schemes;           /* offered, SCHEME_* */
	int bad_rspauth;            /* scenario: every rspauth is wrong */
	int reason_warning;         /* add the DC's refusal reason (Warning: 399) */
	const char *redirect;       /* REGISTER answered 302 with this Contact URI */
	const char *sts_uri;        /* TLS-DSK challenge's certificate service */
	int max_expires;
	/* TLS-DSK: an SSL_CTX (server) with this listener's certificate that
	 * asks for a client certificate of the lab's CertProv CA; NULL: the
	 * scheme is offered but not verified */
	void *tlsdsk_ctx;
};

/* Handle one request that arrived on a listener whose authentication target
 * is target (an FQDN: NTLM targetname; Kerberos is sip/<target>). Writes the
 * response into out and returns 1, or returns 0 when no response is due
 * (ACK, responses). summary gets a short line for the log. */
int sipae_handle(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		 struct sbuf *out, char *summary, size_t sumlen);

/* drop security associations idle too long (called once a second) */
void sipae_expire(void);

#endif
