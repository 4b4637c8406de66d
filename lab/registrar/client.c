/* sipae-client: an independent MS-SIPAE client for the lab's checks.
 * NTLM is gss-ntlmssp as initiator (through MIT's mechglue: the plugin's
 * /etc/gss/mech.d entry); Kerberos (--kerberos) is MIT's krb5 mechanism,
 * credentials from the password (gss_acquire_cred_with_password, AS-REQ)
 * in a private MEMORY ccache, never kinit or the host's ccache; the KDC is
 * the one $KRB5_CONFIG names (the lab's krb5.conf). Nothing here is
 * phoneboot's code. It does the whole REGISTER dance of [MS-SIPAE] 4.1
 * (NTLM) or 4.2 (Kerberos) over TLS and checks the server's rspauth, then
 * prints what it saw, one fact a line:
 *
 *   offered=NTLM,Kerberos          schemes of the first 401
 *   final=200                      status of the REGISTER that carried the AUTHENTICATE
 *   rspauth=ok|bad|none            the server's signature on that answer
 *   diagnostics=...  warning=...   ms-diagnostics and Warning of that answer
 *   second=200 rspauth=ok          (--second) a signed REGISTER on the same SA
 *   tampered=401                   (--tamper) a REGISTER whose signature is wrong
 *   Kerberos only:
 *   krb_error=STAGE: TEXT          the KDC or MIT refused: STAGE as (AS-REQ,
 *                                  the password), tgs (the service ticket for
 *                                  targetname), ap-rep (the server's AP-REP)
 *   krb_legs=1|2                   1: the AP-REQ's REGISTER was answered 200;
 *                                  2: 401 with opaque first (then signed)
 *   ap_rep=yes|no                  that 401 carried an AP-REP (--mutual)
 *   replayed=401 warning=...       (--replay) the first AP-REQ sent once more
 *
 *   sipae-client HOST PORT USER [--domain corp.example] [--ntlm-domain CORP]
 *                [--from USER] [--version 3|4] [--ca PEM] [--tls10]
 *                [--second] [--tamper] [--timeout S] [--trace]
 *                [--kerberos [--realm CORP.EXAMPLE] [--mutual] [--replay]]
 * The password comes from $SIPAE_PASSWORD. Exit 0 when the dance ran to
 * its end (whatever the verdicts), 1 when it could not. */
#include "sipmsg.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <gssapi/gssapi_ntlmssp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

static gss_OID_desc ntlm_oid = { GSS_NTLMSSP_OID_LENGTH, GSS_NTLMSSP_OID_STRING };
static gss_OID_desc seq_oid = { GSS_NTLMSSP_SET_SEQ_NUM_OID_LENGTH, GSS_NTLMSSP_SET_SEQ_NUM_OID_STRING };

static SSL *ssl;
static char rbuf[65536];
static size_t rlen;
static char cur[65536];         /* the last response, as parsed */
static struct sip_msg resp;
static char local[64], callid[64], ftag[16];
static const char *domain = "corp.example", *user, *from_user;
static int cseq, kerberos;      /* the scheme of this run: NTLM, or Kerberos */
static int replay;              /* --replay: send the AP-REQ once more at the end */
static int trace;               /* --trace: every message sent and received on stderr */

static int die(const char *what)
{
	fprintf(stderr, "sipae-client: %s\n", what);
	ERR_print_errors_fp(stderr);
	return 1;
}

static int recv_msg(void)
{
	for (;;) {
		int r;
		if (rlen) {
			r = sip_parse(rbuf, rlen, &resp);
			if (r < 0)
				return -1;
			if (r == 1) {
				/* keep a stable copy: the buffer moves on */
				memcpy(cur, rbuf, resp.size);
				sip_parse(cur, resp.size, &resp);
				if (trace)
					fprintf(stderr, "<<<\n%.*s", (int)resp.size, cur);
				memmove(rbuf, rbuf + resp.size, rlen - resp.size);
				rlen -= resp.size;
				return 0;
			}
		}
		if (rlen == sizeof rbuf)
			return -1;
		r = SSL_read(ssl, rbuf + rlen, (int)(sizeof rbuf - rlen));
		if (r <= 0)
			return -1;
		rlen += (size_t)r;
	}
}

struct sigfields { char scheme[16], rnd[16], num[16], realm[128], target[256]; };

