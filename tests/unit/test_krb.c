/* lib/krb/: the KDC reply framing over TCP, the transport of one message
 * on the loop (a reply over TCP and UDP from servers of this test, refused,
 * silence), the context's in-memory profile and device clock, what a
 * KRB-ERROR says, and the cause of each Kerberos error. The whole sign-in
 * against a real KDC is tests/integration/kerberos.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "krb/kdc.h"
#include "krb/krb.h"
#include "ldap/gssapi.h"
#include "../mock/loop.h"

static void tcp_frame(void **st)
{
	uint8_t b[8] = { 0, 0, 0, 3, 'a', 'b', 'c', 'd' };
	size_t off = 9, len = 9;

	(void)st;
	assert_int_equal(kdc_tcp_frame(b, 0, &off, &len), 0);
	assert_int_equal(kdc_tcp_frame(b, 3, &off, &len), 0);
	assert_int_equal(kdc_tcp_frame(b, 6, &off, &len), 0);     /* 2 of 3 bytes */
	assert_int_equal(off, 9);                                 /* untouched */
	assert_int_equal(kdc_tcp_frame(b, 7, &off, &len), 1);
	assert_int_equal(off, 4);
	assert_int_equal(len, 3);
	assert_int_equal(kdc_tcp_frame(b, 8, &off, &len), 1);     /* more after it */
	b[0] = 0x80;                                              /* reserved bit */
	assert_int_equal(kdc_tcp_frame(b, 8, &off, &len), -1);
	b[0] = 0;
	b[1] = 0x01;                                              /* 65536 + 3: too long */
	assert_int_equal(kdc_tcp_frame(b, 8, &off, &len), -1);
	b[1] = 0;
	b[3] = 0;                                                 /* empty message */
	assert_int_equal(kdc_tcp_frame(b, 8, &off, &len), -1);
	assert_int_equal(kdc_tcp_frame(NULL, 8, &off, &len), 0);
}

/* The SASL security layer's framing (RFC 4422 3.7), the directory's
 * signed messages after a GSSAPI bind. */
static void sasl_frame(void **st)
{
	unsigned char b[8] = { 0, 0, 0, 3, 1, 2, 3, 4 };
	size_t n = 0;

	(void)st;
	assert_int_equal(dir_sasl_frame(b, 3, &n), 0);
	assert_int_equal(dir_sasl_frame(b, 6, &n), 0);
	assert_int_equal(dir_sasl_frame(b, 7, &n), 1);
	assert_int_equal(n, 3);
	assert_int_equal(dir_sasl_frame(b, 8, &n), 1);
	b[3] = 0;
	assert_int_equal(dir_sasl_frame(b, 8, &n), -1);              /* empty */
	b[1] = 0x10;                                                 /* 1 MiB + 0 */
	b[3] = 1;
	assert_int_equal(dir_sasl_frame(b, 8, &n), -1);
	b[0] = 0x80;                                                 /* 2 GiB */
	assert_int_equal(dir_sasl_frame(b, 8, &n), -1);
	b[0] = 0;
	b[1] = 0x0f;                                                 /* under 1 MiB: wait */
	assert_int_equal(dir_sasl_frame(b, 8, &n), 0);
	assert_int_equal(dir_sasl_frame(NULL, 8, &n), 0);
}

/* ---- the transport, against servers of this test ---- */

struct got {
	int done;
	enum kdc_outcome oc;
	char reply[64];
	size_t len;
};

static void on_got(enum kdc_outcome oc, const uint8_t *reply, size_t len, const char *detail,
		   void *arg)
{
	struct got *g = arg;

	(void)detail;
	g->done = 1;
	g->oc = oc;
	g->len = len;
	if (reply && len < sizeof(g->reply))
		memcpy(g->reply, reply, len);
}

struct tsrv {
	uv_tcp_t listener, conn;
	uv_write_t wr;
	int accepted;
	char in[64];
	size_t n;
};

static void t_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct tsrv *s = h->data;

	(void)hint;
	b->base = s->in + s->n;
	b->len = sizeof(s->in) - s->n;
}

