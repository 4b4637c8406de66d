/* The directory download (lib/ldap/dir.c) against the mock LDAP server
 * (tests/mock/mock_ldap.c) on the test's own loop: certificates, each way
 * the bind can go, no CA entry, nothing listening, a server that never
 * answers, cancel, the escaped filter, many downloads on one loop; and the
 * order of the ways to the directory (StartTLS, LDAPS, clear), the mock
 * checking that no password ever arrives in clear unless asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ldap/dir.h"
#include "../mock/mock_ldap.h"

struct got {
	int calls;
	struct dir_result r;        /* a copy; der[] not kept */
	unsigned char *der0;        /* taken from the result */
	struct dir_req *req;
	int cancel_in_cb;
	uint64_t t0;
	double wall_ms;
};

struct env {
	uv_loop_t loop;
	struct mock_ldap *m;
	unsigned port;
	struct dir_opts dopts;        /* LDAPS: the mock's, else closed_port */
	int closed_fd;                /* bound, not listening: a refused port */
	struct mock_ldap_seen seen;   /* copied before the mock stops */
};

/* A port bound but not listening: a connect to it is refused (RST). */
static unsigned closed_port(int *fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	*fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

static void on_done(struct dir_result *r, void *arg)
{
	struct got *g = arg;
	size_t i;

	if (getenv("DIR_TEST_VERBOSE"))      /* what a report would show */
		fprintf(stderr, "  cause %s, bind \"%s\", detail \"%s\", %zu certs, %.1f ms\n",
			pb_cause_str(r->cause), r->bind, r->detail, r->n, r->ms);
	g->calls++;
	g->wall_ms = (double)(uv_hrtime() - g->t0) / 1e6;
	g->r = *r;
	for (i = 0; i < DIR_MAX_CERTS; i++)
		g->r.der[i] = NULL;
	g->der0 = r->der[0];       /* taken over: the library must not free it */
	r->der[0] = NULL;
	if (g->cancel_in_cb)
		dir_cancel(g->req);     /* does nothing inside the callback */
}

static void env_up(struct env *e, const struct mock_ldap_opts *o)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(uv_loop_init(&e->loop), 0);
	e->dopts.ldaps_port = closed_port(&e->closed_fd);
	if (o)
		assert_int_equal(mock_ldap_start(&e->loop, o, &e->m, &e->port), 0);
	if (o && o->ldaps)
		e->dopts.ldaps_port = mock_ldap_ldaps_port(e->m);
}

/* Everything closes: the mock, and every handle of the requests. */
static void env_down(struct env *e)
{
	if (e->m) {
		e->seen = *mock_ldap_seen(e->m);
		mock_ldap_stop(e->m);
	}
	uv_run(&e->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&e->loop), 0);
	close(e->closed_fd);
	/* the password never crossed in clear, unless asked to */
	if (!e->dopts.plain_bind)
		assert_int_equal(e->seen.clear_pw_binds, 0);
}

static void wait_for(struct env *e, const struct got *g, int calls)
{
	uint64_t end = uv_hrtime() + 10000000000ull;

	while (g->calls < calls && uv_hrtime() < end)
		uv_run(&e->loop, UV_RUN_ONCE);
}

static void fetch(struct env *e, const char *user, const char *pw, unsigned tmo, struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->t0 = uv_hrtime();
	assert_int_equal(dir_fetch_roots(&e->loop, "127.0.0.1", e->port, "corp.example", user,
					 pw, &e->dopts, tmo, on_done, g, &g->req), PB_OK);
	assert_int_equal(g->calls, 0);       /* never inside the call */
}

static void run_opts(const struct mock_ldap_opts *o, int plain_bind, const char *user,
		     const char *pw, struct got *g, struct env *e)
{
	env_up(e, o);
	e->dopts.plain_bind = plain_bind;
	fetch(e, user, pw, 2000, g);
	wait_for(e, g, 1);
	env_down(e);
	assert_int_equal(g->calls, 1);
}

static void run(const struct mock_ldap_opts *o, const char *user, const char *pw,
		struct got *g, struct env *e)
{
	env_up(e, o);
	fetch(e, user, pw, 2000, g);
	wait_for(e, g, 1);
	env_down(e);
	assert_int_equal(g->calls, 1);
}

