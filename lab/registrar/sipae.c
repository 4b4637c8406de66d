/* MS-SIPAE server side for the lab registrar (see sipae.h).
 *
 * Wire behaviour, in the order [MS-SIPAE] 4.1 shows it:
 *  1. a request without credentials (or whose realm/targetname are not
 *     ours) -> 401 with one WWW-Authenticate per offered scheme: realm,
 *     targetname (Kerberos: sip/<fqdn>), version (3.3.5.1);
 *  2. NTLM with gssapi-data="" -> 401 with opaque and the CHALLENGE_MESSAGE
 *     in gssapi-data (connectionless NTLM: no NEGOTIATE_MESSAGE);
 *  3. NTLM with opaque and the AUTHENTICATE_MESSAGE -> verified by
 *     gss-ntlmssp; from version 4 the same request must carry crand, cnum
 *     and response, its signature; the From user must be the authenticated
 *     user; then 200 OK signed in Authentication-Info (rspauth, srand, snum);
 *  4. later requests carry opaque, crand, cnum, response: verified against
 *     the security association (SA) and answered signed.
 * Kerberos ([MS-SIPAE] 3.3.5.2, 4.2): one leg. The AP-REQ in gssapi-data is
 * accepted by MIT GSS-API (keytab); signed in the same request (crand,
 * cnum, response: a client that asked for integrity only, as version 4
 * clients do) -> 200 OK signed; unsigned (version 3, or a client that asked
 * for mutual authentication) -> 401 with opaque and, when the client asked
 * for it, the AP-REP in gssapi-data; the client then signs its next request
 * on that opaque (step 4).
 * Refusals: see refuse() and challenge() below, and lab/README.md. */
#include "sipae.h"
#include "gssntlm.h"
#include "gsskrb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define MAX_SA 512
#define SA_PENDING_TTL 60           /* s, between CHALLENGE and AUTHENTICATE */
#define SA_IDLE_TTL (12 * 3600)     /* s, an established SA unused */
#define MAX_TOKEN 4096

struct sa {
	int state;                  /* 0 free, 1 challenged, 2 established */
	unsigned scheme;            /* SCHEME_NTLM or SCHEME_KERBEROS */
	char opaque[9];
	char target[256];           /* as the header says it (Kerberos: sip/<fqdn>) */
	char user[256];             /* DOMAIN\user (gss-ntlmssp), user@REALM (krb5) */
	struct ntlm_ctx *ctx;
	struct krb_ctx *kctx;
	unsigned char challenge[8]; /* our server challenge, to ask winbind why */
	SSL *ssl;                   /* TLS-DSK: the handshake on memory BIOs */
	unsigned char ckey[32], skey[32];   /* TLS-DSK: client and server signing keys */
	int md5;                    /* TLS-DSK: HMAC-MD5 (an MD5 suite), else HMAC-SHA1 */
	int version;                /* negotiated at the final handshake */
	unsigned long snum, last_cnum;
	time_t used;
};
static struct sa sas[MAX_SA];

static void sa_free(struct sa *s)
{
	ntlm_free(s->ctx);
	krb_free(s->kctx);
	SSL_free(s->ssl);
	OPENSSL_cleanse(s, sizeof *s);
	memset(s, 0, sizeof *s);
}

void sipae_expire(void)
{
	time_t now = time(NULL);
	for (int i = 0; i < MAX_SA; i++)
		if ((sas[i].state == 1 && now - sas[i].used > SA_PENDING_TTL) ||
		    (sas[i].state == 2 && now - sas[i].used > SA_IDLE_TTL))
			sa_free(&sas[i]);
}

static struct sa *sa_new(void)
{
	struct sa *s = NULL;
	unsigned char r[4];
	for (int i = 0; i < MAX_SA && s == NULL; i++)
		if (sas[i].state == 0)
			s = &sas[i];
	if (s == NULL) {            /* full: the least recently used goes */
		s = &sas[0];
		for (int i = 1; i < MAX_SA; i++)
			if (sas[i].used < s->used)
				s = &sas[i];
		sa_free(s);
	}
	if (RAND_bytes(r, sizeof r) != 1)
		return NULL;
	snprintf(s->opaque, sizeof s->opaque, "%02X%02X%02X%02X", r[0], r[1], r[2], r[3]);
	s->used = time(NULL);
	return s;
}

static struct sa *sa_find(struct sip_str opaque, int state)
{
	for (int i = 0; i < MAX_SA; i++)
		if (sas[i].state == state && sip_strcaseeq(opaque, sas[i].opaque))
			return &sas[i];
	return NULL;
}

/* the SA's mechanism signs and verifies: 16-byte NTLM signatures with
 * sequence number 100, or Kerberos GSS MIC tokens (RFC 4121 4.2.6.1, or
 * RFC 1964/4757 for RC4 keys) */
static const char *sa_scheme(const struct sa *s)
{
	return s->scheme == SCHEME_KERBEROS ? "Kerberos" : s->scheme == SCHEME_TLSDSK ? "TLS-DSK" : "NTLM";
}

/* TLS-DSK: HMAC-SHA1 (HMAC-MD5 under an MD5 suite) with a 32-byte key */
static int tlsdsk_hmac(const struct sa *s, const unsigned char *key, const char *m, size_t n,
		       unsigned char *out, unsigned *len)
{
	return HMAC(s->md5 ? EVP_md5() : EVP_sha1(), key, 32, (const unsigned char *)m, n, out, len)
		? 0 : -1;
}

