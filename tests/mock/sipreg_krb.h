/* The mock registrar's Kerberos verifier ([MS-SIPAE] one leg, version 4):
 * the AP-REQ accepted by MIT GSS-API with the service's keytab, the
 * request's signature (response, a GSS MIC) checked over the mock's own
 * signed string, and the Authentication-Info of the 200 signed with the
 * same context. Its parsing and signed string are its own, not lib/'s.
 * Internal to tests/mock/sipreg.c. */
#ifndef PB_MOCK_SIPREG_KRB_H
#define PB_MOCK_SIPREG_KRB_H

#include <stddef.h>

#include "sipreg_msg.h"

/* msg/len: the whole request r was parsed from. An answer with
 * gssapi-data (the AP-REQ) sets up a new security association in *sa; one
 * without (a later request: opaque, crand, cnum, response) is checked in
 * *sa. 0 with ainfo (the value of Authentication-Info for the 200 whose To
 * tag is to_tag and Expires expires) and user (the client principal, ""
 * for a later request); -1 with why. */
int sipreg_krb_verify(const char *keytab, void **sa, const char *msg, size_t len,
		      const struct sipreg_req *r, const char *to_tag, int expires,
		      char *ainfo, size_t cap, char *user, size_t ulen, char *why, size_t wlen);
/* Drop the association (NULL is fine). */
void sipreg_krb_free(void **sa);

#endif