static void success_openldap_style(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .cert_len = 1500 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.err, PB_OK);
	assert_int_equal(g.r.n, 1);
	assert_int_equal(g.r.der_len[0], 1500);
	assert_non_null(g.der0);
	assert_int_equal(g.der0[0], 1);
	assert_int_equal(g.der0[1499], 1);
	free(g.der0);
	/* inside StartTLS: the UPN refused (invalidDNSyntax), the DN looked
	 * up and bound */
	assert_string_equal(g.r.bind, "StartTLS, simple bind as " MOCK_LDAP_USER_DN);
	assert_int_equal(e.seen.starttls, 1);
	assert_int_equal(e.seen.handshakes, 1);
	assert_int_equal(e.seen.tls_binds, 2);
	assert_string_equal(g.r.base, MOCK_LDAP_CA_BASE);
	assert_string_equal(g.r.entry[0], "cn=corp-ROOT-CA," MOCK_LDAP_CA_BASE);
	assert_int_equal(e.seen.binds, 2);
	assert_int_equal(e.seen.searches, 2);
	assert_int_equal(e.seen.connections, 1);
}

/* A fetch that also reads the enterprise CAs (dir_opts.enrollment). */
static void run_enroll(const struct mock_ldap_opts *o, unsigned tmo, struct got *g, struct env *e)
{
	env_up(e, o);
	e->dopts.enrollment = 1;
	fetch(e, "alice", "secret", tmo, g);
	wait_for(e, g, 1);
	env_down(e);
	assert_int_equal(g->calls, 1);
}

/* OCPE also reads the enterprise CAs (dNSHostName under CN=Enrollment
 * Services): after the certificates, on the same bind; a directory with
 * none answers noSuchObject, which is a note, not a failure; a directory
 * without cACertificate but with a CA still names its host. */
static void enrollment(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .upn_ok = 1, .enroll_host = "ca.corp.example",
				    .enroll_host2 = "ca2.corp.example" };
	struct env e;
	struct got g;

	(void)st;
	run_enroll(&o, 2000, &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.n, 1);
	free(g.der0);
	assert_int_equal(g.r.n_enroll, 2);
	assert_string_equal(g.r.enroll_host[0], "ca.corp.example");
	assert_string_equal(g.r.enroll_ca[0], "corp-ROOT-CA");
	assert_string_equal(g.r.enroll_host[1], "ca2.corp.example");
	assert_string_equal(g.r.enroll_note, "");
	assert_int_equal(e.seen.searches, 2);          /* the CA container, the CAs */
	assert_true(e.seen.enroll_search_ok);          /* one level, the object class */

	/* no enterprise CA: a note; the certificates as before */
	o.enroll_host = NULL;
	o.enroll_host2 = NULL;
	run_enroll(&o, 2000, &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.n_enroll, 0);
	assert_non_null(strstr(g.r.enroll_note, "no enterprise CA"));
	free(g.der0);

	/* no cACertificate, an enterprise CA: the cause, and its host */
	o.n_certs = 0;
	o.enroll_host = "ca.corp.example";
	run_enroll(&o, 2000, &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_NO_CA_CERTIFICATES);
	assert_int_equal(g.r.n, 0);
	assert_int_equal(g.r.n_enroll, 1);
	assert_string_equal(g.r.enroll_host[0], "ca.corp.example");
	assert_non_null(strstr(g.r.detail, "no cACertificate"));

	/* no answer to the CAs' search: a note; the certificates stand */
	o.n_certs = 1;
	o.enroll_silent = 1;
	run_enroll(&o, 300, &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_string_equal(g.r.detail, "");
	assert_int_equal(g.r.n, 1);
	assert_int_equal(g.r.n_enroll, 0);
	assert_non_null(strstr(g.r.enroll_note, "no answer to the search within 300 ms"));
	free(g.der0);
	/* ... and without certificates, the directory's cause, not a timeout */
	o.n_certs = 0;
	run_enroll(&o, 300, &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_NO_CA_CERTIFICATES);
	assert_non_null(strstr(g.r.detail, "no cACertificate"));
	o.enroll_silent = 0;

	/* a dNSHostName that is no host name is left out, and said */
	o.enroll_host = "ca.corp.example\r\nX-Injected: 1";
	run_enroll(&o, 2000, &g, &e);
	assert_int_equal(g.r.n_enroll, 0);
	assert_non_null(strstr(g.r.enroll_note, "no host name"));
	o.enroll_host = "ca.corp.example";

	/* not asked: one search, no CA read */
	env_up(&e, &o);
	fetch(&e, "alice", "secret", 2000, &g);
	wait_for(&e, &g, 1);
	env_down(&e);
	assert_int_equal(g.r.n_enroll, 0);
	assert_int_equal(e.seen.searches, 1);
}