static int sa_verify(struct sa *s, const char *m, size_t n, const unsigned char *sig, size_t len)
{
	if (s->scheme == SCHEME_KERBEROS)
		return krb_verify(s->kctx, m, n, sig, len);
	if (s->scheme == SCHEME_TLSDSK) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned ml = 0;
		return tlsdsk_hmac(s, s->ckey, m, n, mac, &ml) == 0 && ml == len &&
		       CRYPTO_memcmp(mac, sig, len) == 0 ? 0 : -1;
	}
	return ntlm_verify(s->ctx, m, n, sig, len);
}

static int sa_sign(struct sa *s, const char *m, size_t n, unsigned char *sig, size_t cap, size_t *len)
{
	if (s->scheme == SCHEME_KERBEROS)
		return krb_sign(s->kctx, m, n, sig, cap, len);
	if (s->scheme == SCHEME_TLSDSK) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned ml = 0;
		if (tlsdsk_hmac(s, s->skey, m, n, mac, &ml) < 0 || ml > cap)
			return -1;
		memcpy(sig, mac, ml);
		*len = ml;
		return 0;
	}
	if (cap < 16)
		return -1;
	*len = 16;
	return ntlm_sign(s->ctx, m, n, sig);
}

/* ---- the fields every signature covers ---- */

struct fields {
	struct sip_str callid, cseq_num, cseq_method, from_uri, from_tag, to_uri, to_tag,
		       pai_sip, pai_tel, expires;
};

static void pai(const struct sip_msg *m, struct fields *f)
{
	/* sip and tel URIs of P-Asserted-Identity (else P-Preferred-Identity) */
	const char *hn = sip_hdr(m, "P-Asserted-Identity", 0) ? "P-Asserted-Identity" : "P-Preferred-Identity";
	const struct sip_str *v;
	f->pai_sip = f->pai_tel = (struct sip_str){ "", 0 };
	for (int i = 0; (v = sip_hdr(m, hn, i)) != NULL; i++) {
		const char *p = v->p, *e = v->p + v->n;
		while (p < e) {
			const char *c = memchr(p, ',', (size_t)(e - p));
			struct sip_str u = sip_addr_uri((struct sip_str){ p, c ? (size_t)(c - p) : (size_t)(e - p) });
			if (f->pai_sip.n == 0 && u.n > 4 && (strncasecmp(u.p, "sip:", 4) == 0 || strncasecmp(u.p, "sips:", 5) == 0))
				f->pai_sip = u;
			else if (f->pai_tel.n == 0 && u.n > 4 && strncasecmp(u.p, "tel:", 4) == 0)
				f->pai_tel = u;
			p = c ? c + 1 : e;
		}
	}
}

static int fields_of(const struct sip_msg *m, struct fields *f)
{
	const struct sip_str *v;
	memset(f, 0, sizeof *f);
	if ((v = sip_hdr(m, "Call-ID", 0)) == NULL)
		return -1;
	f->callid = *v;
	if (sip_cseq(m, &f->cseq_num, &f->cseq_method) < 0)
		return -1;
	if ((v = sip_hdr(m, "From", 0)) == NULL)
		return -1;
	f->from_uri = sip_addr_uri(*v);
	f->from_tag = sip_addr_tag(*v);
	if ((v = sip_hdr(m, "To", 0)) == NULL)
		return -1;
	f->to_uri = sip_addr_uri(*v);
	f->to_tag = sip_addr_tag(*v);
	pai(m, f);
	v = sip_hdr(m, "Expires", 0);
	f->expires = v ? *v : (struct sip_str){ "", 0 };
	return 0;
}

/* [MS-SIPAE] 3.2.5.2 (version 3 and later; the server signs the same list,
 * 3.3.5.3): each value in angle brackets, as it appears in the message:
 * scheme, crand|srand, cnum|snum, realm, targetname, Call-ID, CSeq number,
 * CSeq method, From URI, From tag, To URI, To tag, P-Asserted-Identity sip
 * URI and tel URI, Expires, and the status code of a response.
 * Version 2 ([MS-SIP] 3.1.4.2): no To URI and no P-Asserted-Identity. */
static void signed_string(struct sbuf *s, int version, struct sip_str scheme, struct sip_str rnd,
			  struct sip_str num, struct sip_str realm, struct sip_str target,
			  const struct fields *f, int status)
{
	sb_printf(s, "<%.*s><%.*s><%.*s><%.*s><%.*s><%.*s><%.*s><%.*s><%.*s><%.*s>",
		  (int)scheme.n, scheme.p, (int)rnd.n, rnd.p, (int)num.n, num.p,
		  (int)realm.n, realm.p, (int)target.n, target.p, (int)f->callid.n, f->callid.p,
		  (int)f->cseq_num.n, f->cseq_num.p, (int)f->cseq_method.n, f->cseq_method.p,
		  (int)f->from_uri.n, f->from_uri.p, (int)f->from_tag.n, f->from_tag.p);
	if (version >= 3)
		sb_printf(s, "<%.*s><%.*s><%.*s><%.*s>", (int)f->to_uri.n, f->to_uri.p,
			  (int)f->to_tag.n, f->to_tag.p, (int)f->pai_sip.n, f->pai_sip.p,
			  (int)f->pai_tel.n, f->pai_tel.p);
	else
		sb_printf(s, "<%.*s>", (int)f->to_tag.n, f->to_tag.p);
	sb_printf(s, "<%.*s>", (int)f->expires.n, f->expires.p);
	if (status)
		sb_printf(s, "<%d>", status);
}