static void t_read(uv_stream_t *c, ssize_t n, const uv_buf_t *b)
{
	struct tsrv *s = c->data;
	/* the reply in two writes' worth: prefix and body split by TCP is
	 * the client's to join; here one buffer, framed */
	static char out[] = { 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o' };
	uv_buf_t ob = uv_buf_init(out, sizeof(out));

	(void)b;
	if (n <= 0)
		return;
	s->n += (size_t)n;
	if (s->n >= 4 + 4)          /* "ping" framed */
		uv_write(&s->wr, c, &ob, 1, NULL);
}

static void t_conn(uv_stream_t *l, int status)
{
	struct tsrv *s = l->data;

	assert_int_equal(status, 0);
	uv_tcp_init(l->loop, &s->conn);
	s->conn.data = s;
	assert_int_equal(uv_accept(l, (uv_stream_t *)&s->conn), 0);
	s->accepted = 1;
	uv_read_start((uv_stream_t *)&s->conn, t_alloc, t_read);
}

static void transport_tcp(void **st)
{
	uv_loop_t loop;
	struct tsrv s;
	struct sockaddr_in sa;
	int sl = sizeof(sa);
	struct got g;
	struct kdc_req *q;

	(void)st;
	memset(&s, 0, sizeof(s));
	memset(&g, 0, sizeof(g));
	assert_int_equal(uv_loop_init(&loop), 0);
	uv_tcp_init(&loop, &s.listener);
	s.listener.data = &s;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_bind(&s.listener, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&s.listener, 4, t_conn), 0);
	uv_tcp_getsockname(&s.listener, (struct sockaddr *)&sa, &sl);
	q = kdc_send(&loop, "127.0.0.1", ntohs(sa.sin_port), KDC_TCP, (const uint8_t *)"ping", 4,
		     2000, on_got, &g);
	assert_non_null(q);
	assert_int_equal(g.done, 0);            /* never inside kdc_send */
	assert_int_equal(loop_run_until(&loop, &g.done, 3000), 0);
	assert_int_equal(g.oc, KDC_REPLY);
	assert_int_equal(g.len, 5);
	assert_memory_equal(g.reply, "hello", 5);
	assert_memory_equal(s.in, "\0\0\0\4ping", 8);     /* sent with its prefix */
	uv_close((uv_handle_t *)&s.listener, NULL);
	if (s.accepted)
		uv_close((uv_handle_t *)&s.conn, NULL);
	assert_int_equal(loop_drain(&loop), 0);
}

static void u_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char buf[64];

	(void)h;
	(void)hint;
	b->base = buf;
	b->len = sizeof(buf);
}

static uv_udp_send_t u_send;

static void u_recv(uv_udp_t *u, ssize_t n, const uv_buf_t *b, const struct sockaddr *from,
		   unsigned flags)
{
	static char out[] = "pong";
	uv_buf_t ob = uv_buf_init(out, 4);
	int *silent = u->data;

	(void)b;
	(void)flags;
	if (n > 0 && from && !*silent)
		uv_udp_send(&u_send, u, &ob, 1, from, NULL);
}

