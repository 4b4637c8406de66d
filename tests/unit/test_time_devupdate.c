/* Steps `time` and `device-update`: the SNTP packet (RFC 4330 known
 * fields, kiss-o'-death, leap indicator 3, stratum 0/16), the SNTP
 * client against the mock server of tests/mock/sntpd, the Device Update
 * request and answer, and whole boots against the mock DNS server, SIP
 * registrar, SNTP server and HTTP(S) server on 127.0.0.1: the clock from
 * NTP, an unsynchronized server, a clock that makes a valid certificate
 * fail (traced back to `time`), --time, the firmware's boot clock, an
 * update offered over HTTP and HTTPS, a web certificate without the
 * service's name, no ucupdates-r2 record, an HTTP error, a service that
 * hangs up. Nothing leaves the machine: time.windows.com is asked of the
 * mock DNS server only. Every loop run is bounded in iterations and time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/boot_int.h"
#include "http/ucupdate.h"
#include "sntp/sntp.h"
#include "../mock/dnsd.h"
#include "../mock/loop.h"
#include "../mock/httpd.h"
#include "../mock/sipreg.h"
#include "../mock/sntpd.h"

/* ---- the SNTP packet ---- */

static void packet_build(void **st)
{
	uint8_t b[64];
	uint64_t x = 0x0123456789abcdefULL;
	size_t i;

	(void)st;
	assert_int_equal(sntp_build(b, 47, x), 0);
	assert_int_equal(sntp_build(b, sizeof(b), x), 48);
	/* RFC 4330 section 5: LI 0, VN 4, mode 3 = 0x23 */
	assert_int_equal(b[0], 0x23);
	for (i = 1; i < 40; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(b[40], 0x01);
	assert_int_equal(b[47], 0xef);
}

static void packet_timestamps(void **st)
{
	(void)st;
	/* RFC 4330 section 3: 1970-01-01 is 2208988800 s after 1900 */
	assert_true(sntp_ts_from_unix(0, 0) == 2208988800ULL << 32);
	assert_true((sntp_ts_from_unix(0, 500000000) & 0xffffffffULL) == 0x80000000ULL);
	assert_true(sntp_ts_to_unix(sntp_ts_from_unix(1700000000, 0)) == 1700000000.0);
	/* era 1: after 2036-02-07, bit 0 clear (section 3) */
	assert_true(sntp_ts_to_unix(sntp_ts_from_unix(2200000000LL, 0)) == 2200000000.0);
}

/* A known reply: the fields read back as the server wrote them. */
static void packet_parse(void **st)
{
	uint8_t req[48], rep[48];
	uint64_t t1 = sntp_ts_from_unix(1700000000, 0);
	struct sntpd_conf ok = { SNTPD_OK, 0, NULL };
	struct sntp_reply r;
	char err[128];

	(void)st;
	sntp_build(req, sizeof(req), t1);
	sntpd_reply(&ok, req, 1700000005, 0, rep);
	assert_int_equal(sntp_parse(rep, sizeof(rep), t1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.li, 0);
	assert_int_equal(r.vn, 4);
	assert_int_equal(r.mode, 4);
	assert_int_equal(r.stratum, 2);
	assert_int_equal(r.poll, 6);
	assert_int_equal(r.precision, -20);
	assert_string_equal(r.refid_text, "127.127.1.0");
	assert_true(r.orig == t1);
	assert_true(sntp_ts_to_unix(r.xmit) == 1700000005.0);
	assert_int_equal(sntp_judge(&r), SNTP_OK);
	/* not ours, not a reply, too short, not NTP */
	assert_int_equal(sntp_parse(rep, sizeof(rep), t1 + 1, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "originate"));
	assert_int_equal(sntp_parse(rep, 47, t1, &r, err, sizeof(err)), -1);
	rep[0] = 0x23;
	assert_int_equal(sntp_parse(rep, sizeof(rep), t1, &r, err, sizeof(err)), -1);
	rep[0] = 0x04;          /* version 0 */
	assert_int_equal(sntp_parse(rep, sizeof(rep), t1, &r, err, sizeof(err)), -1);
}

/* RFC 4330 sections 5 and 8: what makes a reply unusable. */
static void packet_judge(void **st)
{
	uint8_t req[48], rep[48];
	uint64_t t1 = sntp_ts_from_unix(1700000000, 0);
	struct sntpd_conf c = { SNTPD_KISS, 0, "RATE" };
	struct sntp_reply r;
	char err[128];

	(void)st;
	sntp_build(req, sizeof(req), t1);
	sntpd_reply(&c, req, 1700000000, 0, rep);
	assert_int_equal(sntp_parse(rep, sizeof(rep), t1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.stratum, 0);
	assert_string_equal(r.refid_text, "RATE");
	assert_int_equal(sntp_judge(&r), SNTP_KISS);
	c.mode = SNTPD_ALARM;
	sntpd_reply(&c, req, 1700000000, 0, rep);
	assert_int_equal(sntp_parse(rep, sizeof(rep), t1, &r, err, sizeof(err)), 0);
	assert_int_equal(r.li, 3);
	assert_int_equal(sntp_judge(&r), SNTP_ALARM);
	c.mode = SNTPD_STRATUM16;
	sntpd_reply(&c, req, 1700000000, 0, rep);
	assert_int_equal(sntp_parse(rep, sizeof(rep), t1, &r, err, sizeof(err)), 0);
	assert_int_equal(sntp_judge(&r), SNTP_UNSYNC);
	c.mode = SNTPD_OK;
	sntpd_reply(&c, req, 1700000000, 0, rep);
	memset(rep + 40, 0, 8);
	assert_int_equal(sntp_parse(rep, sizeof(rep), t1, &r, err, sizeof(err)), 0);
	assert_int_equal(sntp_judge(&r), SNTP_NO_TIME);
}

/* RFC 4330 section 5's formulas on known timestamps. */
static void packet_offset(void **st)
{
	double off, delay;

	(void)st;
	sntp_offset(sntp_ts_from_unix(10, 0), sntp_ts_from_unix(15, 0),
		    sntp_ts_from_unix(15, 500000000), sntp_ts_from_unix(11, 0), &off, &delay);
	assert_true(off > 4.7499 && off < 4.7501);
	assert_true(delay > 0.4999 && delay < 0.5001);
}

/* ---- the client against the mock server ---- */

struct got {
	int done;
	struct sntp_result r;
};

static void on_sntp(const struct sntp_result *r, void *arg)
{
	struct got *g = arg;

	g->done = 1;
	g->r = *r;
}

static void ask_mock(enum sntpd_mode mode, int64_t skew, struct got *g, unsigned timeout_ms)
{
	uv_loop_t loop;
	struct sntpd *s;
	struct sntpd_conf c = { mode, skew, NULL };
	struct sntp_query *q = NULL;
	char addr[32], err[128];

	memset(g, 0, sizeof(*g));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(sntpd_start(&loop, &c, &s), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", sntpd_port(s));
	assert_int_equal(sntp_start(&loop, addr, timeout_ms, on_sntp, g, &q, err, sizeof(err)), PB_OK);
	assert_int_equal(g->done, 0);       /* never inside sntp_start */
	loop_run_until(&loop, &g->done, 3000);
	assert_int_equal(g->done, 1);
	sntp_stop(q);
	sntpd_stop(s);
	assert_int_equal(loop_drain(&loop), 0);
}

static void client_outcomes(void **st)
{
	struct got g;

	(void)st;
	ask_mock(SNTPD_OK, 0, &g, 1000);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.reply.stratum, 2);
	assert_true(g.r.offset > -1 && g.r.offset < 1);
	assert_true(g.r.delay >= 0 && g.r.delay < 1);
	ask_mock(SNTPD_OK, 3600, &g, 1000);
	assert_true(g.r.offset > 3599 && g.r.offset < 3601);
	ask_mock(SNTPD_STRAY_FIRST, 0, &g, 1000);     /* the stray is dropped */
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	ask_mock(SNTPD_ALARM, 0, &g, 1000);
	assert_int_equal(g.r.cause, PB_CAUSE_NTP_UNSYNCHRONIZED);
	assert_non_null(strstr(g.r.detail, "leap indicator 3"));
	ask_mock(SNTPD_KISS, 0, &g, 1000);
	assert_int_equal(g.r.cause, PB_CAUSE_NTP_UNSYNCHRONIZED);
	assert_non_null(strstr(g.r.detail, "kiss-o'-death \"DENY\""));
	ask_mock(SNTPD_SILENT, 0, &g, 200);
	assert_int_equal(g.r.cause, PB_CAUSE_NTP_UNREACHABLE);
	assert_non_null(strstr(g.r.detail, "no answer within 200 ms"));
}

/* Port unreachable ends the wait at once. */
static void client_refused(void **st)
{
	uv_loop_t loop;
	struct got g;
	struct sntp_query *q = NULL;
	unsigned short port;
	char addr[32], err[128];
	uint64_t t0 = uv_hrtime();

	(void)st;
	memset(&g, 0, sizeof(g));
	assert_int_equal(dnsd_closed_port(&port), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
	assert_int_equal(sntp_start(&loop, addr, 2000, on_sntp, &g, &q, err, sizeof(err)), PB_OK);
	loop_run_until(&loop, &g.done, 3000);
	assert_int_equal(g.r.cause, PB_CAUSE_NTP_UNREACHABLE);
	assert_true(uv_hrtime() - t0 < 1000000000ULL);
	sntp_stop(q);
	assert_int_equal(loop_drain(&loop), 0);
	assert_int_equal(sntp_start(&loop, "not-an-address", 2000, on_sntp, &g, &q, err,
				    sizeof(err)), PB_ERR_USAGE);
}

/* ---- the Device Update request and answer ---- */

static void ucupdate_forms(void **st)
{
	static const char *const names[] = { "firmware" };
	static const char *const versions[] = { "1.0<&>" };
	struct ucupdate_device d = { "UCPhone", "02-00-00-00-99-64", "PB1", "Polycom",
				     "CX700", "OCPE 2007 R2", "ENU", names, versions, 1 };
	struct ucupdate_offer o;
	char buf[2048], err[128];
	static const char answer[] = "<Response><Update><BaseUrl> http://u/f/ </BaseUrl>"
				     "<Version>4.0.1</Version><File>a.cab</File>"
				     "<File>b.cab</File></Update></Response>";

	(void)st;
	assert_true(ucupdate_request(buf, sizeof(buf), &d) > 0);
	assert_non_null(strstr(buf, "<MacAddress>02-00-00-00-99-64</MacAddress>"));
	assert_non_null(strstr(buf, "<Model>CX700</Model>"));
	assert_non_null(strstr(buf, "version=\"1.0&lt;&amp;&gt;\""));
	assert_int_equal(ucupdate_request(buf, 40, &d), 0);
	assert_int_equal(ucupdate_parse(answer, strlen(answer), &o, err, sizeof(err)), 0);
	assert_int_equal(o.update, 1);
	assert_string_equal(o.base_url, "http://u/f/");
	assert_string_equal(o.version, "4.0.1");
	assert_int_equal(o.n_files, 2);
	assert_string_equal(o.files[1], "b.cab");
	assert_int_equal(ucupdate_parse("<Response><NoUpdate/></Response>", 32, &o, err,
					sizeof(err)), 0);
	assert_int_equal(o.update, 0);
	assert_int_equal(ucupdate_parse("hello", 5, &o, err, sizeof(err)), -1);
	assert_int_equal(ucupdate_parse("<Response><Update><Version>1</Version></Update>",
					47, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "BaseUrl"));
	/* an element cut by the end of the bytes given */
	assert_int_equal(ucupdate_parse(answer, 40, &o, err, sizeof(err)), -1);
}

/* ---- whole boots ---- */

static struct pb_catalog *catalog;
static const struct pb_profile *modern;
static char fx_cert[512], fx_key[512], fx_root[512], fx_legacy[512], fx_wild[512],
	fx_wild_key[512];

static int setup(void **st)
{
	const char *dir = getenv("PB_PROFILES") ? getenv("PB_PROFILES") : "profiles";
	const char *fx = getenv("PB_FIXTURES") ? getenv("PB_FIXTURES") : "build/fixtures";
	char err[256];

	(void)st;
	if (pb_catalog_load(dir, &catalog, err, sizeof(err)) != PB_OK)
		return -1;
	modern = pb_catalog_find(catalog, "generic-modern");
	snprintf(fx_cert, sizeof(fx_cert), "%s/leaf-sha256.pem", fx);
	snprintf(fx_key, sizeof(fx_key), "%s/work/leaf-sha256.key", fx);
	snprintf(fx_root, sizeof(fx_root), "%s/root-sha256-rsa4096.pem", fx);
	snprintf(fx_legacy, sizeof(fx_legacy), "%s/root-sha1-rsa2048.pem", fx);
	snprintf(fx_wild, sizeof(fx_wild), "%s/leaf-wildcard.pem", fx);
	snprintf(fx_wild_key, sizeof(fx_wild_key), "%s/work/leaf-wildcard.key", fx);
	return modern ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	pb_catalog_free(catalog);
	return 0;
}

/* generic-modern with some of its lines changed ("flow = sip" -> ...):
 * a flow with the update check, a fixed boot clock, SHA-1 for the
 * legacy fixture chain. Free with pb_profile_free(). */
static struct pb_profile *variant(const char *const *from, const char *const *to, size_t n)
{
	char path[600], err[256], *text, *out;
	struct pb_profile *p = NULL;
	FILE *f;
	long len;
	size_t i;

	snprintf(path, sizeof(path), "%s", modern->path);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	for (i = 0; i < n; i++) {
		char *at = strstr(text, from[i]);
		size_t fl = strlen(from[i]), tl = strlen(to[i]);

		assert_non_null(at);
		out = calloc(1, strlen(text) - fl + tl + 1);
		memcpy(out, text, (size_t)(at - text));
		memcpy(out + (at - text), to[i], tl);
		memcpy(out + (at - text) + tl, at + fl, strlen(at + fl) + 1);
		free(text);
		text = out;
	}
	if (pb_profile_parse("variant", text, strlen(text), &p, err, sizeof(err)) != PB_OK)
		fail_msg("variant: %s", err);
	free(text);
	return p;
}

struct wopts {
	enum sntpd_mode ntp;
	int64_t skew;
	int no_ntp_srv;             /* no SRV _ntp._udp: the fallback is asked */
	int http;                   /* start the Device Update mock */
	struct httpd_conf hc;
	int no_update_name;         /* NXDOMAIN for ucupdates-r2 */
};

struct world {
	uv_loop_t loop;
	struct dnsd *dns;
	struct sipreg *reg;
	struct sntpd *ntp;
	struct httpd *web;
	struct pb_engine *eng;
	struct pb_trust *roots;
	char dns_addr[64];
	const char *dns_list[1];
	struct dnsd_rr srv[1], ntp_srv[1], a[1];
	struct dnsd_rule rules[10];
	size_t n_rules;
};

static void world_up(struct world *w, const struct wopts *wo)
{
	struct sipreg_conf c;
	struct sntpd_conf nc = { wo->ntp, wo->skew, NULL };
	char err[256];

	memset(w, 0, sizeof(*w));
	assert_int_equal(uv_loop_init(&w->loop), 0);
	sipreg_fixture_conf(&c, SIPREG_DIGEST);
	assert_int_equal(sipreg_start(&w->loop, &c, &w->reg), 0);
	assert_int_equal(sntpd_start(&w->loop, &nc, &w->ntp), 0);
	if (wo->http)
		assert_int_equal(httpd_start(&w->loop, &wo->hc, &w->web), 0);
	w->srv[0] = (struct dnsd_rr){ NULL, 10, 0, sipreg_port(w->reg), "pool.test.example" };
	w->ntp_srv[0] = (struct dnsd_rr){ NULL, 0, 100, sntpd_port(w->ntp), "dc01.test.example" };
	w->a[0] = (struct dnsd_rr){ "127.0.0.1", 0, 0, 0, NULL };
	w->rules[w->n_rules++] = (struct dnsd_rule){ "_sips._tcp.test.example", "SRV", 0,
						     DNSD_NOERROR, w->srv, 1 };
	/* the first record the ocpe and lpe flows look for */
	w->rules[w->n_rules++] = (struct dnsd_rule){ "_sipinternaltls._tcp.test.example", "SRV",
						     0, DNSD_NOERROR, w->srv, 1 };
	if (!wo->no_ntp_srv)
		w->rules[w->n_rules++] = (struct dnsd_rule){ "_ntp._udp.test.example", "SRV", 0,
							     DNSD_NOERROR, w->ntp_srv, 1 };
	if (wo->no_update_name)
		w->rules[w->n_rules++] = (struct dnsd_rule){ "ucupdates-r2.test.example", NULL, 0,
							     DNSD_NXDOMAIN, NULL, 0 };
	/* the fallback exists only here, in the mock's DNS: it resolves to
	 * nothing, and nothing leaves the machine */
	w->rules[w->n_rules++] = (struct dnsd_rule){ "time.windows.com", NULL, 0, DNSD_NXDOMAIN,
						     NULL, 0 };
	w->rules[w->n_rules++] = (struct dnsd_rule){ NULL, "A", 0, DNSD_NOERROR, w->a, 1 };
	w->rules[w->n_rules++] = (struct dnsd_rule){ NULL, NULL, 0, DNSD_NXDOMAIN, NULL, 0 };
	assert_int_equal(dnsd_start(&w->loop, w->rules, w->n_rules, &w->dns), 0);
	snprintf(w->dns_addr, sizeof(w->dns_addr), "127.0.0.1:%u", dnsd_port(w->dns));
	w->dns_list[0] = w->dns_addr;
	assert_int_equal(pb_trust_new(&w->roots), PB_OK);
	assert_int_equal(pb_trust_add_file(w->roots, fx_root, err, sizeof(err)), PB_OK);
	assert_int_equal(pb_trust_add_file(w->roots, fx_legacy, err, sizeof(err)), PB_OK);
	assert_int_equal(pb_engine_new(&w->loop, &w->eng), PB_OK);
}

static void world_down(struct world *w)
{
	pb_engine_free(w->eng);
	sipreg_stop(w->reg);
	sntpd_stop(w->ntp);
	httpd_stop(w->web);
	dnsd_stop(w->dns);
	assert_int_equal(loop_drain(&w->loop), 0);
	pb_trust_free(w->roots);
}

static void world_opts(struct world *w, struct pb_logon_opts *o, const struct pb_profile *p)
{
	memset(o, 0, sizeof(*o));
	o->user = "alice";
	o->domain = "test.example";
	o->profile = p ? p : modern;
	o->dns = w->dns_list;
	o->n_dns = 1;
	o->password = "secret";
	o->attempts = 1;
	o->timeout_ms = 500;
	o->now = time(NULL);
	o->device_roots = w->roots;
	o->devupdate_port = w->web ? httpd_port(w->web) : 0;
}

struct result {
	int done;
	struct pb_boot *b;
};

static void on_done(struct pb_boot *b, void *arg)
{
	struct result *res = arg;

	(void)b;
	res->done = 1;
}

static json_t *boot(struct world *w, const struct pb_logon_opts *o, const char **outcome)
{
	struct result res;
	char err[256];
	json_t *rep;

	memset(&res, 0, sizeof(res));
	assert_int_equal(pb_boot_start(w->eng, o, on_done, &res, &res.b, err, sizeof(err)), PB_OK);
	loop_run_until(&w->loop, &res.done, 8000);
	assert_int_equal(res.done, 1);
	*outcome = pb_boot_outcome(res.b);
	rep = pb_boot_report(res.b);
	if (getenv("PB_TEST_DUMP"))
		json_dumpf(rep, stderr, JSON_INDENT(1));
	pb_boot_free(res.b);
	return rep;
}

static json_t *step_of(json_t *rep, const char *id)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(rep, "steps"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "step")), id))
			return s;
	return NULL;
}