static struct sip_str S(const char *z) { return (struct sip_str){ z, strlen(z) }; }

/* ---- responses ---- */

struct reply {
	int status;
	const char *reason;
	char hdrs[16384];           /* extra header lines, CRLF-terminated (TLS-DSK's
				     * handshake with a certificate chain) */
	struct sbuf h;
	struct sa *sign;            /* sign with this SA (Authentication-Info) */
	const char *expires;        /* Expires header value, or NULL */
};

static void reply_init(struct reply *r, int status, const char *reason)
{
	memset(r, 0, sizeof *r);
	r->status = status;
	r->reason = reason;
	sb_init(&r->h, r->hdrs, sizeof r->hdrs);
}

/* a To tag of our own, stable for a Call-ID (32 hex digits, as OCS's) */
static void to_tag(struct sip_str callid, char out[33])
{
	static unsigned char secret[16];
	static int have;
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!have) {
		RAND_bytes(secret, sizeof secret);
		have = 1;
	}
	if (c == NULL || !EVP_DigestInit_ex(c, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(c, secret, sizeof secret) || !EVP_DigestUpdate(c, callid.p, callid.n) ||
	    !EVP_DigestFinal_ex(c, md, &mdlen))
		memset(md, 0x5a, sizeof md);
	EVP_MD_CTX_free(c);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02X", md[i]);
}

static int emit(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		struct reply *r, struct sbuf *out)
{
	const struct sip_str *v;
	const struct sip_str *to = sip_hdr(req, "To", 0);
	char tag[33], date[64];
	struct fields f;
	time_t now = time(NULL);
	struct tm tm;
	int add_tag;

	if (r->h.overflow || to == NULL || fields_of(req, &f) < 0)
		return -1;
	add_tag = sip_addr_tag(*to).n == 0 && r->status > 100;
	to_tag(f.callid, tag);
	if (add_tag)
		f.to_tag = S(tag);
	f.expires = r->expires ? S(r->expires) : (struct sip_str){ "", 0 };
	/* responses carry no P-Asserted-Identity of ours */
	f.pai_sip = f.pai_tel = (struct sip_str){ "", 0 };

	sb_printf(out, "SIP/2.0 %d %s\r\n", r->status, r->reason);
	for (int i = 0; (v = sip_hdr(req, "Via", i)) != NULL; i++) {
		sb_printf(out, "Via: ");
		sb_str(out, *v);
		sb_printf(out, "\r\n");
	}
	sb_printf(out, "From: ");
	sb_str(out, *sip_hdr(req, "From", 0));
	sb_printf(out, "\r\nTo: ");
	sb_str(out, *to);
	if (add_tag)
		sb_printf(out, ";tag=%s", tag);
	sb_printf(out, "\r\nCall-ID: ");
	sb_str(out, f.callid);
	sb_printf(out, "\r\nCSeq: ");
	sb_str(out, *sip_hdr(req, "CSeq", 0));
	/* [MS-SIPAE] 3.3.5.1: challenges carry Date (clients check the skew) */
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	sb_printf(out, "\r\nDate: %s\r\n", date);
	if (r->expires)
		sb_printf(out, "Expires: %s\r\n", r->expires);
	sb_printf(out, "%s", r->hdrs);
	if (r->sign != NULL) {
		struct sa *s = r->sign;
		char sigmem[4096], snum[16], srand_hex[9];
		unsigned char rb[4], sig[256];
		size_t siglen = 0;
		struct sbuf ss;
		if (RAND_bytes(rb, sizeof rb) != 1)
			return -1;
		snprintf(srand_hex, sizeof srand_hex, "%02X%02X%02X%02X", rb[0], rb[1], rb[2], rb[3]);
		snprintf(snum, sizeof snum, "%lu", ++s->snum);
		sb_init(&ss, sigmem, sizeof sigmem);
		signed_string(&ss, s->version, S(sa_scheme(s)), S(srand_hex), S(snum), S(cfg->realm),
			      S(s->target), &f, r->status);
		if (ss.overflow || sa_sign(s, ss.b, ss.n, sig, sizeof sig, &siglen) < 0 || siglen < 16)
			return -1;
		/* scenario bad-rspauth: one bit of the checksum (NTLM: bytes
		 * 4-11; a Kerberos MIC token ends with it) */
		if (cfg->bad_rspauth)
			sig[s->scheme == SCHEME_NTLM ? 8 : siglen - 1] ^= 0x01;
		sb_printf(out, "Authentication-Info: %s rspauth=\"", sa_scheme(s));
		sb_hex(out, sig, siglen, 1);
		sb_printf(out, "\", srand=\"%s\", snum=\"%s\", opaque=\"%s\", qop=\"auth\", "
			  "targetname=\"%s\", realm=\"%s\"\r\n", srand_hex, snum, s->opaque, s->target,
			  cfg->realm);
		(void)target;
	}
	sb_printf(out, "Server: phoneboot-lab-registrar (MS-SIPAE)\r\nContent-Length: 0\r\n\r\n");
	return out->overflow ? -1 : 0;
}