static void success_ad_style(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 2, .upn_ok = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.n, 2);
	assert_string_equal(g.r.bind, "StartTLS, simple bind as alice@corp.example");
	assert_int_equal(e.seen.binds, 1);
	assert_int_equal(e.seen.tls_binds, 1);
	assert_int_equal(e.seen.searches, 1);
	free(g.der0);
}

/* A device that speaks NTLM tries SASL GSS-SPNEGO first; a directory
 * without it (the mock answers protocolError, as to any SASL bind) leaves
 * the note in the bind fact and the read goes on inside StartTLS. */
static void sasl_refused_then_starttls(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .upn_ok = 1 };
	struct env e;
	struct got g;
	const char *note;

	(void)st;
	env_up(&e, &o);
	e.dopts.sasl_ntlm = 1;
	e.dopts.dc_name = "dc01.corp.example";
	fetch(&e, "alice", "secret", 2000, &g);
	wait_for(&e, &g, 1);
	env_down(&e);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.n, 1);
	note = strstr(g.r.bind, "; first GSS-SPNEGO (NTLM)");
	if (strncmp(g.r.bind, "StartTLS, simple bind as alice@corp.example; first GSS-SPNEGO "
		    "(NTLM) ", 62) || !note)
		fail_msg("bind: %s", g.r.bind);
	/* two connections when gss-ntlmssp is there (the SASL one refused),
	 * one when it is not (nothing sent) */
	assert_true(e.seen.connections >= 1 && e.seen.connections <= 2);
	assert_int_equal(e.seen.clear_pw_binds, 0);
	free(g.der0);
}

static void anonymous_without_password(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", NULL, &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_string_equal(g.r.bind, "anonymous");
	assert_string_equal(e.seen.last_bind, "");
	assert_int_equal(e.seen.starttls, 0);      /* nothing to hide */
	assert_string_equal(g.r.tls, "");
	assert_int_equal(g.r.n, 1);
	free(g.der0);
}

static void refused_bind_reads_anonymously(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "not-the-password", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.n, 1);
	assert_non_null(strstr(g.r.bind, "anonymous (the bind as alice@corp.example was "
				 "refused: Invalid credentials"));
	assert_null(strstr(g.r.bind, "not-the-password"));
	assert_null(strstr(g.r.detail, "not-the-password"));
	assert_int_equal(e.seen.binds, 2);     /* UPN, DN; then no anonymous bind */
	free(g.der0);
}

static void refused_bind_and_read(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .anon_read_refused = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "not-the-password", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_BIND_FAILED);
	assert_int_equal(g.r.n, 0);
	assert_non_null(strstr(g.r.detail, "refused too"));
	assert_null(strstr(g.r.detail, "not-the-password"));
}

static void anonymous_bind_refused(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .anon_bind_refused = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_BIND_FAILED);
	assert_non_null(strstr(g.r.detail, "anonymous bind was refused"));
}

static void no_ca_entry(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 0 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_NO_CA_CERTIFICATES);
	assert_int_equal(g.r.n, 0);
	assert_non_null(strstr(g.r.detail, MOCK_LDAP_CA_BASE));
	assert_null(g.der0);
}

/* Any case, options ignored, at most DIR_MAX_CERTS; 36 KB in one
 * message, read in pieces. */