static const char *sget(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "(absent)";
}

static json_t *fact(json_t *rep, const char *step, const char *k)
{
	return json_object_get(json_object_get(step_of(rep, step), "facts"), k);
}

static const char *diag(json_t *rep, const char *k)
{
	return sget(json_object_get(rep, "diagnosis"), k);
}

/* NTP through SRV _ntp._udp (the mock's port): the clock and its facts. */
static void boot_ntp_ok(void **st)
{
	struct wopts wo = { SNTPD_OK, 0, 0, 0, { 0 }, 0 };
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep, *t;

	(void)st;
	world_up(&w, &wo);
	world_opts(&w, &o, NULL);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(outcome, "signed-in");
	t = step_of(rep, "time");
	assert_string_equal(sget(t, "result"), "ok");
	assert_int_equal(json_integer_value(fact(rep, "time", "stratum")), 2);
	assert_int_equal(json_integer_value(fact(rep, "time", "leap_indicator")), 0);
	assert_non_null(fact(rep, "time", "offset_ms"));
	assert_non_null(fact(rep, "time", "round_trip_ms"));
	assert_non_null(strstr(sget(json_object_get(t, "facts"), "server"), "dc01.test.example:"));
	assert_non_null(strstr(sget(json_object_get(t, "facts"), "clock_source"), "ntp "));
	assert_true(json_integer_value(fact(rep, "time", "clock_error_s")) < 5 &&
		    json_integer_value(fact(rep, "time", "clock_error_s")) > -5);
	assert_true(sntpd_requests(w.ntp) == 1);
	/* the sip flow has no update check */
	assert_null(step_of(rep, "device-update"));
	json_decref(rep);
	world_down(&w);
}

