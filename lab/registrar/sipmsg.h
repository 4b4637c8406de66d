/* The lab registrar's SIP message reader and writer: strict, bounded, no
 * allocation. Shared by the registrar and its test client (lab code only;
 * nothing here is phoneboot's). RFC 3261 section 7 (message format),
 * 7.3.3 (compact header names), 20 (header fields). */
#ifndef LAB_SIPMSG_H
#define LAB_SIPMSG_H

#include <stddef.h>
#include <stdint.h>

#define SIP_MAX_HEAD 16384      /* start line + headers */
#define SIP_MAX_BODY 16384
#define SIP_MAX_HDRS 80
#define SIP_MAX_PARAMS 24

struct sip_str { const char *p; size_t n; };

struct sip_hdr { struct sip_str name, value; };

struct sip_msg {
	int request;                    /* 1 request, 0 response */
	struct sip_str method, uri;     /* requests */
	int status;                     /* responses */
	struct sip_str reason;
	struct sip_hdr h[SIP_MAX_HDRS];
	int nh;
	struct sip_str body;
	size_t size;                    /* bytes the message took in the input */
};

/* Parse one message from data[0..len). Returns 1 when complete (m->size set),
 * 0 when more bytes are needed, -1 when the input is not SIP or breaks a
 * bound. The message points into data, which must outlive it. */
int sip_parse(const char *data, size_t len, struct sip_msg *m);

/* The idx-th header called name (case-insensitive; compact forms too), or NULL. */
const struct sip_str *sip_hdr(const struct sip_msg *m, const char *name, int idx);
int sip_streq(struct sip_str s, const char *z);         /* exact */
int sip_strcaseeq(struct sip_str s, const char *z);     /* case-insensitive */
struct sip_str sip_trim(struct sip_str s);

/* name-addr / addr-spec (From, To, Contact, P-Asserted-Identity): the URI
 * (inside <> when present) and the tag parameter (empty when none). */
struct sip_str sip_addr_uri(struct sip_str v);
struct sip_str sip_addr_tag(struct sip_str v);
/* user part of a sip:/sips: URI (empty when none) and host part */
struct sip_str sip_uri_user(struct sip_str uri);
struct sip_str sip_uri_host(struct sip_str uri);
/* CSeq: number and method */
int sip_cseq(const struct sip_msg *m, struct sip_str *num, struct sip_str *method);

/* Authentication header values (RFC 3261 25.1 challenge / credentials):
 * scheme, then comma-separated name=value or name="value". Returns 0, or
 * -1 when malformed or over the bounds. Values are unquoted (no escapes:
 * MS-SIPAE values never carry them). */
struct sip_auth {
	struct sip_str scheme;
	struct { struct sip_str name, value; int quoted; } p[SIP_MAX_PARAMS];
	int np;
};
int sip_auth_parse(struct sip_str v, struct sip_auth *a);
/* the value of parameter name, or NULL when absent */
const struct sip_str *sip_auth_param(const struct sip_auth *a, const char *name);

/* A bounded output buffer: appends past the end set overflow. */
struct sbuf { char *b; size_t cap, n; int overflow; };
void sb_init(struct sbuf *s, char *mem, size_t cap);
void sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_str(struct sbuf *s, struct sip_str v);
void sb_hex(struct sbuf *s, const unsigned char *p, size_t n, int upper);

/* base64 (RFC 4648 section 4); decode returns the length or -1 */
size_t b64_encode(const unsigned char *in, size_t n, char *out, size_t cap);
long b64_decode(struct sip_str in, unsigned char *out, size_t cap);
/* hex string to bytes; returns the length or -1 */
long hex_decode(struct sip_str in, unsigned char *out, size_t cap);

#endif