/* WWW-Authenticate for each offered scheme, [MS-SIPAE] 3.3.5.1 */
static void offer(const struct sipae_config *cfg, const char *target, struct sbuf *h)
{
	char ver[24] = "";
	if (cfg->version >= 3)
		snprintf(ver, sizeof ver, ", version=%d", cfg->version);
	if (cfg->schemes & SCHEME_NTLM)
		sb_printf(h, "WWW-Authenticate: NTLM realm=\"%s\", targetname=\"%s\"%s\r\n",
			  cfg->realm, target, ver);
	if ((cfg->schemes & SCHEME_KERBEROS) && krb_loaded())
		sb_printf(h, "WWW-Authenticate: Kerberos realm=\"%s\", targetname=\"sip/%s\"%s\r\n",
			  cfg->realm, target, ver);
	if (cfg->schemes & SCHEME_TLSDSK)
		sb_printf(h, "WWW-Authenticate: TLS-DSK realm=\"%s\", targetname=\"%s\"%s, sts-uri=\"%s\"\r\n",
			  cfg->realm, target, ver, cfg->sts_uri);
}

/* a warn-text (RFC 3261 20.43) holds no quote or control character */
static void warning(struct sbuf *h, const char *target, const char *text)
{
	sb_printf(h, "Warning: 399 %s \"", target);
	for (const char *p = text; *p && p - text < 400; p++)
		sb_printf(h, "%c", (*p == '"' || (unsigned char)*p < 0x20) ? '\'' : *p);
	sb_printf(h, "\"\r\n");
}

/* A fresh 401: no SA survives; why (when known) in a Warning. */
static int challenge(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		     struct sbuf *out, const char *why)
{
	struct reply r;
	reply_init(&r, 401, "Unauthorized");
	offer(cfg, target, &r.h);
	if (why != NULL)
		warning(&r.h, target, why);
	return emit(cfg, target, req, &r, out);
}

/* The final NTLM handshake failed: OCS answers a fresh 401 with
 * ms-diagnostics 1000 "Final handshake failed" (SIP_E_AUTH_UNAUTHORIZED:
 * an OCS 2007 R2 trace of a refused NTLM logon through the Edge, Microsoft
 * blog "Issue with Remote User Access for Clients using Windows XP and
 * Windows 2008 R2 Front Ends", 2010; Lync's form in Schertz, 2011). What the
 * domain controller said (NT status) is in a Warning: 399, a lab addition. */
static int refuse(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		  struct sbuf *out, const char *reason)
{
	struct reply r;
	reply_init(&r, 401, "Unauthorized");
	offer(cfg, target, &r.h);
	sb_printf(&r.h, "ms-diagnostics: 1000;reason=\"Final handshake failed\";"
		  "HRESULT=\"0xC3E93EC3(SIP_E_AUTH_UNAUTHORIZED)\";source=\"%s\"\r\n", target);
	if (reason != NULL && cfg->reason_warning)
		warning(&r.h, target, reason);
	return emit(cfg, target, req, &r, out);
}

static int simple(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		  struct sbuf *out, int status, const char *reason, const char *why)
{
	struct reply r;
	reply_init(&r, status, reason);
	if (why != NULL)
		warning(&r.h, target, why);
	return emit(cfg, target, req, &r, out);
}

/* ---- the authenticated request ---- */

static int served(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		  struct sa *s, struct sbuf *out, char *sum, size_t sumlen)
{
	struct reply r;
	const struct sip_str *from = sip_hdr(req, "From", 0);
	struct sip_str uri = sip_addr_uri(*from), fu = sip_uri_user(uri), fh = sip_uri_host(uri);
	const char *bs = strchr(s->user, '\\');
	char exp[16], au[256];
	/* DOMAIN\user, or a UPN (user@dns-domain) with an empty domain */
	snprintf(au, sizeof au, "%s", bs ? bs + 1 : s->user);
	if (strchr(au, '@') != NULL)
		*strchr(au, '@') = '\0';

	/* the From user must be the authenticated user ([MS-SIPAE] 3.3.5.2:
	 * the server binds the SA to the From address-of-record) */
	if (!sip_strcaseeq(fu, au) || !sip_strcaseeq(fh, cfg->domain)) {
		char why[512];
		snprintf(why, sizeof why, "authenticated as %s, not as the From user %.*s",
			 s->user, (int)uri.n, uri.p);
		reply_init(&r, 403, "Forbidden");
		warning(&r.h, target, why);
		r.sign = s;
		snprintf(sum, sumlen, "403 (%s)", why);
		return emit(cfg, target, req, &r, out);
	}
	if (sip_streq(req->method, "REGISTER")) {
		const struct sip_str *e = sip_hdr(req, "Expires", 0), *ct = sip_hdr(req, "Contact", 0);
		long want = cfg->max_expires;
		if (cfg->redirect) {
			/* a Director's answer: to the home pool, after authentication */
			reply_init(&r, 302, "Moved Temporarily");
			sb_printf(&r.h, "Contact: <%s>\r\n", cfg->redirect);
			r.sign = s;
			snprintf(sum, sumlen, "302 to %s (%s)", cfg->redirect, s->user);
			return emit(cfg, target, req, &r, out);
		}
		if (e != NULL) {
			struct sip_str t = sip_trim(*e);
			want = 0;
			for (size_t i = 0; i < t.n && i < 9; i++)
				want = (t.p[i] >= '0' && t.p[i] <= '9') ? want * 10 + (t.p[i] - '0') : cfg->max_expires;
		}
		if (want > cfg->max_expires)
			want = cfg->max_expires;
		snprintf(exp, sizeof exp, "%ld", want);
		reply_init(&r, 200, "OK");
		if (ct != NULL && want > 0) {
			struct sip_str c = sip_addr_uri(*ct);
			sb_printf(&r.h, "Contact: <%.*s>;expires=%ld\r\n", (int)c.n, c.p, want);
		}
		r.expires = exp;
		r.sign = s;
		snprintf(sum, sumlen, "200 registered %s for %ld s", s->user, want);
		return emit(cfg, target, req, &r, out);
	}
	if (sip_streq(req->method, "OPTIONS")) {
		reply_init(&r, 200, "OK");
		r.sign = s;
		snprintf(sum, sumlen, "200 (OPTIONS, %s)", s->user);
		return emit(cfg, target, req, &r, out);
	}
	reply_init(&r, 501, "Not Implemented");
	r.sign = s;
	snprintf(sum, sumlen, "501 (%.*s)", (int)req->method.n, req->method.p);
	return emit(cfg, target, req, &r, out);
}