/* An unsynchronized server fails the step; the boot goes on. */
static void boot_ntp_unsynchronized(void **st)
{
	struct wopts wo = { SNTPD_ALARM, 0, 0, 0, { 0 }, 0 };
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep;

	(void)st;
	world_up(&w, &wo);
	world_opts(&w, &o, NULL);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(outcome, "signed-in");
	assert_string_equal(sget(step_of(rep, "time"), "cause"), "ntp-unsynchronized");
	json_decref(rep);
	wo.ntp = SNTPD_KISS;
	world_down(&w);
	world_up(&w, &wo);
	world_opts(&w, &o, NULL);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(sget(step_of(rep, "time"), "cause"), "ntp-unsynchronized");
	assert_non_null(strstr(sget(step_of(rep, "time"), "detail"), "kiss-o'-death"));
	json_decref(rep);
	world_down(&w);
}

/* An NTP server 30 years ahead: the pool's certificate (valid to 2045)
 * has expired at the device's clock; the diagnosis is the clock. */
static void boot_ntp_far_off(void **st)
{
	struct wopts wo = { SNTPD_OK, 30LL * 365 * 86400, 0, 0, { 0 }, 0 };
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep;

	(void)st;
	world_up(&w, &wo);
	world_opts(&w, &o, NULL);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(outcome, "failed");
	assert_string_equal(sget(step_of(rep, "connect"), "cause"), "cert-expired");
	assert_string_equal(diag(rep, "step"), "time");
	assert_string_equal(diag(rep, "cause"), "cert-expired");
	assert_non_null(strstr(diag(rep, "summary"), "days ahead of"));
	assert_string_equal(sget(json_array_get(json_object_get(rep, "remedies"), 0), "remedy"),
			    "fix-clock");
	json_decref(rep);
	world_down(&w);
}