static void many_certs_any_case(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 12, .cert_len = 3000, .attr = "CACERTIFICATE" };
	struct env e;
	struct got g;
	size_t i;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.n, DIR_MAX_CERTS);
	for (i = 0; i < DIR_MAX_CERTS; i++)
		assert_int_equal(g.r.der_len[i], 3000);
	free(g.der0);
}

static void other_attribute_options(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .attr = "cacertificate;binary" };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.n, 1);
	free(g.der0);
}

/* A port bound but not listening: the connect is refused (RST). */
static void unreachable(void **st)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct env e;
	struct got g;

	(void)st;
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	env_up(&e, NULL);
	e.port = ntohs(sa.sin_port);
	fetch(&e, "alice", "secret", 2000, &g);
	wait_for(&e, &g, 1);
	env_down(&e);
	close(fd);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_UNREACHABLE);
	assert_non_null(strstr(g.r.detail, "connection refused"));
	assert_true(g.wall_ms < 1000);
}

/* A listener whose accept queue is full drops further SYNs (Linux): a
 * connect to it never completes. fds[0] listens, the rest fill it. */
static unsigned full_listener(int fds[5])
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int i;

	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fds[0] >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fds[0], (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fds[0], 0), 0);
	assert_int_equal(getsockname(fds[0], (struct sockaddr *)&sa, &len), 0);
	for (i = 1; i < 5; i++) {      /* never accepted */
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fds[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	usleep(20000);
	return ntohs(sa.sin_port);
}

static void close_all(int fds[5])
{
	int i;

	for (i = 0; i < 5; i++)
		close(fds[i]);
}

/* ldap-timeout in the connect phase. */
static void connect_never_completes(void **st)
{
	int fds[5];
	struct env e;
	struct got g;

	(void)st;
	env_up(&e, NULL);
	e.port = full_listener(fds);
	fetch(&e, "alice", "secret", 300, &g);
	wait_for(&e, &g, 1);
	env_down(&e);
	close_all(fds);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_TIMEOUT);
	assert_non_null(strstr(g.r.detail, "no TCP connection within 300 ms"));
	assert_true(g.wall_ms >= 290 && g.wall_ms < 1500);
}

/* Accepts TCP, never answers: ldap-timeout once the bound has passed. */
static void never_answers(void **st)
{
	struct mock_ldap_opts o = { .silent = 1 };
	struct env e;
	struct got g;

	(void)st;
	env_up(&e, &o);
	fetch(&e, "alice", "secret", 300, &g);
	wait_for(&e, &g, 1);
	env_down(&e);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_TIMEOUT);
	assert_non_null(strstr(g.r.detail, "no answer to the StartTLS request within 300 ms"));
	assert_true(g.wall_ms >= 290 && g.wall_ms < 1500);
	assert_int_equal(e.seen.starttls, 1);
	assert_int_equal(e.seen.binds, 0);
}

static void on_cancel_timer(uv_timer_t *t)
{
	struct got *g = t->data;

	dir_cancel(g->req);
	uv_close((uv_handle_t *)t, NULL);
}

/* Cancelled while the bind waits: no callback, everything freed (ASan),
 * every handle closed (uv_loop_close). */
static void cancel_midway(void **st)
{
	struct mock_ldap_opts o = { .silent = 1 };
	struct env e;
	struct got g;
	uv_timer_t t;

	(void)st;
	env_up(&e, &o);
	fetch(&e, "alice", "secret", 5000, &g);
	uv_timer_init(&e.loop, &t);
	t.data = &g;
	uv_timer_start(&t, on_cancel_timer, 50, 0);
	while (uv_is_active((uv_handle_t *)&t))
		uv_run(&e.loop, UV_RUN_ONCE);
	env_down(&e);
	assert_int_equal(g.calls, 0);
	assert_int_equal(e.seen.connections, 1);
	assert_int_equal(e.seen.starttls, 1);
}

static void cancel_while_connecting(void **st)
{
	int fds[5];
	struct env e;
	struct got g;
	uv_timer_t t;

	(void)st;
	env_up(&e, NULL);
	e.port = full_listener(fds);
	fetch(&e, "alice", "secret", 5000, &g);
	uv_timer_init(&e.loop, &t);
	t.data = &g;
	uv_timer_start(&t, on_cancel_timer, 50, 0);
	while (uv_is_active((uv_handle_t *)&t))
		uv_run(&e.loop, UV_RUN_ONCE);
	env_down(&e);
	close_all(fds);
	assert_int_equal(g.calls, 0);
}