/* the [MS-SIPAE] 3.2.5.2 string, built from the message text itself */
static void signed_string(struct sbuf *s, const struct sip_msg *m, const struct sigfields *f, int version)
{
	const struct sip_str *fr = sip_hdr(m, "From", 0), *to = sip_hdr(m, "To", 0),
			     *ci = sip_hdr(m, "Call-ID", 0), *ex = sip_hdr(m, "Expires", 0);
	struct sip_str num, meth, fu = sip_addr_uri(*fr), ft = sip_addr_tag(*fr),
		       tu = sip_addr_uri(*to), tt = sip_addr_tag(*to);
	sip_cseq(m, &num, &meth);
	sb_printf(s, "<%s><%s><%s><%s><%s>", f->scheme, f->rnd, f->num, f->realm, f->target);
	sb_printf(s, "<%.*s><%.*s><%.*s><%.*s><%.*s>", (int)ci->n, ci->p, (int)num.n, num.p,
		  (int)meth.n, meth.p, (int)fu.n, fu.p, (int)ft.n, ft.p);
	if (version >= 3)
		sb_printf(s, "<%.*s><%.*s><><>", (int)tu.n, tu.p, (int)tt.n, tt.p);
	else
		sb_printf(s, "<%.*s>", (int)tt.n, tt.p);
	sb_printf(s, "<%.*s>", ex ? (int)ex->n : 0, ex ? ex->p : "");
	if (!m->request)
		sb_printf(s, "<%d>", m->status);
}

/* REGISTER with an optional Authorization (auth) */
static int send_register(const char *auth_fmt_done)
{
	char mem[16384];
	struct sbuf s;
	unsigned char br[6];
	sb_init(&s, mem, sizeof mem);
	RAND_bytes(br, sizeof br);
	sb_printf(&s, "REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/TLS %s;branch=z9hG4bK%02x%02x%02x%02x%02x%02x\r\n"
		  "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=%s;epid=1a2b3c4d5e\r\nTo: <sip:%s@%s>\r\n"
		  "Call-ID: %s\r\nCSeq: %d REGISTER\r\nContact: <sip:%s;transport=tls>;methods=\"INVITE, MESSAGE, INFO, OPTIONS, BYE, CANCEL, NOTIFY, ACK, REFER, BENOTIFY\";proxy=replace\r\n"
		  "User-Agent: phoneboot-lab sipae-client\r\nExpires: 600\r\n",
		  domain, local, br[0], br[1], br[2], br[3], br[4], br[5], from_user, domain, ftag,
		  from_user, domain, callid, ++cseq, local);
	if (auth_fmt_done)
		sb_printf(&s, "Authorization: %s\r\n", auth_fmt_done);
	sb_printf(&s, "Content-Length: 0\r\n\r\n");
	if (s.overflow)
		return -1;
	if (trace)
		fprintf(stderr, ">>>\n%.*s", (int)s.n, s.b);
	return SSL_write(ssl, s.b, (int)s.n) == (int)s.n ? 0 : -1;
}

/* the request we are about to send, as a parsed message, for signing */
static int sign_request(gss_ctx_id_t ctx, const struct sigfields *f, int version, char *hex, size_t hexlen)
{
	char mem[4096], sig[4096];
	struct sbuf s, ss;
	struct sip_msg m;
	OM_uint32 maj, min;
	uint32_t seq = 100;
	gss_buffer_desc sv = { sizeof seq, &seq }, msg, mic = { 0, NULL };
	sb_init(&s, mem, sizeof mem);
	sb_printf(&s, "REGISTER sip:%s SIP/2.0\r\nFrom: <sip:%s@%s>;tag=%s;epid=1a2b3c4d5e\r\n"
		  "To: <sip:%s@%s>\r\nCall-ID: %s\r\nCSeq: %d REGISTER\r\nExpires: 600\r\n\r\n",
		  domain, from_user, domain, ftag, from_user, domain, callid, cseq + 1);
	if (s.overflow || sip_parse(s.b, s.n, &m) != 1)
		return -1;
	sb_init(&ss, sig, sizeof sig);
	signed_string(&ss, &m, f, version);
	msg.length = ss.n;
	msg.value = ss.b;
	/* NTLM: MS-SIPAE signs with sequence number 100; Kerberos MICs carry
	 * their own sequence numbers */
	if (!kerberos && gss_set_sec_context_option(&min, &ctx, &seq_oid, &sv) != GSS_S_COMPLETE)
		return -1;
	maj = gss_get_mic(&min, ctx, 0, &msg, &mic);
	if (maj != GSS_S_COMPLETE)
		return -1;
	{
		struct sbuf h;
		sb_init(&h, hex, hexlen);
		sb_hex(&h, mic.value, mic.length, 0);
	}
	gss_release_buffer(&min, &mic);
	return 0;
}