/* --time sets the device's clock over NTP's, and the report says so. */
static void boot_time_option(void **st)
{
	struct wopts wo = { SNTPD_OK, 0, 0, 0, { 0 }, 0 };
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep;

	(void)st;
	world_up(&w, &wo);
	world_opts(&w, &o, NULL);
	o.now = 978307200;          /* 2001-01-01 */
	o.time_set = 1;
	rep = boot(&w, &o, &outcome);
	assert_string_equal(outcome, "failed");
	assert_string_equal(sget(json_object_get(step_of(rep, "time"), "facts"), "clock_source"),
			    "--time");
	assert_string_equal(sget(json_object_get(step_of(rep, "time"), "facts"), "device_clock"),
			    "2001-01-01T00:00:00Z");
	assert_string_equal(diag(rep, "step"), "time");
	assert_string_equal(diag(rep, "cause"), "cert-not-yet-valid");
	json_decref(rep);
	world_down(&w);
}

/* No NTP answer: the firmware's boot clock (a fixed date in this
 * profile) is kept, and the certificates are judged at it. The fallback
 * time.windows.com is asked of the mock DNS only (lpe flow). */
static void boot_firmware_clock(void **st)
{
	static const char *const from[] = { "flow = sip", "boot_clock = host" };
	static const char *const to[] = { "flow = lpe", "boot_clock = 2001-01-01" };
	struct wopts wo = { SNTPD_SILENT, 0, 0, 0, { 0 }, 1 };
	struct pb_profile *p = variant(from, to, 2);
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep, *l;

	(void)st;
	world_up(&w, &wo);
	world_opts(&w, &o, p);
	o.timeout_ms = 200;
	rep = boot(&w, &o, &outcome);
	assert_string_equal(outcome, "failed");
	assert_string_equal(sget(step_of(rep, "time"), "cause"), "ntp-unreachable");
	assert_non_null(strstr(sget(json_object_get(step_of(rep, "time"), "facts"), "clock_source"),
			       "firmware boot clock"));
	l = fact(rep, "time", "lookups");
	assert_string_equal(sget(json_array_get(l, json_array_size(l) - 1), "query"),
			    "A time.windows.com");
	assert_string_equal(sget(json_array_get(l, json_array_size(l) - 1), "result"),
			    "dns-nxdomain");
	assert_string_equal(diag(rep, "step"), "time");
	assert_string_equal(diag(rep, "cause"), "ntp-unreachable");
	assert_non_null(strstr(diag(rep, "summary"), "days behind"));
	json_decref(rep);
	world_down(&w);
	pb_profile_free(p);
}