/* The server goes away mid-way: ldap-unreachable, said so. */
static void connection_lost(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .hangup_on_search = 1, .upn_ok = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_UNREACHABLE);
	assert_non_null(strstr(g.r.detail, "the connection was lost during the search"));
}

static void cancel_before_start(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1 };
	struct env e;
	struct got g;

	(void)st;
	env_up(&e, &o);
	fetch(&e, "alice", "secret", 2000, &g);
	dir_cancel(g.req);
	env_down(&e);
	assert_int_equal(g.calls, 0);
	assert_int_equal(e.seen.connections, 0);
}

static void cancel_inside_callback(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1 };
	struct env e;
	struct got g;

	(void)st;
	env_up(&e, &o);
	fetch(&e, "alice", "secret", 2000, &g);
	g.cancel_in_cb = 1;
	wait_for(&e, &g, 1);
	env_down(&e);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	free(g.der0);
}

/* The user name is data in the filter (RFC 4515 3), never syntax. */
static void escaped_filter(void **st)
{
	static const char *const names[] = { "*)(|(uid=*", "a\\b(c)*", "x)(objectClass=*" };
	struct mock_ldap_opts o = { .n_certs = 1 };
	char upn[300];
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct env e;
		struct got g;

		run(&o, names[i], "secret", &g, &e);
		snprintf(upn, sizeof(upn), "%s@corp.example", names[i]);
		assert_true(e.seen.filter_is_or_of_eq);
		assert_int_equal(e.seen.n_eq, 4);
		assert_string_equal(e.seen.eq_attr[0], "userPrincipalName");
		assert_string_equal(e.seen.eq_value[0], upn);
		assert_string_equal(e.seen.eq_attr[1], "mail");
		assert_string_equal(e.seen.eq_value[1], upn);
		assert_string_equal(e.seen.eq_attr[2], "sAMAccountName");
		assert_string_equal(e.seen.eq_value[2], names[i]);
		assert_string_equal(e.seen.eq_attr[3], "uid");
		assert_string_equal(e.seen.eq_value[3], names[i]);
		/* no such user: the read went ahead anonymously */
		assert_int_equal(g.r.cause, PB_CAUSE_NONE);
		assert_non_null(strstr(g.r.bind, "anonymous (the bind as"));
		free(g.der0);
	}
}

/* A fleet on one loop, one thread. */
static void many_on_one_loop(void **st)
{
	enum { N = 100 };
	struct mock_ldap_opts o = { .n_certs = 1 };
	struct env e;
	struct got *g = calloc(N, sizeof(*g));
	int i, done = 0;
	uint64_t end = uv_hrtime() + 20000000000ull;

	(void)st;
	assert_non_null(g);
	env_up(&e, &o);
	for (i = 0; i < N; i++)
		fetch(&e, "alice", "secret", 5000, &g[i]);
	while (done < N && uv_hrtime() < end) {
		uv_run(&e.loop, UV_RUN_ONCE);
		for (done = 0, i = 0; i < N; i++)
			done += g[i].calls;
	}
	env_down(&e);
	for (i = 0; i < N; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].r.cause, PB_CAUSE_NONE);
		assert_string_equal(g[i].r.bind, "StartTLS, simple bind as " MOCK_LDAP_USER_DN);
		free(g[i].der0);
	}
	assert_int_equal(e.seen.connections, N);
	free(g);
}

/* ---- the ways to the directory, in order ---- */

/* StartTLS: the session is TLS, the DC's certificate recorded as seen. */
static void starttls_records_certificate(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .upn_ok = 1, .strong_auth = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_string_equal(g.r.bind, "StartTLS, simple bind as alice@corp.example");
	assert_non_null(strstr(g.r.tls, "StartTLS, TLSv1."));
	assert_true(g.r.have_dc_cert);
	assert_non_null(strstr(g.r.dc_cert.subject, "dc01.corp.example"));
	assert_non_null(strstr(g.r.dc_cert.issuer, "dc01.corp.example"));
	assert_int_equal(strlen(g.r.dc_cert.sha256), 95);     /* 32 bytes, ':' between */
	assert_string_equal(g.r.warning, "");
	assert_int_equal(e.seen.ldaps_connections, 0);
	free(g.der0);
}