/* the server's rspauth on the current response: ok, bad or none */
static const char *check_rspauth(gss_ctx_id_t ctx, int version)
{
	const struct sip_str *ai = sip_hdr(&resp, "Authentication-Info", 0);
	struct sip_auth a;
	struct sigfields f;
	const struct sip_str *rs, *sr, *sn, *rl, *tn;
	unsigned char sig[256];
	long n;
	char mem[4096];
	struct sbuf s;
	OM_uint32 min;
	uint32_t seq = 100;
	gss_buffer_desc sv = { sizeof seq, &seq }, msg, mic;

	if (ai == NULL || sip_auth_parse(*ai, &a) < 0)
		return "none";
	rs = sip_auth_param(&a, "rspauth"); sr = sip_auth_param(&a, "srand");
	sn = sip_auth_param(&a, "snum"); rl = sip_auth_param(&a, "realm");
	tn = sip_auth_param(&a, "targetname");
	if (!rs || !sr || !sn || !rl || !tn || sr->n >= 16 || sn->n >= 16 || rl->n >= 128 || tn->n >= 256)
		return "bad";
	memset(&f, 0, sizeof f);
	snprintf(f.scheme, sizeof f.scheme, "%.*s", (int)a.scheme.n, a.scheme.p);
	snprintf(f.rnd, sizeof f.rnd, "%.*s", (int)sr->n, sr->p);
	snprintf(f.num, sizeof f.num, "%.*s", (int)sn->n, sn->p);
	snprintf(f.realm, sizeof f.realm, "%.*s", (int)rl->n, rl->p);
	snprintf(f.target, sizeof f.target, "%.*s", (int)tn->n, tn->p);
	sb_init(&s, mem, sizeof mem);
	signed_string(&s, &resp, &f, version);
	n = hex_decode(*rs, sig, sizeof sig);
	if (n < 0 || s.overflow)
		return "bad";
	msg.length = s.n; msg.value = s.b;
	mic.length = (size_t)n; mic.value = sig;
	if (!kerberos && gss_set_sec_context_option(&min, &ctx, &seq_oid, &sv) != GSS_S_COMPLETE)
		return "bad";
	return GSS_ERROR(gss_verify_mic(&min, ctx, &msg, &mic, NULL)) ? "bad" : "ok";
}

static void print_hdr(const char *key, const char *name)
{
	const struct sip_str *v = sip_hdr(&resp, name, 0);
	if (v != NULL)
		printf("%s=%.*s\n", key, (int)v->n, v->p);
}

/* the mechanism's words for a GSS failure (the minor status when there is
 * one: "Preauthentication failed", "Server not found in Kerberos database") */
static void gss_text(OM_uint32 maj, OM_uint32 min, char *out, size_t cap)
{
	OM_uint32 m2, mc = 0;
	gss_buffer_desc b = { 0, NULL };
	if (min != 0)
		gss_display_status(&m2, min, GSS_C_MECH_CODE, (gss_OID)gss_mech_krb5, &mc, &b);
	else
		gss_display_status(&m2, maj, GSS_C_GSS_CODE, GSS_C_NO_OID, &mc, &b);
	snprintf(out, cap, "%.*s", (int)b.length, b.value ? (char *)b.value : "?");
	gss_release_buffer(&m2, &b);
}

static void fill(struct sigfields *f, const char *scheme, const char *rnd, int num,
		 const char *realm, const char *target)
{
	memset(f, 0, sizeof *f);
	snprintf(f->scheme, sizeof f->scheme, "%s", scheme);
	snprintf(f->rnd, sizeof f->rnd, "%s", rnd);
	snprintf(f->num, sizeof f->num, "%d", num);
	snprintf(f->realm, sizeof f->realm, "%s", realm);
	snprintf(f->target, sizeof f->target, "%s", target);
}