/* OCPE: POST over HTTP; the offered update is a fact; the steps come in
 * the device's order. */
static void boot_update_http(void **st)
{
	static const char *const from[] = { "flow = sip" };
	static const char *const to[] = { "flow = ocpe" };
	struct wopts wo = { SNTPD_OK, 0, 0, 1, { .mode = HTTPD_UPDATE }, 0 };
	struct pb_profile *p = variant(from, to, 1);
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep, *u, *steps;

	(void)st;
	world_up(&w, &wo);
	world_opts(&w, &o, p);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(outcome, "signed-in");
	steps = json_object_get(rep, "steps");
	assert_string_equal(sget(json_array_get(steps, 0), "step"), "time");
	assert_string_equal(sget(json_array_get(steps, 1), "step"), "device-update");
	assert_string_equal(sget(json_array_get(steps, 2), "step"), "locate-dc");
	assert_string_equal(sget(step_of(rep, "device-update"), "result"), "ok");
	u = fact(rep, "device-update", "update");
	assert_true(json_is_true(json_object_get(u, "offered")));
	assert_string_equal(sget(u, "version"), "4.0.7577.4463");
	assert_non_null(strstr(sget(u, "base_url"), "/DeviceUpdateFiles_Int/"));
	assert_string_equal(httpd_last_path(w.web), "/RequestHandler/ucdevice.upx");
	assert_non_null(strstr(httpd_last_body(w.web), "<MacAddress>02-"));
	assert_non_null(strstr(httpd_last_body(w.web), "<DeviceType>UCPhone</DeviceType>"));
	assert_true(json_real_value(json_object_get(step_of(rep, "device-update"), "ms")) >= 0);
	json_decref(rep);
	world_down(&w);
	pb_profile_free(p);
}