/* the request's own signature: crand, cnum, response over its fields */
static int check_signature(const struct sip_msg *req, const struct sip_auth *a, struct sa *s,
			   int version, const char **why)
{
	const struct sip_str *crand = sip_auth_param(a, "crand"), *cnum = sip_auth_param(a, "cnum"),
			     *resp = sip_auth_param(a, "response");
	struct fields f;
	char mem[4096];
	struct sbuf ss;
	unsigned char sig[256];
	long siglen;
	unsigned long n = 0;

	if (crand == NULL || cnum == NULL || resp == NULL) {
		*why = "the request is not signed (crand, cnum, response)";
		return -1;
	}
	for (size_t i = 0; i < cnum->n; i++) {
		if (cnum->p[i] < '0' || cnum->p[i] > '9' || i > 8) {
			*why = "cnum is not a number";
			return -1;
		}
		n = n * 10 + (unsigned long)(cnum->p[i] - '0');
	}
	if (n <= s->last_cnum) {
		*why = "cnum does not increase (replayed request?)";
		return -1;
	}
	if (fields_of(req, &f) < 0) {
		*why = "a header the signature covers is missing";
		return -1;
	}
	sb_init(&ss, mem, sizeof mem);
	signed_string(&ss, version, a->scheme, *crand, *cnum, *sip_auth_param(a, "realm"),
		      *sip_auth_param(a, "targetname"), &f, 0);
	siglen = hex_decode(*resp, sig, sizeof sig);
	if (ss.overflow || siglen < 0 || sa_verify(s, ss.b, ss.n, sig, (size_t)siglen) < 0) {
		*why = "the request's signature (response) does not verify";
		return -1;
	}
	s->last_cnum = n;
	return 0;
}

static int client_version(const struct sip_auth *a, int offered)
{
	const struct sip_str *v = sip_auth_param(a, "version");
	int n = 2;          /* no version parameter: [MS-SIP] (version 2) */
	if (v != NULL && v->n == 1 && v->p[0] >= '2' && v->p[0] <= '9')
		n = v->p[0] - '0';
	return n < offered ? n : offered;
}

/* step 4: a request on an established SA (either scheme) */
static int on_sa(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		 const struct sip_auth *a, unsigned scheme, struct sbuf *out, char *sum, size_t sumlen)
{
	const struct sip_str *op = sip_auth_param(a, "opaque");
	const char *why = NULL;
	struct sa *s;
	if (op == NULL || (s = sa_find(*op, 2)) == NULL || s->scheme != scheme) {
		snprintf(sum, sumlen, "401 (no SA for opaque %.*s)", op ? (int)op->n : 0, op ? op->p : "");
		return challenge(cfg, target, req, out, "no security association for this opaque");
	}
	if (check_signature(req, a, s, s->version, &why) < 0) {
		snprintf(sum, sumlen, "401 (%s)", why);
		return challenge(cfg, target, req, out, why);
	}
	s->used = time(NULL);
	return served(cfg, target, req, s, out, sum, sumlen);
}