static void new_crand(char crand[16])
{
	unsigned char r[4];
	RAND_bytes(r, sizeof r);
	snprintf(crand, 16, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
}

/* opaque of this response's Kerberos WWW-Authenticate or Authentication-Info,
 * and its gssapi-data (AP-REP) when asked */
static int krb_param(const char *hdr, const char *name, char *out, size_t cap)
{
	const struct sip_str *v;
	for (int i = 0; (v = sip_hdr(&resp, hdr, i)) != NULL; i++) {
		struct sip_auth a;
		const struct sip_str *p;
		if (sip_auth_parse(*v, &a) < 0 || !sip_strcaseeq(a.scheme, "Kerberos"))
			continue;
		if ((p = sip_auth_param(&a, name)) != NULL && p->n < cap) {
			snprintf(out, cap, "%.*s", (int)p->n, p->p);
			return 0;
		}
	}
	return -1;
}

/* [MS-SIPAE] 4.2 with MIT's krb5 mechanism: the AP-REQ in gssapi-data; from
 * version 4 (integrity only) signed in the same REGISTER, one round trip;
 * version 3 or --mutual: unsigned, 401 with opaque (and the AP-REP), then a
 * signed REGISTER on that opaque. target is the 401's targetname
 * (sip/<fqdn>), krealm the Kerberos realm. Returns 0 when the dance ran to
 * its end (a KDC refusal is an end: krb_error=), -1 when it could not. */
static int krb_dance(const char *pw, const char *realm, const char *target, const char *krealm,
		     int version, int mutual, int second, int tamper)
{
	OM_uint32 maj, min, rf, req = GSS_C_INTEG_FLAG | (mutual ? GSS_C_MUTUAL_FLAG : 0);
	gss_OID_set_desc mechs = { 1, (gss_OID)gss_mech_krb5 };
	char un[300], tn[600], b64[16384], hex[1024], crand[16], opaque[64] = "", text[512];
	static char auth[24000], first[24000];
	gss_buffer_desc nb, pb = { strlen(pw), (void *)pw }, tb, tok = { 0, NULL };
	gss_name_t uname = GSS_C_NO_NAME, tname = GSS_C_NO_NAME;
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	gss_ctx_id_t gc = GSS_C_NO_CONTEXT;
	struct sigfields f;
	int cnum = 1, rc = -1;

	/* a private in-memory credential cache: nothing of the host's */
	setenv("KRB5CCNAME", "MEMORY:sipae-client", 1);
	snprintf(un, sizeof un, "%s@%s", user, krealm);
	snprintf(tn, sizeof tn, "%s@%s", target, krealm);
	nb.value = un; nb.length = strlen(un);
	tb.value = tn; tb.length = strlen(tn);
	if (gss_import_name(&min, &nb, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &uname) ||
	    gss_import_name(&min, &tb, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &tname)) {
		fprintf(stderr, "sipae-client: a name does not import\n");
		goto out;
	}
	maj = gss_acquire_cred_with_password(&min, uname, &pb, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
					     &cred, NULL, NULL);
	if (GSS_ERROR(maj)) {
		gss_text(maj, min, text, sizeof text);
		printf("krb_error=as: %s\nfinal=none\n", text);
		rc = 0;
		goto out;
	}
	maj = gss_init_sec_context(&min, cred, &gc, tname, (gss_OID)gss_mech_krb5, req, 0, NULL,
				   GSS_C_NO_BUFFER, NULL, &tok, &rf, NULL);
	if (GSS_ERROR(maj)) {
		gss_text(maj, min, text, sizeof text);
		printf("krb_error=tgs: %s\nfinal=none\n", text);
		rc = 0;
		goto out;
	}
	if (tok.length * 4 / 3 + 8 > sizeof b64) {
		fprintf(stderr, "sipae-client: the AP-REQ is too long\n");
		goto out;
	}
	b64_encode(tok.value, tok.length, b64, sizeof b64);
	new_crand(crand);
	fill(&f, "Kerberos", crand, cnum, realm, target);
	if (maj == GSS_S_COMPLETE && version >= 4) {
		/* one round trip: the AP-REQ's REGISTER is signed */
		if (sign_request(gc, &f, version, hex, sizeof hex) < 0)
			goto out;
		snprintf(auth, sizeof auth, "Kerberos qop=\"auth\", realm=\"%s\", targetname=\"%s\", "
			 "gssapi-data=\"%s\", version=%d, crand=\"%s\", cnum=\"%d\", response=\"%s\"",
			 realm, target, b64, version, crand, cnum, hex);
		cnum++;
	} else
		snprintf(auth, sizeof auth, "Kerberos qop=\"auth\", realm=\"%s\", targetname=\"%s\", "
			 "gssapi-data=\"%s\"%s%.0d", realm, target, b64, version >= 3 ? ", version=" : "",
			 version >= 3 ? version : 0);
	snprintf(first, sizeof first, "%s", auth);
	if (send_register(auth) < 0 || recv_msg() < 0) {
		fprintf(stderr, "sipae-client: no answer to the AP-REQ\n");
		goto out;
	}
	if (resp.status == 401 && krb_param("WWW-Authenticate", "opaque", opaque, sizeof opaque) == 0) {
		/* two legs: the SA's opaque, and the AP-REP when we asked for one */
		static char ap[16384];
		unsigned char apb[12288];
		long apl;
		int has_ap = krb_param("WWW-Authenticate", "gssapi-data", ap, sizeof ap) == 0 && ap[0];
		printf("krb_legs=2\nap_rep=%s\n", has_ap ? "yes" : "no");
		if (maj == GSS_S_CONTINUE_NEEDED) {
			gss_buffer_desc in, o2 = { 0, NULL };
			if (!has_ap || (apl = b64_decode((struct sip_str){ ap, strlen(ap) }, apb, sizeof apb)) <= 0) {
				printf("krb_error=ap-rep: the 401 carries no AP-REP\nfinal=none\n");
				rc = 0;
				goto out;
			}
			in.value = apb; in.length = (size_t)apl;
			maj = gss_init_sec_context(&min, cred, &gc, tname, (gss_OID)gss_mech_krb5, req, 0, NULL,
						   &in, NULL, &o2, &rf, NULL);
			gss_release_buffer(&min, &o2);
			if (maj != GSS_S_COMPLETE) {
				gss_text(maj, min, text, sizeof text);
				printf("krb_error=ap-rep: %s\nfinal=none\n", text);
				rc = 0;
				goto out;
			}
		}
		new_crand(crand);
		fill(&f, "Kerberos", crand, cnum, realm, target);
		if (sign_request(gc, &f, version, hex, sizeof hex) < 0)
			goto out;
		snprintf(auth, sizeof auth, "Kerberos qop=\"auth\", opaque=\"%s\", realm=\"%s\", targetname=\"%s\", "
			 "crand=\"%s\", cnum=\"%d\", response=\"%s\"", opaque, realm, target, crand, cnum, hex);
		cnum++;
		if (send_register(auth) < 0 || recv_msg() < 0) {
			fprintf(stderr, "sipae-client: no answer to the signed REGISTER\n");
			goto out;
		}
	} else
		printf("krb_legs=1\n");
	printf("final=%d\n", resp.status);
	printf("rspauth=%s\n", maj == GSS_S_COMPLETE ? check_rspauth(gc, version) : "none");
	print_hdr("diagnostics", "ms-diagnostics");
	print_hdr("warning", "Warning");
	print_hdr("contact", "Contact");
	if (!opaque[0])
		krb_param("Authentication-Info", "opaque", opaque, sizeof opaque);
	if (resp.status == 200 && opaque[0] && (second || tamper)) {
		/* requests on the established SA */
		for (int k = 0; k < 2; k++) {
			if ((k == 0 && !second) || (k == 1 && !tamper))
				continue;
			new_crand(crand);
			fill(&f, "Kerberos", crand, cnum, realm, target);
			if (sign_request(gc, &f, version, hex, sizeof hex) < 0)
				goto out;
			if (k == 1)
				hex[strlen(hex) - 3] = hex[strlen(hex) - 3] == '0' ? '1' : '0';
			snprintf(auth, sizeof auth, "Kerberos qop=\"auth\", opaque=\"%s\", realm=\"%s\", targetname=\"%s\", "
				 "crand=\"%s\", cnum=\"%d\", response=\"%s\"", opaque, realm, target, crand, cnum, hex);
			cnum++;
			if (send_register(auth) < 0 || recv_msg() < 0) {
				fprintf(stderr, "sipae-client: no answer on the security association\n");
				goto out;
			}
			if (k == 0)
				printf("second=%d rspauth=%s\n", resp.status, check_rspauth(gc, version));
			else
				printf("tampered=%d\n", resp.status);
		}
	}
	if (replay) {
		/* the acceptor's replay cache must refuse the same authenticator */
		if (send_register(first) < 0 || recv_msg() < 0) {
			fprintf(stderr, "sipae-client: no answer to the replayed AP-REQ\n");
			goto out;
		}
		printf("replayed=%d\n", resp.status);
		print_hdr("replay_diagnostics", "ms-diagnostics");
		print_hdr("replay_warning", "Warning");
	}
	rc = 0;
out:
	gss_release_buffer(&min, &tok);
	if (gc != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&min, &gc, GSS_C_NO_BUFFER);
	if (cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&min, &cred);
	gss_release_name(&min, &uname);
	gss_release_name(&min, &tname);
	return rc;
}

int main(int argc, char **argv)
{
	const char *host, *ca = NULL, *pw = getenv("SIPAE_PASSWORD"), *ntdom = "CORP";
	int port, tls10 = 0, second = 0, tamper = 0, version = 4, timeout = 10, fd, mutual = 0;
	const char *krealm = NULL;
	char ktarget[256] = "", krealm_up[128];
	SSL_CTX *ctx;
	struct sockaddr_in sa, me;
	socklen_t ml = sizeof me;
	struct timeval tv;
	char target[256] = "", realm[128] = "", opaque[64] = "", auth[12000], offered[128] = "";
	char gd[8192] = "";
	unsigned char r8[8];

	if (argc < 4 || pw == NULL)
		return die("usage: SIPAE_PASSWORD=... sipae-client HOST PORT USER [options]");
	host = argv[1];
	port = (int)strtol(argv[2], NULL, 10);
	user = from_user = argv[3];
	for (int i = 4; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(argv[i], "--tls10")) tls10 = 1;
		else if (!strcmp(argv[i], "--second")) second = 1;
		else if (!strcmp(argv[i], "--tamper")) tamper = 1;
		else if (!strcmp(argv[i], "--ca")) { ca = v; i++; }
		else if (!strcmp(argv[i], "--domain")) { domain = v; i++; }
		else if (!strcmp(argv[i], "--ntlm-domain")) { ntdom = v; i++; }
		else if (!strcmp(argv[i], "--from")) { from_user = v; i++; }
		else if (!strcmp(argv[i], "--version")) { version = (int)strtol(v, NULL, 10); i++; }
		else if (!strcmp(argv[i], "--timeout")) { timeout = (int)strtol(v, NULL, 10); i++; }
		else if (!strcmp(argv[i], "--kerberos")) kerberos = 1;
		else if (!strcmp(argv[i], "--mutual")) mutual = 1;
		else if (!strcmp(argv[i], "--replay")) replay = 1;
		else if (!strcmp(argv[i], "--trace")) trace = 1;
		else if (!strcmp(argv[i], "--realm")) { krealm = v; i++; }
		else return die("unknown option");
	}
	/* TLS, bounded in time */
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	if (tls10) {
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_max_proto_version(ctx, TLS1_VERSION);
	}
	if (ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
			return die("cannot read the CA file");
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	tv.tv_sec = timeout; tv.tv_usec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return die("cannot connect");
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		return die("TLS handshake failed");
	getsockname(fd, (struct sockaddr *)&me, &ml);
	snprintf(local, sizeof local, "%s:%u", inet_ntoa(me.sin_addr), ntohs(me.sin_port));
	RAND_bytes(r8, sizeof r8);
	snprintf(callid, sizeof callid, "%02x%02x%02x%02x%02x%02x%02x%02x", r8[0], r8[1], r8[2], r8[3], r8[4], r8[5], r8[6], r8[7]);
	snprintf(ftag, sizeof ftag, "%02x%02x%02x%02x", r8[7], r8[6], r8[5], r8[4]);

	/* 1: no credentials -> 401 with the offered schemes */
	if (send_register(NULL) < 0 || recv_msg() < 0)
		return die("no answer to the first REGISTER");
	printf("first=%d\n", resp.status);
	{
		const struct sip_str *v;
		struct sbuf o;
		sb_init(&o, offered, sizeof offered);
		for (int i = 0; (v = sip_hdr(&resp, "WWW-Authenticate", i)) != NULL; i++) {
			struct sip_auth a;
			if (sip_auth_parse(*v, &a) < 0)
				continue;
			sb_printf(&o, "%s%.*s", o.n ? "," : "", (int)a.scheme.n, a.scheme.p);
			if (kerberos && sip_strcaseeq(a.scheme, "Kerberos")) {
				const struct sip_str *t = sip_auth_param(&a, "targetname"), *r = sip_auth_param(&a, "realm");
				const struct sip_str *vp = sip_auth_param(&a, "version");
				int offered_v = vp && vp->n == 1 ? vp->p[0] - '0' : 2;
				if (t && t->n < sizeof ktarget) snprintf(ktarget, sizeof ktarget, "%.*s", (int)t->n, t->p);
				if (r && r->n < sizeof realm) snprintf(realm, sizeof realm, "%.*s", (int)r->n, r->p);
				if (offered_v >= 2 && offered_v < version)
					version = offered_v;
			}
			if (!kerberos && sip_strcaseeq(a.scheme, "NTLM")) {
				const struct sip_str *t = sip_auth_param(&a, "targetname"), *r = sip_auth_param(&a, "realm");
				const struct sip_str *vp = sip_auth_param(&a, "version");
				int offered_v = vp && vp->n == 1 ? vp->p[0] - '0' : 2;
				if (t && t->n < sizeof target) snprintf(target, sizeof target, "%.*s", (int)t->n, t->p);
				if (r && r->n < sizeof realm) snprintf(realm, sizeof realm, "%.*s", (int)r->n, r->p);
				/* the version both speak ([MS-SIPAE] 3.2.5.1) */
				if (offered_v >= 2 && offered_v < version)
					version = offered_v;
			}
		}
	}
	printf("offered=%s\nversion=%d\n", offered, version);
	if (kerberos) {
		int r;
		if (resp.status != 401 || ktarget[0] == '\0') {
			printf("final=none (no Kerberos offered)\n");
			return 0;
		}
		/* the Kerberos realm: the SIP domain in capitals (AD's rule) */
		if (krealm == NULL) {
			size_t i;
			for (i = 0; domain[i] && i + 1 < sizeof krealm_up; i++)
				krealm_up[i] = (char)(domain[i] >= 'a' && domain[i] <= 'z' ? domain[i] - 32 : domain[i]);
			krealm_up[i] = '\0';
			krealm = krealm_up;
		}
		r = krb_dance(pw, realm, ktarget, krealm, version, mutual, second, tamper);
		SSL_shutdown(ssl);
		SSL_free(ssl);
		close(fd);
		SSL_CTX_free(ctx);
		return r < 0 ? die("the Kerberos dance stopped") : 0;
	}
	if (resp.status != 401 || target[0] == '\0') {
		printf("final=none (no NTLM offered)\n");
		return 0;
	}
	/* 2: gssapi-data="" -> 401 with opaque and the CHALLENGE_MESSAGE */
	snprintf(auth, sizeof auth, "NTLM qop=\"auth\", realm=\"%s\", targetname=\"%s\", gssapi-data=\"\", version=%d",
		 realm, target, version);
	if (send_register(auth) < 0 || recv_msg() < 0)
		return die("no answer to the REGISTER with gssapi-data=\"\"");
	{
		const struct sip_str *v;
		for (int i = 0; (v = sip_hdr(&resp, "WWW-Authenticate", i)) != NULL; i++) {
			struct sip_auth a;
			const struct sip_str *o, *g;
			if (sip_auth_parse(*v, &a) < 0 || !sip_strcaseeq(a.scheme, "NTLM"))
				continue;
			o = sip_auth_param(&a, "opaque");
			g = sip_auth_param(&a, "gssapi-data");
			if (o && g && o->n < sizeof opaque && g->n < sizeof gd) {
				snprintf(opaque, sizeof opaque, "%.*s", (int)o->n, o->p);
				snprintf(gd, sizeof gd, "%.*s", (int)g->n, g->p);
			}
		}
	}
	printf("challenge=%d opaque=%s\n", resp.status, opaque[0] ? opaque : "none");
	if (!opaque[0])
		return die("the second 401 carries no NTLM CHALLENGE");
	/* 3: AUTHENTICATE, signed from version 4 */
	{
		OM_uint32 maj, min, rf;
		gss_OID_set_desc mechs = { 1, &ntlm_oid };
		char un[256], tn[300], b64[8192], hex[512];
		unsigned char chal[4096];
		long cl;
		gss_buffer_desc nb, pb = { strlen(pw), (void *)pw }, tb, in, out0 = { 0, NULL }, out = { 0, NULL };
		gss_name_t uname, tname;
		gss_cred_id_t cred;
		gss_ctx_id_t gc = GSS_C_NO_CONTEXT;
		OM_uint32 req = GSS_C_INTEG_FLAG | GSS_C_IDENTIFY_FLAG | GSS_C_DATAGRAM_FLAG;
		struct sigfields f;
		char crand[16];

		snprintf(un, sizeof un, "%s\\%s", ntdom, user);
		snprintf(tn, sizeof tn, "sip@%s", target);
		nb.value = un; nb.length = strlen(un);
		tb.value = tn; tb.length = strlen(tn);
		if (gss_import_name(&min, &nb, GSS_C_NT_USER_NAME, &uname) ||
		    gss_import_name(&min, &tb, GSS_C_NT_HOSTBASED_SERVICE, &tname) ||
		    gss_acquire_cred_with_password(&min, uname, &pb, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
						   &cred, NULL, NULL))
			return die("gss-ntlmssp: no initiator credential");
		maj = gss_init_sec_context(&min, cred, &gc, tname, &ntlm_oid, req, 0, NULL, GSS_C_NO_BUFFER,
					   NULL, &out0, &rf, NULL);
		if (GSS_ERROR(maj))
			return die("gss-ntlmssp: init");
		cl = b64_decode((struct sip_str){ gd, strlen(gd) }, chal, sizeof chal);
		if (cl <= 0)
			return die("the CHALLENGE is not base64");
		in.value = chal; in.length = (size_t)cl;
		maj = gss_init_sec_context(&min, cred, &gc, tname, &ntlm_oid, req, 0, NULL, &in, NULL, &out, &rf, NULL);
		if (GSS_ERROR(maj))
			return die("gss-ntlmssp: no AUTHENTICATE");
		b64_encode(out.value, out.length, b64, sizeof b64);
		RAND_bytes(r8, 4);
		snprintf(crand, sizeof crand, "%02x%02x%02x%02x", r8[0], r8[1], r8[2], r8[3]);
		memset(&f, 0, sizeof f);
		snprintf(f.scheme, sizeof f.scheme, "NTLM");
		snprintf(f.rnd, sizeof f.rnd, "%s", crand);
		snprintf(f.num, sizeof f.num, "1");
		snprintf(f.realm, sizeof f.realm, "%s", realm);
		snprintf(f.target, sizeof f.target, "%s", target);
		if (version >= 4) {
			if (sign_request(gc, &f, version, hex, sizeof hex) < 0)
				return die("cannot sign");
			snprintf(auth, sizeof auth, "NTLM qop=\"auth\", opaque=\"%s\", realm=\"%s\", targetname=\"%s\", "
				 "gssapi-data=\"%s\", version=%d, crand=\"%s\", cnum=\"1\", response=\"%s\"",
				 opaque, realm, target, b64, version, crand, hex);
		} else
			snprintf(auth, sizeof auth, "NTLM qop=\"auth\", opaque=\"%s\", realm=\"%s\", targetname=\"%s\", "
				 "gssapi-data=\"%s\", version=%d", opaque, realm, target, b64, version);
		if (send_register(auth) < 0 || recv_msg() < 0)
			return die("no answer to the AUTHENTICATE");
		printf("final=%d\n", resp.status);
		printf("rspauth=%s\n", check_rspauth(gc, version));
		print_hdr("diagnostics", "ms-diagnostics");
		print_hdr("warning", "Warning");
		print_hdr("contact", "Contact");
		if (resp.status == 200 && (second || tamper)) {
			/* 4: requests on the established SA */
			int cnum = 2;
			for (int k = 0; k < 2; k++) {
				if ((k == 0 && !second) || (k == 1 && !tamper))
					continue;
				RAND_bytes(r8, 4);
				snprintf(crand, sizeof crand, "%02x%02x%02x%02x", r8[0], r8[1], r8[2], r8[3]);
				snprintf(f.rnd, sizeof f.rnd, "%s", crand);
				snprintf(f.num, sizeof f.num, "%d", cnum);
				if (sign_request(gc, &f, version, hex, sizeof hex) < 0)
					return die("cannot sign");
				if (k == 1)
					hex[20] = hex[20] == '0' ? '1' : '0';
				snprintf(auth, sizeof auth, "NTLM qop=\"auth\", opaque=\"%s\", realm=\"%s\", targetname=\"%s\", "
					 "crand=\"%s\", cnum=\"%d\", response=\"%s\"", opaque, realm, target, crand, cnum, hex);
				cnum++;
				if (send_register(auth) < 0 || recv_msg() < 0)
					return die("no answer on the security association");
				if (k == 0)
					printf("second=%d rspauth=%s\n", resp.status, check_rspauth(gc, version));
				else
					printf("tampered=%d\n", resp.status);
			}
		}
		gss_release_buffer(&min, &out);
		gss_delete_sec_context(&min, &gc, GSS_C_NO_BUFFER);
	}
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	return 0;
}