/* LPE: HTTPS, judged by the device: a certificate it accepts (a wildcard
 * for *.test.example, SHA-1 allowed in this variant), then one without
 * ucupdates-r2 in its names: the step's own cert-name-mismatch, and the
 * sign-in goes on. */
static void boot_update_https(void **st)
{
	static const char *const from[] = { "flow = sip", "sig_hashes = sha256" };
	static const char *const to[] = { "flow = lpe", "sig_hashes = sha1, sha256" };
	struct wopts wo = { SNTPD_OK, 0, 0, 1,
			    { .mode = HTTPD_NO_UPDATE, .cert_pem = fx_wild, .key_pem = fx_wild_key },
			    0 };
	struct pb_profile *p = variant(from, to, 2);
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep;

	(void)st;
	world_up(&w, &wo);
	world_opts(&w, &o, p);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(sget(step_of(rep, "device-update"), "result"), "ok");
	assert_true(json_is_false(json_object_get(fact(rep, "device-update", "update"), "offered")));
	assert_non_null(strstr(sget(json_object_get(step_of(rep, "device-update"), "facts"), "url"),
			       "https://ucupdates-r2.test.example:"));
	json_decref(rep);
	world_down(&w);

	wo.hc.cert_pem = fx_cert;   /* pool.test.example, sip.test.example */
	wo.hc.key_pem = fx_key;
	wo.hc.chain_pem = fx_root;
	world_up(&w, &wo);
	world_opts(&w, &o, p);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(outcome, "signed-in");
	assert_string_equal(sget(step_of(rep, "device-update"), "cause"), "cert-name-mismatch");
	assert_int_equal(httpd_requests(w.web), 0);     /* refused before the request */
	json_decref(rep);
	world_down(&w);
	pb_profile_free(p);
}