static int ntlm(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		const struct sip_auth *a, struct sbuf *out, char *sum, size_t sumlen)
{
	const struct sip_str *gd = sip_auth_param(a, "gssapi-data"), *op = sip_auth_param(a, "opaque");
	const char *why = NULL;
	int version = client_version(a, cfg->version);
	struct sa *s;
	char err[512];

	if (gd != NULL && gd->n == 0) {
		/* step 2: the CHALLENGE_MESSAGE */
		unsigned char tok[MAX_TOKEN];
		char b64[MAX_TOKEN * 2];
		size_t n;
		struct reply r;
		if ((s = sa_new()) == NULL || ntlm_challenge(&s->ctx, tok, sizeof tok, &n, err, sizeof err) < 0 || n < 32) {
			if (s != NULL)
				sa_free(s);
			snprintf(sum, sumlen, "500 (gss-ntlmssp: %s)", err);
			return simple(cfg, target, req, out, 500, "Server Internal Error", "gss-ntlmssp gave no CHALLENGE_MESSAGE");
		}
		s->state = 1;
		s->scheme = SCHEME_NTLM;
		snprintf(s->target, sizeof s->target, "%s", target);
		memcpy(s->challenge, tok + 24, 8);      /* MS-NLMP 2.2.1.2 ServerChallenge */
		b64_encode(tok, n, b64, sizeof b64);
		reply_init(&r, 401, "Unauthorized");
		sb_printf(&r.h, "WWW-Authenticate: NTLM opaque=\"%s\", gssapi-data=\"%s\", targetname=\"%s\", "
			  "realm=\"%s\"", s->opaque, b64, target, cfg->realm);
		if (cfg->version >= 3)
			sb_printf(&r.h, ", version=%d", cfg->version);
		sb_printf(&r.h, "\r\n");
		snprintf(sum, sumlen, "401 NTLM CHALLENGE, opaque %s", s->opaque);
		return emit(cfg, target, req, &r, out);
	}
	if (op == NULL) {
		snprintf(sum, sumlen, "401 (NTLM credentials without opaque)");
		return challenge(cfg, target, req, out, "NTLM credentials without opaque");
	}
	if (gd != NULL) {
		/* step 3: the AUTHENTICATE_MESSAGE */
		unsigned char tok[MAX_TOKEN];
		long n;
		char user[256], nt[128], text[256], reason[512];
		if ((s = sa_find(*op, 1)) == NULL) {
			snprintf(sum, sumlen, "401 (no pending SA for opaque %.*s)", (int)op->n, op->p);
			return challenge(cfg, target, req, out, "no security association for this opaque");
		}
		n = b64_decode(*gd, tok, sizeof tok);
		if (n <= 0) {
			sa_free(s);
			snprintf(sum, sumlen, "401 (gssapi-data is not base64)");
			return challenge(cfg, target, req, out, "gssapi-data is not base64");
		}
		if (ntlm_accept(s->ctx, tok, (size_t)n, user, sizeof user, err, sizeof err) < 0) {
			if (ntlm_refusal_reason(tok, (size_t)n, s->challenge, nt, sizeof nt, text, sizeof text) == 0)
				snprintf(reason, sizeof reason, "%s: %s", nt, text);
			else
				snprintf(reason, sizeof reason, "gss-ntlmssp: %s (%s)", err, text);
			sa_free(s);
			snprintf(sum, sumlen, "401 final handshake failed (%s)", reason);
			return refuse(cfg, target, req, out, reason);
		}
		s->state = 2;
		s->version = version;
		s->used = time(NULL);
		snprintf(s->user, sizeof s->user, "%s", user);
		/* version 4: the request that carries the AUTHENTICATE_MESSAGE is
		 * signed too (as OC 2007 R2 does against OCS 2007 R2) */
		if (sip_auth_param(a, "response") != NULL || version >= 4) {
			if (check_signature(req, a, s, version, &why) < 0) {
				snprintf(sum, sumlen, "401 (%s; authenticated %s)", why, user);
				sa_free(s);
				return challenge(cfg, target, req, out, why);
			}
		}
		return served(cfg, target, req, s, out, sum, sumlen);
	}
	return on_sa(cfg, target, req, a, SCHEME_NTLM, out, sum, sumlen);
}

/* Kerberos: the AP-REQ (one leg), then as NTLM's steps 3 and 4 */
static int kerberos(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		    const struct sip_auth *a, struct sbuf *out, char *sum, size_t sumlen)
{
	const struct sip_str *gd = sip_auth_param(a, "gssapi-data");
	const char *why = NULL;
	int version = client_version(a, cfg->version);
	unsigned char tok[MAX_TOKEN * 3], aprep[MAX_TOKEN];
	size_t aplen = 0;
	char err[512], user[256], reason[600];
	struct sa *s;
	long n;

	if (gd == NULL)
		return on_sa(cfg, target, req, a, SCHEME_KERBEROS, out, sum, sumlen);
	if (gd->n == 0) {
		snprintf(sum, sumlen, "401 (Kerberos with an empty gssapi-data)");
		return challenge(cfg, target, req, out, "Kerberos credentials carry the AP-REQ in gssapi-data (it is empty)");
	}
	n = b64_decode(*gd, tok, sizeof tok);
	if (n <= 0) {
		snprintf(sum, sumlen, "401 (gssapi-data is not base64)");
		return challenge(cfg, target, req, out, "gssapi-data is not base64");
	}
	if ((s = sa_new()) == NULL) {
		snprintf(sum, sumlen, "500 (no security association)");
		return simple(cfg, target, req, out, 500, "Server Internal Error", "no security association");
	}
	if (krb_accept(&s->kctx, tok, (size_t)n, aprep, sizeof aprep, &aplen, user, sizeof user,
		       err, sizeof err) < 0) {
		sa_free(s);
		snprintf(reason, sizeof reason, "Kerberos: %s", err);
		snprintf(sum, sumlen, "401 final handshake failed (%s)", reason);
		return refuse(cfg, target, req, out, reason);
	}
	s->state = 2;
	s->scheme = SCHEME_KERBEROS;
	s->version = version;
	s->used = time(NULL);
	snprintf(s->target, sizeof s->target, "sip/%s", target);
	snprintf(s->user, sizeof s->user, "%s", user);
	if (sip_auth_param(a, "response") != NULL) {
		/* one round trip: the AP-REQ's request is signed */
		if (check_signature(req, a, s, version, &why) < 0) {
			snprintf(sum, sumlen, "401 (%s; authenticated %s)", why, user);
			sa_free(s);
			return challenge(cfg, target, req, out, why);
		}
		return served(cfg, target, req, s, out, sum, sumlen);
	}
	/* unsigned: the SA is ours; the client signs its next request with
	 * this opaque (and checks our AP-REP first, when it asked for one) */
	{
		struct reply r;
		char b64[MAX_TOKEN * 2];
		reply_init(&r, 401, "Unauthorized");
		sb_printf(&r.h, "WWW-Authenticate: Kerberos opaque=\"%s\"", s->opaque);
		if (aplen) {
			b64_encode(aprep, aplen, b64, sizeof b64);
			sb_printf(&r.h, ", gssapi-data=\"%s\"", b64);
		}
		sb_printf(&r.h, ", targetname=\"%s\", realm=\"%s\"", s->target, cfg->realm);
		if (cfg->version >= 3)
			sb_printf(&r.h, ", version=%d", cfg->version);
		sb_printf(&r.h, "\r\n");
		snprintf(sum, sumlen, "401 Kerberos accepted (%s), opaque %s%s; awaiting a signed request",
			 user, s->opaque, aplen ? ", AP-REP" : "");
		return emit(cfg, target, req, &r, out);
	}
}