static void transport_udp(void **st)
{
	uv_loop_t loop;
	uv_udp_t u;
	struct sockaddr_in sa;
	int sl = sizeof(sa), silent = 0;
	struct got g;
	unsigned short port;

	(void)st;
	assert_int_equal(uv_loop_init(&loop), 0);
	uv_udp_init(&loop, &u);
	u.data = &silent;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_udp_bind(&u, (struct sockaddr *)&sa, 0), 0);
	uv_udp_getsockname(&u, (struct sockaddr *)&sa, &sl);
	port = ntohs(sa.sin_port);
	uv_udp_recv_start(&u, u_alloc, u_recv);
	/* a reply */
	memset(&g, 0, sizeof(g));
	assert_non_null(kdc_send(&loop, "127.0.0.1", port, KDC_UDP, (const uint8_t *)"ping", 4,
				 2000, on_got, &g));
	assert_int_equal(loop_run_until(&loop, &g.done, 3000), 0);
	assert_int_equal(g.oc, KDC_REPLY);
	assert_memory_equal(g.reply, "pong", 4);
	/* silence: the timeout, bounded */
	silent = 1;
	memset(&g, 0, sizeof(g));
	assert_non_null(kdc_send(&loop, "127.0.0.1", port, KDC_UDP, (const uint8_t *)"ping", 4,
				 200, on_got, &g));
	assert_int_equal(loop_run_until(&loop, &g.done, 3000), 0);
	assert_int_equal(g.oc, KDC_TIMEOUT);
	uv_close((uv_handle_t *)&u, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	/* nobody there: refused (ICMP port unreachable, or RST over TCP) */
	memset(&g, 0, sizeof(g));
	assert_non_null(kdc_send(&loop, "127.0.0.1", port, KDC_UDP, (const uint8_t *)"ping", 4,
				 2000, on_got, &g));
	assert_int_equal(loop_run_until(&loop, &g.done, 3000), 0);
	assert_int_equal(g.oc, KDC_REFUSED);
	memset(&g, 0, sizeof(g));
	assert_non_null(kdc_send(&loop, "127.0.0.1", port, KDC_TCP, (const uint8_t *)"ping", 4,
				 2000, on_got, &g));
	assert_int_equal(loop_run_until(&loop, &g.done, 3000), 0);
	assert_int_equal(g.oc, KDC_REFUSED);
	/* no address, nothing sent; a cancel runs no callback */
	assert_null(kdc_send(&loop, "pool.example", 88, KDC_UDP, (const uint8_t *)"x", 1, 100,
			     on_got, &g));
	memset(&g, 0, sizeof(g));
	kdc_cancel(kdc_send(&loop, "127.0.0.1", port, KDC_TCP, (const uint8_t *)"x", 1, 100,
			    on_got, &g));
	kdc_cancel(NULL);
	assert_int_equal(loop_drain(&loop), 0);
	assert_int_equal(g.done, 0);
}

/* ---- the context: never the host's krb5.conf; the device's clock ---- */

static void context(void **st)
{
	char path[] = "/tmp/pb-krb5conf-XXXXXX", *realm = NULL;
	krb5_context ctx;
	krb5_timestamp now;
	time_t want = time(NULL) - 86400 * 3;
	int fd = mkstemp(path);

	(void)st;
	assert_true(fd >= 0);
	/* a krb5.conf naming another realm, where the library would look */
	assert_true(write(fd, "[libdefaults]\n default_realm = HOST.EXAMPLE\n", 44) == 44);
	close(fd);
	setenv("KRB5_CONFIG", path, 1);
	assert_int_equal(krb_context_new("CORP.EXAMPLE", want, &ctx), 0);
	assert_int_equal(krb5_get_default_realm(ctx, &realm), 0);
	assert_string_equal(realm, "CORP.EXAMPLE");
	krb5_free_default_realm(ctx, realm);
	assert_int_equal(krb5_timeofday(ctx, &now), 0);
	assert_true((long long)(uint32_t)now - (long long)want <= 2);
	assert_true((long long)(uint32_t)now - (long long)want >= 0);
	krb5_free_context(ctx);
	unsetenv("KRB5_CONFIG");
	unlink(path);
}

static void realm_of(void **st)
{
	char r[16];

	(void)st;
	assert_int_equal(krb_realm_of("corp.Example", r, sizeof(r)), 0);
	assert_string_equal(r, "CORP.EXAMPLE");
	assert_int_equal(krb_realm_of("", r, sizeof(r)), -1);
	assert_int_equal(krb_realm_of("a-very-long-domain.example", r, sizeof(r)), -1);
}

/* A KRB-ERROR made by krb5 itself (RFC 4120 5.9.1), read back: the
 * error, the KDC's clock, the e-text. */