/* No record, an HTTP error, a service that hangs up. */
static void boot_update_failures(void **st)
{
	static const char *const from[] = { "flow = sip" };
	static const char *const to[] = { "flow = ocpe" };
	struct wopts wo = { SNTPD_OK, 0, 0, 1, { .mode = HTTPD_UPDATE }, 1 };
	struct pb_profile *p = variant(from, to, 1);
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep;

	(void)st;
	world_up(&w, &wo);
	world_opts(&w, &o, p);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(outcome, "signed-in");
	assert_string_equal(sget(step_of(rep, "device-update"), "cause"), "devupdate-not-found");
	json_decref(rep);
	world_down(&w);

	wo.no_update_name = 0;
	wo.hc.mode = HTTPD_STATUS;
	wo.hc.status = 500;
	world_up(&w, &wo);
	world_opts(&w, &o, p);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(sget(step_of(rep, "device-update"), "cause"), "devupdate-http-status");
	assert_non_null(strstr(sget(step_of(rep, "device-update"), "detail"), "HTTP 500"));
	json_decref(rep);
	world_down(&w);

	wo.hc.mode = HTTPD_GARBAGE;
	world_up(&w, &wo);
	world_opts(&w, &o, p);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(sget(step_of(rep, "device-update"), "cause"), "devupdate-http-status");
	assert_non_null(strstr(sget(step_of(rep, "device-update"), "detail"), "cannot be read"));
	json_decref(rep);
	world_down(&w);

	wo.hc.mode = HTTPD_CLOSE;
	world_up(&w, &wo);
	world_opts(&w, &o, p);
	rep = boot(&w, &o, &outcome);
	assert_string_equal(sget(step_of(rep, "device-update"), "cause"), "devupdate-unreachable");
	json_decref(rep);
	world_down(&w);
	pb_profile_free(p);
}