/* ---- TLS-DSK ([MS-SIPAE]; docs/tls-dsk.md): a TLS handshake in gssapi-data,
 * on memory BIOs with this listener's certificate, the client's
 * certificate from the lab's CertProv CA naming the user (CN=user@domain);
 * then the keys of the EAP-TLS key block: the client signs with bytes
 * 64..95, we with 96..127 ---- */

/* What our side of the handshake wrote, as a 401 with opaque and
 * gssapi-data; extra (may be NULL) adds a refusal's headers. */
static int tlsdsk_401(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		      struct sa *s, struct sbuf *out, const char *extra)
{
	BIO *w = SSL_get_wbio(s->ssl);
	char *p = NULL;
	long n = BIO_get_mem_data(w, &p);
	static char b64[MAX_TOKEN * 8];
	struct reply r;

	if (n < 0 || (size_t)n * 4 / 3 + 8 > sizeof b64)
		return -1;
	b64_encode((const unsigned char *)p, (size_t)n, b64, sizeof b64);
	(void)BIO_reset(w);
	reply_init(&r, 401, "Unauthorized");
	sb_printf(&r.h, "WWW-Authenticate: TLS-DSK opaque=\"%s\", gssapi-data=\"%s\", targetname=\"%s\", "
		  "realm=\"%s\"", s->opaque, b64, target, cfg->realm);
	if (cfg->version >= 3)
		sb_printf(&r.h, ", version=%d", cfg->version);
	sb_printf(&r.h, "\r\n%s", extra ? extra : "");
	return emit(cfg, target, req, &r, out);
}

/* the user a client certificate names: its CN (the sign-in address) */
static int cert_user(SSL *ssl, char *user, size_t cap)
{
	X509 *x = SSL_get0_peer_certificate(ssl);
	return x && X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, user,
					      (int)cap) > 0 ? 0 : -1;
}

