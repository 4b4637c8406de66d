/* Internal: HTTP Negotiate (RFC 4559) with Kerberos inside SPNEGO, as a
 * Windows CE client authenticates to an IIS site (the CX700 to AD CS web
 * enrollment: "attempts HTTP request ... using Kerberos (SPNEGO)",
 * Polycom's CX700 deployment guide). The service ticket comes from the
 * device's ccache (lib/krb/): GSS-API never reaches a KDC itself. Mutual
 * authentication is asked for; the server's AP-REP, when it sends one in
 * its WWW-Authenticate, is verified. */
#ifndef PB_HTTP_NEGOTIATE_H
#define PB_HTTP_NEGOTIATE_H

#include <stddef.h>

#include <krb5/krb5.h>

struct http_negotiate;

/* The Authorization header line ("Authorization: Negotiate <base64>") for
 * service ("HTTP/ca.corp.example@CORP.EXAMPLE", its ticket in cc),
 * malloc'd: the caller wipes and frees it once sent (http_negotiate_wipe).
 * NULL with why, else *out (http_negotiate_free). */
char *http_negotiate_start(krb5_ccache cc, const char *service, struct http_negotiate **out,
			   char *why, size_t whylen);
/* Wipe and free a header http_negotiate_start made. NULL is fine. */
void http_negotiate_wipe(char *header);
/* The server's answer, its WWW-Authenticate value (may be ""): 1 the
 * server proved itself (its AP-REP verified, and its mechListMIC when it
 * sent one), 0 it sent no token, -1 a token that refuses, names another
 * mechanism or does not verify (why says so). */
int http_negotiate_finish(struct http_negotiate *n, const char *www_authenticate, char *why,
			  size_t whylen);
void http_negotiate_free(struct http_negotiate *n);

#endif