static void read_error(void **st)
{
	krb5_context ctx;
	krb5_error e;
	krb5_data out, text;
	krb5_principal server;
	krb5_error_code code;
	time_t stime;
	char etext[64];

	(void)st;
	assert_int_equal(krb_context_new("TEST.EXAMPLE", time(NULL), &ctx), 0);
	assert_int_equal(krb5_parse_name(ctx, "krbtgt/TEST.EXAMPLE@TEST.EXAMPLE", &server), 0);
	memset(&e, 0, sizeof(e));
	e.error = KRB5KRB_AP_ERR_SKEW - ERROR_TABLE_BASE_krb5;   /* 37 */
	e.stime = 1700000000;
	e.server = server;
	text.data = (char *)"CLOCK SKEW";
	text.length = 10;
	e.text = text;
	assert_int_equal(krb5_mk_error(ctx, &e, &out), 0);
	assert_string_equal(krb_msg_name((const unsigned char *)out.data, out.length), "KRB-ERROR");
	assert_int_equal(krb_read_error(ctx, (const unsigned char *)out.data, out.length, &code,
					&stime, etext, sizeof(etext)), 0);
	assert_int_equal(code, KRB5KRB_AP_ERR_SKEW);
	assert_int_equal(stime, 1700000000);
	assert_string_equal(etext, "CLOCK SKEW");
	assert_int_equal(krb_cause_of(code, 0), PB_CAUSE_KRB_CLOCK_SKEW);
	/* truncated, or not an error at all */
	assert_int_equal(krb_read_error(ctx, (const unsigned char *)out.data, out.length / 2,
					&code, &stime, NULL, 0), -1);
	assert_int_equal(krb_read_error(ctx, (const unsigned char *)"\x6b\x00", 2, &code, &stime,
					NULL, 0), -1);
	assert_string_equal(krb_msg_name((const unsigned char *)"\x6b", 1), "AS-REP");
	assert_string_equal(krb_msg_name((const unsigned char *)"\x01", 1), "?");
	krb5_free_data_contents(ctx, &out);
	krb5_free_principal(ctx, server);
	krb5_free_context(ctx);
}

/* Each KDC error names the cause a user can act on (docs/causes.md). */
static void causes(void **st)
{
	(void)st;
	assert_int_equal(krb_cause_of(KRB5KDC_ERR_PREAUTH_FAILED, 0), PB_CAUSE_KRB_PREAUTH_FAILED);
	assert_int_equal(krb_cause_of(KRB5KRB_AP_ERR_BAD_INTEGRITY, 0),
			 PB_CAUSE_KRB_PREAUTH_FAILED);
	assert_int_equal(krb_cause_of(KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN, 0),
			 PB_CAUSE_KRB_PRINCIPAL_UNKNOWN);
	assert_int_equal(krb_cause_of(KRB5KDC_ERR_CLIENT_REVOKED, 0),
			 PB_CAUSE_KRB_ACCOUNT_DISABLED);
	/* an unknown server: the SPN in the TGS exchange; in the AS
	 * exchange (krbtgt unknown) the KDC's refusal */
	assert_int_equal(krb_cause_of(KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN, 1),
			 PB_CAUSE_KRB_SPN_MISSING);
	assert_int_equal(krb_cause_of(KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN, 0),
			 PB_CAUSE_KRB_KDC_REFUSED);
	assert_int_equal(krb_cause_of(KRB5KRB_AP_ERR_SKEW, 1), PB_CAUSE_KRB_CLOCK_SKEW);
	/* a KDC that allows more skew than the device: its reply is refused
	 * on the device's side */
	assert_int_equal(krb_cause_of(KRB5_KDCREP_SKEW, 1), PB_CAUSE_KRB_CLOCK_SKEW);
	assert_int_equal(krb_cause_of(KRB5KDC_ERR_ETYPE_NOSUPP, 0), PB_CAUSE_KRB_KDC_REFUSED);
	assert_string_equal(pb_cause_str(PB_CAUSE_KRB_SPN_MISSING), "krb-spn-missing");
	assert_string_equal(pb_cause_str(PB_CAUSE_KRB_CLOCK_SKEW), "krb-clock-skew");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_frame),
		cmocka_unit_test(sasl_frame),
		cmocka_unit_test(transport_tcp),
		cmocka_unit_test(transport_udp),
		cmocka_unit_test(context),
		cmocka_unit_test(realm_of),
		cmocka_unit_test(read_error),
		cmocka_unit_test(causes),
	};
	return cmocka_run_group_tests_name("krb", tests, NULL, NULL);
}