/* StartTLS refused: LDAPS, where the password goes. */
static void starttls_refused_then_ldaps(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .upn_ok = 1, .starttls_refused = 1,
				    .ldaps = 1, .strong_auth = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_string_equal(g.r.bind, "LDAPS, simple bind as alice@corp.example");
	assert_non_null(strstr(g.r.tls, "LDAPS, TLSv1."));
	assert_true(g.r.have_dc_cert);
	assert_int_equal(e.seen.starttls, 1);
	assert_int_equal(e.seen.ldaps_connections, 1);
	assert_int_equal(e.seen.tls_binds, 1);
	assert_int_equal(e.seen.connections, 2);
	free(g.der0);
}

/* StartTLS refused, no LDAPS: an anonymous read, the reasons said; the
 * password never sent. */
static void starttls_refused_no_ldaps_anonymous(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .starttls_refused = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.n, 1);
	assert_non_null(strstr(g.r.bind, "anonymous, in clear text (no bind as "
				 "alice@corp.example without TLS: StartTLS refused by ldap://127.0.0.1:"));
	assert_non_null(strstr(g.r.bind, "Protocol error (unsupported extended operation); "
				 "LDAPS ldaps://127.0.0.1:"));
	assert_non_null(strstr(g.r.bind, "connection refused)"));
	assert_string_equal(g.r.tls, "");
	assert_string_equal(g.r.warning, "");
	assert_int_equal(e.seen.binds, 1);             /* the anonymous one */
	assert_string_equal(e.seen.last_bind, "");
	free(g.der0);
}

/* Active Directory without StartTLS or LDAPS: the anonymous read refused
 * too; ldap-bind-failed says both. */
static void no_tls_anonymous_refused(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .starttls_refused = 1, .strong_auth = 1,
				    .anon_read_refused = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_BIND_FAILED);
	assert_non_null(strstr(g.r.detail, "reading anonymously was refused: Insufficient access"));
	assert_non_null(strstr(g.r.detail, "(no TLS: StartTLS refused by"));
	assert_null(strstr(g.r.detail, "secret"));
}

/* StartTLS accepted, then no handshake: LDAPS (not there), anonymous. */
static void starttls_broken(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .starttls_broken = 1 };
	struct env e;
	struct got g;

	(void)st;
	run(&o, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_non_null(strstr(g.r.bind, "StartTLS ldap://127.0.0.1:"));
	assert_non_null(strstr(g.r.bind, "the TLS handshake failed"));
	assert_int_equal(e.seen.connections, 2);
	free(g.der0);
}

/* --ldap-plain-bind: the clear bind, only after StartTLS and LDAPS, with
 * a warning; a directory that wants TLS says why it refuses. */
static void plain_bind_when_asked(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .upn_ok = 1, .starttls_refused = 1 };
	struct env e;
	struct got g;

	(void)st;
	run_opts(&o, 1, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_string_equal(g.r.bind, "simple bind in clear text as alice@corp.example "
			    "(--ldap-plain-bind)");
	assert_non_null(strstr(g.r.warning, "in clear text (--ldap-plain-bind)"));
	assert_int_equal(e.seen.clear_pw_binds, 1);
	assert_int_equal(e.seen.starttls, 1);
	free(g.der0);
}

static void plain_bind_refused_strong_auth(void **st)
{
	struct mock_ldap_opts o = { .n_certs = 1, .upn_ok = 1, .starttls_refused = 1,
				    .strong_auth = 1, .anon_read_refused = 1 };
	struct env e;
	struct got g;

	(void)st;
	run_opts(&o, 1, "alice", "secret", &g, &e);
	assert_int_equal(g.r.cause, PB_CAUSE_LDAP_BIND_FAILED);
	/* ldap_err2string, then the server's diagnosticMessage */
	assert_non_null(strstr(g.r.detail, "the bind as alice@corp.example was refused: "
				 "Strong(er) authentication required (BindSimple: Transport "
				 "encryption required.)"));
	assert_non_null(g.r.warning[0] ? g.r.warning : NULL);
	assert_null(strstr(g.r.detail, "secret"));
}