static int tlsdsk(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		  const struct sip_auth *a, struct sbuf *out, char *sum, size_t sumlen)
{
	const struct sip_str *gd = sip_auth_param(a, "gssapi-data"), *op = sip_auth_param(a, "opaque");
	static unsigned char tok[MAX_TOKEN * 4];
	char why[600];
	struct sa *s;
	long n;
	int r;

	if (gd == NULL)
		return on_sa(cfg, target, req, a, SCHEME_TLSDSK, out, sum, sumlen);
	if (cfg->tlsdsk_ctx == NULL) {
		snprintf(sum, sumlen, "401 (TLS-DSK without a client CA)");
		return challenge(cfg, target, req, out, "TLS-DSK is offered, but this registrar "
				 "was started without --client-ca");
	}
	n = b64_decode(*gd, tok, sizeof tok);
	if (n <= 0) {
		snprintf(sum, sumlen, "401 (gssapi-data is not base64)");
		return challenge(cfg, target, req, out, "gssapi-data is not base64");
	}
	if (op == NULL) {
		/* the ClientHello: a new association */
		if ((s = sa_new()) == NULL || (s->ssl = SSL_new(cfg->tlsdsk_ctx)) == NULL) {
			if (s != NULL)
				sa_free(s);
			snprintf(sum, sumlen, "500 (no TLS-DSK association)");
			return simple(cfg, target, req, out, 500, "Server Internal Error", "no TLS-DSK association");
		}
		SSL_set_bio(s->ssl, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
		SSL_set_accept_state(s->ssl);
		s->state = 1;
		s->scheme = SCHEME_TLSDSK;
		s->version = client_version(a, cfg->version);
		snprintf(s->target, sizeof s->target, "%s", target);
	} else if ((s = sa_find(*op, 1)) == NULL || s->scheme != SCHEME_TLSDSK) {
		snprintf(sum, sumlen, "401 (no pending TLS-DSK SA for opaque %.*s)", (int)op->n, op->p);
		return challenge(cfg, target, req, out, "no security association for this opaque");
	}
	s->used = time(NULL);
	ERR_clear_error();
	if (BIO_write(SSL_get_rbio(s->ssl), tok, (int)n) != (int)n)
		r = -1;
	else
		r = SSL_do_handshake(s->ssl);
	if (r == 1) {
		static const char label[] = "client EAP encryption";
		unsigned char block[128];
		const SSL_CIPHER *c = SSL_get_current_cipher(s->ssl);
		const char *at;
		if (cert_user(s->ssl, s->user, sizeof s->user) < 0 ||
		    (at = strchr(s->user, '@')) == NULL || strcasecmp(at + 1, cfg->domain) != 0) {
			snprintf(why, sizeof why, "TLS-DSK: the certificate names %s, no user of %s",
				 s->user[0] ? s->user : "nobody", cfg->domain);
			snprintf(sum, sumlen, "401 final handshake failed (%s)", why);
			sa_free(s);
			return refuse(cfg, target, req, out, why);
		}
		if (SSL_export_keying_material(s->ssl, block, sizeof block, label, sizeof label - 1,
					       NULL, 0, 0) != 1) {
			sa_free(s);
			snprintf(sum, sumlen, "401 final handshake failed (TLS-DSK: no keys)");
			return refuse(cfg, target, req, out, "TLS-DSK: the session's keys could not be had");
		}
		memcpy(s->ckey, block + 64, 32);
		memcpy(s->skey, block + 96, 32);
		OPENSSL_cleanse(block, sizeof block);
		s->md5 = c != NULL && SSL_CIPHER_get_digest_nid(c) == NID_md5;
		s->state = 2;       /* the client signs its next request on this opaque */
		snprintf(sum, sumlen, "401 TLS-DSK handshake done (%s, %s), opaque %s; awaiting a signed request",
			 s->user, SSL_get_version(s->ssl), s->opaque);
		if (tlsdsk_401(cfg, target, req, s, out, NULL) == 0)
			return 0;
		sa_free(s);         /* an answer too large to send: nothing left behind */
		return -1;
	}
	if (SSL_get_error(s->ssl, r) == SSL_ERROR_WANT_READ && op == NULL) {
		snprintf(sum, sumlen, "401 TLS-DSK ServerHello, opaque %s", s->opaque);
		if (tlsdsk_401(cfg, target, req, s, out, NULL) == 0)
			return 0;
		sa_free(s);
		return -1;
	}
	{
		/* refused: the alert goes back in gssapi-data, and OCS's
		 * "Final handshake failed" with why */
		unsigned long e = ERR_peek_last_error();
		char extra[900];
		struct sbuf h;
		int rc;
		snprintf(why, sizeof why, "TLS-DSK: %s", e ? ERR_reason_error_string(e) : "the handshake did not end");
		sb_init(&h, extra, sizeof extra);
		sb_printf(&h, "ms-diagnostics: 1000;reason=\"Final handshake failed\";"
			  "HRESULT=\"0xC3E93EC3(SIP_E_AUTH_UNAUTHORIZED)\";source=\"%s\"\r\n", target);
		if (cfg->reason_warning)
			warning(&h, target, why);
		ERR_clear_error();
		snprintf(sum, sumlen, "401 final handshake failed (%s)", why);
		rc = tlsdsk_401(cfg, target, req, s, out, h.overflow ? NULL : extra);
		sa_free(s);
		return rc;
	}
}

int sipae_handle(const struct sipae_config *cfg, const char *target, const struct sip_msg *req,
		 struct sbuf *out, char *sum, size_t sumlen)
{
	struct sip_auth a;
	const struct sip_auth *use = NULL;
	const struct sip_str *v;
	struct fields f;
	unsigned scheme = 0;
	char why[256];

	snprintf(sum, sumlen, "-");
	if (!req->request || sip_streq(req->method, "ACK"))
		return 0;
	if (sip_hdr(req, "Via", 0) == NULL || fields_of(req, &f) < 0 || f.from_uri.n == 0) {
		/* no Via, From, To, Call-ID or a CSeq to answer with: dropped */
		snprintf(sum, sumlen, "dropped (malformed Via, From, To, Call-ID or CSeq)");
		return 0;
	}
	if (sip_streq(req->method, "CANCEL"))
		return 0;       /* [MS-SIPAE] 3.3.5.1: ACK and CANCEL are discarded */
	/* the first credentials for a scheme we offer, in our realm and for
	 * this target; other credentials are ignored (3.3.5.1) */
	for (int k = 0; k < 2 && use == NULL; k++) {
		const char *hn = k ? "Proxy-Authorization" : "Authorization";
		for (int i = 0; (v = sip_hdr(req, hn, i)) != NULL && use == NULL; i++) {
			const struct sip_str *rl, *tn;
			unsigned sc;
			if (sip_auth_parse(*v, &a) < 0)
				continue;
			sc = sip_strcaseeq(a.scheme, "NTLM") ? SCHEME_NTLM :
			     sip_strcaseeq(a.scheme, "Kerberos") ? SCHEME_KERBEROS :
			     sip_strcaseeq(a.scheme, "TLS-DSK") ? SCHEME_TLSDSK : 0;
			rl = sip_auth_param(&a, "realm");
			tn = sip_auth_param(&a, "targetname");
			if (sc == SCHEME_KERBEROS && !krb_loaded())
				sc = 0;
			if (!(sc & cfg->schemes) || rl == NULL || tn == NULL || !sip_streq(*rl, cfg->realm))
				continue;
			if (sc == SCHEME_KERBEROS ? !(tn->n == strlen(target) + 4 &&
						      strncasecmp(tn->p, "sip/", 4) == 0 &&
						      strncasecmp(tn->p + 4, target, strlen(target)) == 0)
						  : !sip_strcaseeq(*tn, target))
				continue;
			use = &a;
			scheme = sc;
		}
	}
	if (use == NULL) {
		snprintf(sum, sumlen, "401 challenge");
		return challenge(cfg, target, req, out, NULL) == 0;
	}
	if (scheme == SCHEME_NTLM)
		return ntlm(cfg, target, req, use, out, sum, sumlen) == 0;
	if (scheme == SCHEME_KERBEROS)
		return kerberos(cfg, target, req, use, out, sum, sumlen) == 0;
	if (scheme == SCHEME_TLSDSK)
		return tlsdsk(cfg, target, req, use, out, sum, sumlen) == 0;
	snprintf(why, sizeof why, "scheme %d is not verified here", (int)scheme);
	snprintf(sum, sumlen, "401 (%s)", why);
	return challenge(cfg, target, req, out, why) == 0;
}