/* Cancel while the update check waits for a silent... refused port:
 * nothing of the step runs after the cancel. */
static void boot_update_unreachable(void **st)
{
	static const char *const from[] = { "flow = sip" };
	static const char *const to[] = { "flow = lpe" };
	struct wopts wo = { SNTPD_OK, 0, 0, 0, { 0 }, 0 };
	struct pb_profile *p = variant(from, to, 1);
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	unsigned short port;
	json_t *rep, *tried;

	(void)st;
	assert_int_equal(dnsd_closed_port(&port), 0);
	world_up(&w, &wo);
	world_opts(&w, &o, p);
	o.devupdate_port = port;
	rep = boot(&w, &o, &outcome);
	assert_string_equal(sget(step_of(rep, "device-update"), "cause"), "devupdate-unreachable");
	/* LPE asks the internal, then the external web services */
	tried = fact(rep, "device-update", "tried");
	assert_int_equal(json_array_size(tried), 2);
	assert_non_null(strstr(sget(json_array_get(tried, 1), "request"), "/RequestHandlerExt/"));
	json_decref(rep);
	world_down(&w);
	pb_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(packet_build),
		cmocka_unit_test(packet_timestamps),
		cmocka_unit_test(packet_parse),
		cmocka_unit_test(packet_judge),
		cmocka_unit_test(packet_offset),
		cmocka_unit_test(client_outcomes),
		cmocka_unit_test(client_refused),
		cmocka_unit_test(ucupdate_forms),
		cmocka_unit_test(boot_ntp_ok),
		cmocka_unit_test(boot_ntp_unsynchronized),
		cmocka_unit_test(boot_ntp_far_off),
		cmocka_unit_test(boot_time_option),
		cmocka_unit_test(boot_firmware_clock),
		cmocka_unit_test(boot_update_http),
		cmocka_unit_test(boot_update_https),
		cmocka_unit_test(boot_update_failures),
		cmocka_unit_test(boot_update_unreachable),
	};
	return cmocka_run_group_tests_name("time and device update", tests, setup, teardown);
}