static void tls_handshake_timeout_falls_back(void **st)
{
	/* a listener that never accepts, as the LDAPS port: the kernel
	 * completes the TCP connect, the ClientHello is never read, the
	 * handshake times out; then the anonymous read on the plain port */
	struct mock_ldap_opts o = { .n_certs = 1, .starttls_refused = 1 };
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct env e;
	struct got g;

	(void)st;
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	env_up(&e, &o);
	e.dopts.ldaps_port = ntohs(sa.sin_port);
	fetch(&e, "alice", "secret", 300, &g);
	wait_for(&e, &g, 1);
	env_down(&e);
	close(fd);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_non_null(strstr(g.r.bind, "no TLS handshake within 300 ms"));
	assert_true(g.wall_ms >= 290 && g.wall_ms < 2000);
	free(g.der0);
}

static void names_are_refused(void **st)
{
	uv_loop_t loop;
	struct dir_req *sentinel = (struct dir_req *)&loop, *out = sentinel;
	struct got g;

	(void)st;
	memset(&g, 0, sizeof(g));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(dir_fetch_roots(&loop, "dc01.corp.example", 389, "corp.example", "alice",
					 "secret", NULL, 100, on_done, &g, &out), PB_ERR_USAGE);
	assert_ptr_equal(out, sentinel);
	assert_int_equal(dir_fetch_roots(&loop, "127.0.0.1", 0, "corp.example", "alice",
					 "secret", NULL, 100, on_done, &g, &out), PB_ERR_USAGE);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(g.calls, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void domain_dn(void **st)
{
	char buf[64];

	(void)st;
	dir_domain_dn("corp.example", buf, sizeof(buf));
	assert_string_equal(buf, "DC=corp,DC=example");
	dir_domain_dn("a", buf, sizeof(buf));
	assert_string_equal(buf, "DC=a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(success_openldap_style),
		cmocka_unit_test(enrollment),
		cmocka_unit_test(success_ad_style),
		cmocka_unit_test(sasl_refused_then_starttls),
		cmocka_unit_test(anonymous_without_password),
		cmocka_unit_test(refused_bind_reads_anonymously),
		cmocka_unit_test(refused_bind_and_read),
		cmocka_unit_test(anonymous_bind_refused),
		cmocka_unit_test(no_ca_entry),
		cmocka_unit_test(many_certs_any_case),
		cmocka_unit_test(other_attribute_options),
		cmocka_unit_test(unreachable),
		cmocka_unit_test(connect_never_completes),
		cmocka_unit_test(never_answers),
		cmocka_unit_test(cancel_midway),
		cmocka_unit_test(cancel_while_connecting),
		cmocka_unit_test(cancel_before_start),
		cmocka_unit_test(connection_lost),
		cmocka_unit_test(cancel_inside_callback),
		cmocka_unit_test(escaped_filter),
		cmocka_unit_test(many_on_one_loop),
		cmocka_unit_test(starttls_records_certificate),
		cmocka_unit_test(starttls_refused_then_ldaps),
		cmocka_unit_test(starttls_refused_no_ldaps_anonymous),
		cmocka_unit_test(no_tls_anonymous_refused),
		cmocka_unit_test(starttls_broken),
		cmocka_unit_test(plain_bind_when_asked),
		cmocka_unit_test(plain_bind_refused_strong_auth),
		cmocka_unit_test(tls_handshake_timeout_falls_back),
		cmocka_unit_test(names_are_refused),
		cmocka_unit_test(domain_dn),
	};

	/* the library must not need SIGPIPE ignored: left at its default */
	signal(SIGPIPE, SIG_DFL);
	/* no ~/.ldaprc or ldap.conf options from the machine */
	setenv("LDAPNOINIT", "1", 1);
	return cmocka_run_group_tests_name("dir", tests, NULL, NULL);
}
