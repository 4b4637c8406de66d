/* The engine (lib/engine/): flows with fake steps (fatal and best-effort,
 * the skip rule, loops, phoneboot's own failure, a jump back, cancel at
 * every step), then whole boots with the real steps against the mock DNS
 * server and the mock SIP-over-TLS registrar of tests/mock/, on 127.0.0.1,
 * on one loop: sign-in, refused credentials, a DNS server that refuses,
 * the next server after a failed one, a scheme the device does not speak,
 * the trace, the key log, cancel, and many boots sharing one engine.
 * Every loop run is bounded in iterations and time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "engine/boot_int.h"
#include "../mock/dnsd.h"
#include "../mock/loop.h"
#include "../mock/sipreg.h"

static struct pb_catalog *catalog;
static const struct pb_profile *modern;

static int setup(void **st)
{
	const char *dir = getenv("PB_PROFILES") ? getenv("PB_PROFILES") : "profiles";
	char err[256];

	(void)st;
	if (pb_catalog_load(dir, &catalog, err, sizeof(err)) != PB_OK) {
		fprintf(stderr, "catalog: %s\n", err);
		return -1;
	}
	modern = pb_catalog_find(catalog, "generic-modern");
	return modern ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	pb_catalog_free(catalog);
	return 0;
}

/* ---- fake steps ---- */

enum what { FK_OK, FK_FAIL, FK_INTERNAL, FK_WAIT, FK_LATER, FK_GOTO };

struct fake {
	enum what what;
	enum pb_cause cause, cause2;    /* cause2: from the second cycle on */
	unsigned gives;                 /* enum dev_have bits it sets */
	int started, stopped, jumped;
};

static struct fake fk[PB_STEP_COUNT];

static void later(struct step_run *r)
{
	step_done(r, PB_CAUSE_NONE, NULL, NULL);
}

static void fake_start(struct step_run *r, enum pb_step id)
{
	struct fake *f = &fk[id];
	enum pb_cause c = f->started && f->cause2 ? f->cause2 : f->cause;

	f->started++;
	r->dev->have |= f->gives;
	switch (f->what) {
	case FK_OK: step_done(r, PB_CAUSE_NONE, NULL, NULL); break;
	case FK_FAIL: step_done(r, c, "a fake failure", NULL); break;
	case FK_INTERNAL: step_internal(r, PB_ERR_NOMEM, "a fake allocation failed"); break;
	case FK_WAIT: uv_stop(r->loop); break;     /* the test cancels it now */
	case FK_LATER: step_timer(r, 1, later); break;
	case FK_GOTO:
		if (!f->jumped++)
			step_done_goto(r, PB_STEP_CONNECT, "redirected");
		else
			step_done(r, PB_CAUSE_NONE, NULL, NULL);
		break;
	}
}

#define FAKE(name, id) \
	static void start_##name(struct step_run *r) { fake_start(r, id); } \
	static void stop_##name(struct step_run *r) { (void)r; fk[id].stopped++; } \
	static const struct step_ops fake_##name = { id, 16, start_##name, stop_##name };
FAKE(dhcp, PB_STEP_DHCP)
FAKE(dc, PB_STEP_LOCATE_DC)
FAKE(dl, PB_STEP_DOWNLOAD_ROOT)
FAKE(inst, PB_STEP_INSTALL_ROOT)
FAKE(pool, PB_STEP_LOCATE_POOL)
FAKE(conn, PB_STEP_CONNECT)
FAKE(auth, PB_STEP_AUTHENTICATE)
FAKE(reg, PB_STEP_REGISTER)

static const struct flow_step fake_steps[] = {
	{ &fake_dhcp, 1, 0, WHEN_DHCP },
	{ &fake_dc, 0, HAVE_DNS, WHEN_ALWAYS },
	{ &fake_dl, 0, HAVE_DC, WHEN_ALWAYS },
	{ &fake_inst, 0, HAVE_ROOTS, WHEN_ALWAYS },
	{ &fake_pool, 1, HAVE_DNS, WHEN_ALWAYS },
	{ &fake_conn, 1, HAVE_POOL, WHEN_ALWAYS },
	{ &fake_auth, 1, HAVE_TLS, WHEN_ALWAYS },
	{ &fake_reg, 1, HAVE_AUTH, WHEN_ALWAYS },
};
static const struct flow fake_flow = { PB_FLOW_OCPE, fake_steps, 8 };

static void fakes_reset(void)
{
	memset(fk, 0, sizeof(fk));
	fk[PB_STEP_LOCATE_DC].gives = HAVE_DC;
	fk[PB_STEP_DOWNLOAD_ROOT].gives = HAVE_ROOTS;
	fk[PB_STEP_LOCATE_POOL].gives = HAVE_POOL;
	fk[PB_STEP_CONNECT].gives = HAVE_TLS;
	fk[PB_STEP_AUTHENTICATE].gives = HAVE_AUTH;
	fk[PB_STEP_REGISTER].gives = HAVE_REGISTERED;
}

struct result {
	int done, calls;
	struct pb_boot *b;
	uv_loop_t *loop;            /* stopped when the boot is over */
};

static void on_done(struct pb_boot *b, void *arg)
{
	struct result *res = arg;

	res->done = 1;
	res->calls++;
	assert_ptr_equal(b, res->b);
	if (res->loop)
		uv_stop(res->loop);     /* no wait in the poll phase after it */
}

static void opts_init(struct pb_logon_opts *o, const char *const *dns)
{
	memset(o, 0, sizeof(*o));
	o->user = "alice";
	o->domain = "test.example";
	o->profile = modern;
	o->dns = dns;
	o->n_dns = 1;
	o->password = "secret";
	o->attempts = 2;
	o->timeout_ms = 300;
	o->now = time(NULL);
}

/* Boot with the fake flow; the report of the finished boot (or NULL). */
static json_t *fake_boot(struct result *res, const char **outcome, int cancel_at)
{
	static const char *const dns[] = { "127.0.0.1:9" };
	struct pb_logon_opts o;
	struct pb_engine *e;
	uv_loop_t loop;
	char err[256];
	json_t *rep;

	opts_init(&o, dns);
	memset(res, 0, sizeof(*res));
	uv_loop_init(&loop);
	res->loop = &loop;
	assert_int_equal(pb_engine_new(&loop, &e), PB_OK);
	assert_int_equal(pb_boot_start(e, &o, on_done, res, &res->b, err, sizeof(err)), PB_OK);
	boot_set_flow(res->b, &fake_flow);
	assert_int_equal(res->calls, 0);          /* never inside pb_boot_start */
	if (cancel_at >= 0) {
		loop_run_until(&loop, &fk[cancel_at].started, 2000);
		assert_true(fk[cancel_at].started);
		pb_boot_cancel(res->b);
		pb_boot_cancel(res->b);               /* twice is harmless */
	}
	loop_run_until(&loop, &res->done, 3000);
	assert_int_equal(res->calls, 1);
	*outcome = pb_boot_outcome(res->b);
	rep = pb_boot_report(res->b);
	pb_boot_free(res->b);
	pb_engine_free(e);
	assert_int_equal(loop_drain(&loop), 0);
	return rep;
}

static const char *step_result(json_t *rep, const char *id)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(rep, "steps"), i, s)
		if (!strcmp(json_string_value(json_object_get(s, "step")), id))
			return json_string_value(json_object_get(s, "result"));
	return "(absent)";
}

static void all_ok(void **st)
{
	struct result res;
	const char *outcome;
	json_t *rep;

	(void)st;
	fakes_reset();
	rep = fake_boot(&res, &outcome, -1);
	assert_string_equal(outcome, "signed-in");
	assert_non_null(rep);
	assert_int_equal(json_array_size(json_object_get(rep, "steps")), 7);  /* no dhcp */
	assert_string_equal(step_result(rep, "dhcp"), "(absent)");
	assert_string_equal(step_result(rep, "register"), "ok");
	assert_int_equal(json_integer_value(json_object_get(rep, "cycles")), 1);
	assert_true(json_is_null(json_object_get(rep, "diagnosis")));
	/* every step was released once */
	assert_int_equal(fk[PB_STEP_LOCATE_DC].stopped, 1);
	assert_int_equal(fk[PB_STEP_REGISTER].stopped, 1);
	json_decref(rep);
}

static void steps_later(void **st)
{
	struct result res;
	const char *outcome;
	json_t *rep;
	int i;

	(void)st;
	fakes_reset();
	for (i = 0; i < PB_STEP_COUNT; i++)
		fk[i].what = FK_LATER;
	rep = fake_boot(&res, &outcome, -1);
	assert_string_equal(outcome, "signed-in");
	json_decref(rep);
}

/* A best-effort step fails: the boot goes on; what needs its output is
 * skipped with the reason. */
static void best_effort(void **st)
{
	struct result res;
	const char *outcome;
	json_t *rep, *s;

	(void)st;
	fakes_reset();
	fk[PB_STEP_LOCATE_DC].what = FK_FAIL;
	fk[PB_STEP_LOCATE_DC].gives = 0;
	fk[PB_STEP_LOCATE_DC].cause = PB_CAUSE_DNS_NXDOMAIN;
	rep = fake_boot(&res, &outcome, -1);
	assert_string_equal(outcome, "signed-in");
	assert_string_equal(step_result(rep, "locate-dc"), "fail");
	assert_string_equal(step_result(rep, "download-root"), "skipped");
	assert_string_equal(step_result(rep, "install-root"), "skipped");
	s = json_array_get(json_object_get(rep, "steps"), 1);
	assert_string_equal(json_string_value(json_object_get(s, "detail")), "no domain controller");
	s = json_array_get(json_object_get(rep, "steps"), 2);
	assert_string_equal(json_string_value(json_object_get(s, "detail")),
			    "no certificate downloaded");
	assert_int_equal(fk[PB_STEP_DOWNLOAD_ROOT].started, 0);
	json_decref(rep);
}

/* A fatal step fails the same way twice: a loop, diagnosed. */
static void fatal_loop(void **st)
{
	struct result res;
	const char *outcome;
	json_t *rep, *d;

	(void)st;
	fakes_reset();
	fk[PB_STEP_CONNECT].what = FK_FAIL;
	fk[PB_STEP_CONNECT].cause = PB_CAUSE_TCP_REFUSED;
	rep = fake_boot(&res, &outcome, -1);
	assert_string_equal(outcome, "loop");
	assert_int_equal(json_integer_value(json_object_get(rep, "cycles")), 2);
	assert_int_equal(json_array_size(json_object_get(rep, "cycle_log")), 2);
	assert_int_equal(fk[PB_STEP_CONNECT].started, 2);
	assert_int_equal(fk[PB_STEP_AUTHENTICATE].started, 0);
	assert_string_equal(step_result(rep, "authenticate"), "(absent)");
	d = json_object_get(rep, "diagnosis");
	assert_string_equal(json_string_value(json_object_get(d, "step")), "connect");
	assert_string_equal(json_string_value(json_object_get(d, "cause")), "tcp-refused");
	json_decref(rep);
}

/* Two cycles failing differently are not a loop. */
static void fatal_changes(void **st)
{
	struct result res;
	const char *outcome;
	json_t *rep;

	(void)st;
	fakes_reset();
	fk[PB_STEP_CONNECT].what = FK_FAIL;
	fk[PB_STEP_CONNECT].cause = PB_CAUSE_TCP_REFUSED;
	fk[PB_STEP_CONNECT].cause2 = PB_CAUSE_TCP_TIMEOUT;
	rep = fake_boot(&res, &outcome, -1);
	assert_string_equal(outcome, "failed");
	json_decref(rep);
}

/* phoneboot's own failure: no more cycles, no report, never a cause. */
static void internal(void **st)
{
	static const char *const dns[] = { "127.0.0.1:9" };
	struct pb_logon_opts o;
	struct pb_engine *e;
	struct result res;
	uv_loop_t loop;
	const char *msg;
	char err[256];

	(void)st;
	fakes_reset();
	fk[PB_STEP_LOCATE_POOL].what = FK_INTERNAL;
	opts_init(&o, dns);
	memset(&res, 0, sizeof(res));
	uv_loop_init(&loop);
	res.loop = &loop;
	assert_int_equal(pb_engine_new(&loop, &e), PB_OK);
	assert_int_equal(pb_boot_start(e, &o, on_done, &res, &res.b, err, sizeof(err)), PB_OK);
	boot_set_flow(res.b, &fake_flow);
	loop_run_until(&loop, &res.done, 3000);
	assert_string_equal(pb_boot_outcome(res.b), "internal-error");
	assert_int_equal(pb_boot_error(res.b, &msg), PB_ERR_NOMEM);
	assert_non_null(strstr(msg, "locate-pool"));
	assert_null(pb_boot_report(res.b));
	assert_int_equal(fk[PB_STEP_LOCATE_POOL].started, 1);   /* one cycle only */
	assert_int_equal(fk[PB_STEP_LOCATE_POOL].stopped, 1);
	assert_int_equal(fk[PB_STEP_CONNECT].started, 0);
	pb_boot_free(res.b);
	pb_engine_free(e);
	assert_int_equal(loop_drain(&loop), 0);
}

/* A redirection goes back to connect; the steps are recorded again. */
static void jump_back(void **st)
{
	struct result res;
	const char *outcome;
	json_t *rep;

	(void)st;
	fakes_reset();
	fk[PB_STEP_REGISTER].what = FK_GOTO;
	rep = fake_boot(&res, &outcome, -1);
	assert_string_equal(outcome, "signed-in");
	assert_int_equal(fk[PB_STEP_CONNECT].started, 2);
	assert_int_equal(json_array_size(json_object_get(rep, "steps")), 10);
	json_decref(rep);
}

/* Cancel while each step waits: the callback runs once, "cancelled", the
 * waiting step is stopped, nothing leaks. */
static void cancel_every_step(void **st)
{
	struct result res;
	const char *outcome;
	json_t *rep;
	int id;

	(void)st;
	for (id = PB_STEP_LOCATE_DC; id <= PB_STEP_REGISTER; id++) {
		if (id == PB_STEP_TIME)
			continue;
		fakes_reset();
		fk[id].what = FK_WAIT;
		rep = fake_boot(&res, &outcome, id);
		assert_string_equal(outcome, "cancelled");
		assert_non_null(rep);       /* what it saw until then */
		assert_string_equal(json_string_value(json_object_get(rep, "outcome")), "cancelled");
		json_decref(rep);
		assert_int_equal(fk[id].stopped, 1);
		if (id < PB_STEP_REGISTER)
			assert_int_equal(fk[id + 1].started, 0);
	}
}

/* The flows as data: the best-effort directory steps, the fatal rest,
 * register last, every step's input named. */
static void flow_tables(void **st)
{
	static const enum pb_flow ids[] = { PB_FLOW_OCPE, PB_FLOW_LPE, PB_FLOW_SIP };
	size_t k, i;

	(void)st;
	for (k = 0; k < 3; k++) {
		const struct flow *f = flow_of(ids[k]);

		assert_non_null(f);
		assert_int_equal(f->steps[f->n - 1].ops->id, PB_STEP_REGISTER);
		for (i = 0; i < f->n; i++) {
			enum pb_step s = f->steps[i].ops->id;
			int best_effort = s == PB_STEP_LOCATE_DC || s == PB_STEP_DOWNLOAD_ROOT ||
					  s == PB_STEP_INSTALL_ROOT || s == PB_STEP_TIME ||
					  s == PB_STEP_DEVICE_UPDATE;

			assert_int_equal(f->steps[i].fatal, !best_effort);
			assert_int_equal(flow_find(f, s), i);
		}
	}
	assert_string_equal(flow_missing(HAVE_DC | HAVE_ROOTS), "no domain controller");
	assert_string_equal(flow_missing(HAVE_TLS), "no trusted connection");
}
/* ---- whole boots against the mock servers ---- */


struct world {
	uv_loop_t loop;
	struct dnsd *dns;
	struct sipreg *reg;
	struct pb_engine *eng;
	struct pb_trust *roots;
	char dns_addr[64];
	const char *dns_list[1];
	struct dnsd_rr srv[2], a[1];
	struct dnsd_rule rules[8];
	size_t n_rules;
	unsigned short closed;
};

/* DNS for test.example: no DC; _sips._tcp -> the registrar (and first a
 * dead server when dead_first); A -> 127.0.0.1; REFUSED for anything
 * else, or for everything when refuse_all. */
static const char *world_offer;    /* OFFER_SCHEMES: the challenges (NULL: the mock's) */

static void world_up(struct world *w, enum sipreg_mode mode, int dead_first, int refuse_all)
{
	struct sipreg_conf c;
	char err[256];
	size_t n = 0;

	memset(w, 0, sizeof(*w));
	assert_int_equal(uv_loop_init(&w->loop), 0);
	sipreg_fixture_conf(&c, mode);
	c.schemes = world_offer;
	assert_int_equal(sipreg_start(&w->loop, &c, &w->reg), 0);
	assert_int_equal(dnsd_closed_port(&w->closed), 0);
	if (dead_first) {
		w->srv[n++] = (struct dnsd_rr){ NULL, 10, 0, w->closed, "dead.test.example" };
		w->srv[n++] = (struct dnsd_rr){ NULL, 20, 0, sipreg_port(w->reg), "pool.test.example" };
	} else {
		w->srv[n++] = (struct dnsd_rr){ NULL, 10, 0, sipreg_port(w->reg), "pool.test.example" };
	}
	w->a[0] = (struct dnsd_rr){ "127.0.0.1", 0, 0, 0, NULL };
	if (!refuse_all) {
		w->rules[w->n_rules++] = (struct dnsd_rule){ "_sips._tcp.test.example", "SRV", 0,
							     DNSD_NOERROR, w->srv, n };
		w->rules[w->n_rules++] = (struct dnsd_rule){ NULL, "A", 0, DNSD_NOERROR, w->a, 1 };
		w->rules[w->n_rules++] = (struct dnsd_rule){ NULL, NULL, 0, DNSD_NXDOMAIN, NULL, 0 };
	} else {
		w->rules[w->n_rules++] = (struct dnsd_rule){ NULL, NULL, 0, DNSD_REFUSED, NULL, 0 };
	}
	assert_int_equal(dnsd_start(&w->loop, w->rules, w->n_rules, &w->dns), 0);
	snprintf(w->dns_addr, sizeof(w->dns_addr), "127.0.0.1:%u", dnsd_port(w->dns));
	w->dns_list[0] = w->dns_addr;
	assert_int_equal(pb_trust_new(&w->roots), PB_OK);
	assert_int_equal(pb_trust_add_file(w->roots, sipreg_fixture_root(), err, sizeof(err)), PB_OK);
	assert_int_equal(pb_engine_new(&w->loop, &w->eng), PB_OK);
}

static void world_down(struct world *w)
{
	pb_engine_free(w->eng);
	sipreg_stop(w->reg);
	dnsd_stop(w->dns);
	assert_int_equal(loop_drain(&w->loop), 0);
	pb_trust_free(w->roots);
}

static void world_opts(struct world *w, struct pb_logon_opts *o)
{
	opts_init(o, w->dns_list);
	o->device_roots = w->roots;
	o->attempts = 1;
}

/* One boot in world w; its report (NULL when phoneboot failed). */
static json_t *world_boot(struct world *w, const struct pb_logon_opts *o, const char **outcome)
{
	struct result res;
	char err[256];
	json_t *rep;

	memset(&res, 0, sizeof(res));
	assert_int_equal(pb_boot_start(w->eng, o, on_done, &res, &res.b, err, sizeof(err)), PB_OK);
	loop_run_until(&w->loop, &res.done, 8000);
	assert_int_equal(res.calls, 1);
	*outcome = pb_boot_outcome(res.b);
	rep = pb_boot_report(res.b);
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

static const char *diag_of(json_t *rep, const char *key)
{
	return json_string_value(json_object_get(json_object_get(rep, "diagnosis"), key));
}

static void signs_in(void **st)
{
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep, *auth;

	(void)st;
	world_up(&w, SIPREG_DIGEST, 0, 0);
	world_opts(&w, &o);
	rep = world_boot(&w, &o, &outcome);
	if (getenv("PB_TEST_DUMP"))
		json_dumpf(rep, stderr, JSON_INDENT(1));
	assert_string_equal(outcome, "signed-in");
	assert_string_equal(step_result(rep, "locate-dc"), "fail");     /* best effort */
	assert_string_equal(step_result(rep, "register"), "ok");
	auth = json_object_get(step_of(rep, "authenticate"), "facts");
	assert_string_equal(json_string_value(json_object_get(auth, "scheme")), "Digest");
	assert_non_null(strstr(sipreg_last_authorization(w.reg), "username=\"alice\""));
	assert_non_null(strstr(json_string_value(json_object_get(rep, "target")),
			       "pool.test.example:"));
	{
		/* the ladder: every message in time order, with its server */
		json_t *x, *e;
		size_t i, reg = 0, ok = 0;
		double last = -1;

		x = json_object_get(rep, "exchanges");
		assert_true(json_array_size(x) >= 8);
		json_array_foreach(x, i, e) {
			const char *label = json_string_value(json_object_get(e, "label"));

			assert_true(json_real_value(json_object_get(e, "ms")) >= last);
			last = json_real_value(json_object_get(e, "ms"));
			if (!strncmp(label, "REGISTER", 8))
				reg++;
			if (!strcmp(label, "200 OK"))
				ok++;
		}
		assert_int_equal(reg, 2);
		assert_int_equal(ok, 1);
	}
	json_decref(rep);
	world_down(&w);
}

/* A refused answer is authenticate's ("Signing in"), not register's. */
static void wrong_password(void **st)
{
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep;

	(void)st;
	world_up(&w, SIPREG_DIGEST, 0, 0);
	world_opts(&w, &o);
	o.password = "not-the-password";
	rep = world_boot(&w, &o, &outcome);
	assert_string_equal(outcome, "failed");
	assert_string_equal(diag_of(rep, "step"), "authenticate");
	assert_string_equal(diag_of(rep, "cause"), "sip-auth-failed");
	assert_string_equal(step_result(rep, "register"), "(absent)");  /* the cycle ended */
	json_decref(rep);
	world_down(&w);
}

/* A DNS server that answers REFUSED is reported as such, and the fault is
 * traced to the first step that met it. */
static void dns_refused(void **st)
{
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep;

	(void)st;
	world_up(&w, SIPREG_DIGEST, 0, 1);
	world_opts(&w, &o);
	rep = world_boot(&w, &o, &outcome);
	assert_string_equal(outcome, "failed");
	assert_string_equal(diag_of(rep, "step"), "locate-dc");
	assert_string_equal(diag_of(rep, "cause"), "dns-refused");
	assert_int_equal(json_array_size(json_object_get(json_object_get(rep, "diagnosis"),
							 "evidence")), 2);
	json_decref(rep);
	world_down(&w);
}

/* After a failed server the device tries the next one; both are listed. */
static void next_server(void **st)
{
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep, *tried;

	(void)st;
	world_up(&w, SIPREG_DIGEST, 1, 0);
	world_opts(&w, &o);
	rep = world_boot(&w, &o, &outcome);
	assert_string_equal(outcome, "signed-in");
	tried = json_object_get(json_object_get(step_of(rep, "connect"), "facts"), "servers_tried");
	assert_int_equal(json_array_size(tried), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(tried, 0), "result")),
			    "tcp-refused");
	assert_string_equal(json_string_value(json_object_get(json_array_get(tried, 1), "result")),
			    "ok");
	json_decref(rep);
	world_down(&w);
}

/* The registrar offers only schemes the device does not speak. */
static void scheme_unsupported(void **st)
{
	struct world w;
	struct pb_logon_opts o;
	const char *outcome, *detail;
	json_t *rep;

	(void)st;
	world_up(&w, SIPREG_OFFER_SCHEMES, 0, 0);
	world_opts(&w, &o);
	rep = world_boot(&w, &o, &outcome);
	assert_string_equal(diag_of(rep, "cause"), "sip-auth-scheme-unsupported");
	detail = json_string_value(json_object_get(step_of(rep, "authenticate"), "detail"));
	assert_non_null(strstr(detail, "NTLM"));
	assert_non_null(strstr(detail, "digest"));
	json_decref(rep);
	world_down(&w);
}

/* The scheme answered is the first of the profile's own order that the
 * registrar offers; TLS-DSK is passed over (no client certificate yet);
 * --auth names the schemes and the report says it overrode. */
static void scheme_order(void **st)
{
	static const struct { const char *auth; unsigned order[4], override;
			      const char *scheme; } cases[] = {
		{ "ntlm, digest", { PB_AUTH_NTLM, PB_AUTH_DIGEST, 0 }, 0, "NTLM" },
		{ "digest, ntlm", { PB_AUTH_DIGEST, PB_AUTH_NTLM, 0 }, 0, "Digest" },
		{ "tls-dsk, digest", { PB_AUTH_TLS_DSK, PB_AUTH_DIGEST, 0 }, 0, "Digest" },
		{ "digest, ntlm", { PB_AUTH_DIGEST, PB_AUTH_NTLM, 0 }, PB_AUTH_NTLM, "NTLM" },
	};
	struct pb_profile p = *modern;      /* a shallow copy, never freed */
	size_t i;

	(void)st;
	world_offer = "TLS-DSK realm=\"SIP Communications Service\", targetname=\"pool\", version=4\n"
		      "NTLM realm=\"SIP Communications Service\", targetname=\"pool\", version=4\n"
		      "Digest realm=\"test.example\", nonce=\"abc\", qop=\"auth\"";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct world w;
		struct pb_logon_opts o;
		const char *outcome;
		json_t *rep, *facts;

		memset(p.auth_order, 0, sizeof(p.auth_order));
		memcpy(p.auth_order, cases[i].order, sizeof(cases[i].order));
		p.auth = cases[i].order[0] | cases[i].order[1];
		world_up(&w, SIPREG_OFFER_SCHEMES, 0, 0);
		world_opts(&w, &o);
		o.profile = &p;
		o.auth = cases[i].override;
		rep = world_boot(&w, &o, &outcome);
		facts = json_object_get(step_of(rep, "authenticate"), "facts");
		if (strcmp(json_string_value(json_object_get(facts, "scheme")), cases[i].scheme))
			fail_msg("case %zu (%s): answered with %s", i, cases[i].auth,
				 json_string_value(json_object_get(facts, "scheme")));
		assert_int_equal(json_is_true(json_object_get(facts, "overridden")),
				 cases[i].override != 0);
		json_decref(rep);
		world_down(&w);
	}
	/* only TLS-DSK offered: none in common, and the report says why */
	world_offer = "TLS-DSK realm=\"SIP Communications Service\", targetname=\"pool\", version=4";
	p.auth = PB_AUTH_TLS_DSK | PB_AUTH_NTLM;
	p.auth_order[0] = PB_AUTH_TLS_DSK;
	p.auth_order[1] = PB_AUTH_NTLM;
	p.auth_order[2] = 0;
	{
		struct world w;
		struct pb_logon_opts o;
		const char *outcome, *detail;
		json_t *rep;

		world_up(&w, SIPREG_OFFER_SCHEMES, 0, 0);
		world_opts(&w, &o);
		o.profile = &p;
		rep = world_boot(&w, &o, &outcome);
		assert_string_equal(diag_of(rep, "cause"), "sip-auth-scheme-unsupported");
		detail = json_string_value(json_object_get(step_of(rep, "authenticate"), "detail"));
		if (!strstr(detail, "offers TLS-DSK; the device speaks tls-dsk, ntlm"))
			fail_msg("%s", detail);
		assert_non_null(strstr(detail, "client certificate"));
		json_decref(rep);
		world_down(&w);
	}
	world_offer = NULL;
}

/* Another library on the loop leaves errors in OpenSSL's error queue (as
 * libcurl does after a refused handshake in device-update): the boot's TLS
 * must still read a WANT_READ as one, not as a broken connection. Before
 * the fix a fleet lost a third of its NTLM phones to "the server closed
 * the connection". */
static void on_prepare_dirty(uv_prepare_t *p)
{
	(void)p;
	ERR_raise(ERR_LIB_SSL, SSL_R_SHUTDOWN_WHILE_IN_INIT);
}

static void stale_openssl_errors(void **st)
{
	struct world w;
	struct pb_logon_opts o;
	uv_prepare_t dirty;
	const char *outcome;
	json_t *rep;

	(void)st;
	world_up(&w, SIPREG_DIGEST, 0, 0);
	assert_int_equal(uv_prepare_init(&w.loop, &dirty), 0);
	assert_int_equal(uv_prepare_start(&dirty, on_prepare_dirty), 0);
	world_opts(&w, &o);
	rep = world_boot(&w, &o, &outcome);
	assert_string_equal(outcome, "signed-in");
	json_decref(rep);
	uv_close((uv_handle_t *)&dirty, NULL);
	ERR_clear_error();
	world_down(&w);
}

/* A registrar that never answers: sip-timeout within the bound. */
static void silent_registrar(void **st)
{
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	json_t *rep;
	uint64_t t0 = uv_hrtime();

	(void)st;
	world_up(&w, SIPREG_SILENT, 0, 0);
	world_opts(&w, &o);
	rep = world_boot(&w, &o, &outcome);
	assert_string_equal(diag_of(rep, "cause"), "sip-timeout");
	assert_true(uv_hrtime() - t0 < 3000000000ULL);
	json_decref(rep);
	world_down(&w);
}

static int trace_lines, trace_transitions;

static void on_trace(void *arg, double ms, const char *line)
{
	(void)arg;
	assert_true(ms >= 0);
	trace_lines++;
	if (strstr(line, " -> "))
		trace_transitions++;
}

/* --trace sees every transition; --keylog gets the session's secrets. */
static void trace_and_keylog(void **st)
{
	struct world w;
	struct pb_logon_opts o;
	const char *outcome;
	char path[] = "/tmp/pb-keylog-XXXXXX", buf[4096];
	json_t *rep;
	FILE *f;
	size_t n;
	int fd;

	(void)st;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	world_up(&w, SIPREG_DIGEST, 0, 0);
	world_opts(&w, &o);
	o.trace = on_trace;
	o.keylog_file = path;
	trace_lines = trace_transitions = 0;
	rep = world_boot(&w, &o, &outcome);
	assert_string_equal(outcome, "signed-in");
	assert_true(trace_transitions >= 14);     /* 7 steps, in and out */
	assert_true(trace_lines > trace_transitions);
	json_decref(rep);
	world_down(&w);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	assert_true(strstr(buf, "CLIENT_RANDOM ") || strstr(buf, "CLIENT_TRAFFIC_SECRET_0 "));
}

/* Cancel a real boot while it waits for the registrar. */
static void cancel_real(void **st)
{
	struct world w;
	struct pb_logon_opts o;
	struct result res;
	char err[256];

	(void)st;
	world_up(&w, SIPREG_SILENT, 0, 0);
	world_opts(&w, &o);
	o.timeout_ms = 2000;
	memset(&res, 0, sizeof(res));
	assert_int_equal(pb_boot_start(w.eng, &o, on_done, &res, &res.b, err, sizeof(err)), PB_OK);
	{
		unsigned spins = 0;

		while (sipreg_requests(w.reg) == 0 && spins++ < 100000)
			uv_run(&w.loop, UV_RUN_ONCE);
	}
	assert_true(sipreg_requests(w.reg) > 0);
	pb_boot_cancel(res.b);
	loop_run_until(&w.loop, &res.done, 2000);
	assert_int_equal(res.calls, 1);
	assert_string_equal(pb_boot_outcome(res.b), "cancelled");
	pb_boot_free(res.b);
	world_down(&w);
}

/* Many phones on one engine: one resolver, one TLS context, one loop. */
static void many_boots(void **st)
{
	enum { N = 14 };        /* the mock takes SIPREG_MAX_CONNS (16) at once */
	struct world w;
	struct pb_logon_opts o;
	struct result res[N];
	char err[256];
	int i, all = 0;
	unsigned spins = 0;

	(void)st;
	world_up(&w, SIPREG_DIGEST, 0, 0);
	world_opts(&w, &o);
	memset(res, 0, sizeof(res));
	for (i = 0; i < N; i++)
		assert_int_equal(pb_boot_start(w.eng, &o, on_done, &res[i], &res[i].b, err,
					       sizeof(err)), PB_OK);
	while (!all && spins++ < 200000) {
		uv_run(&w.loop, UV_RUN_ONCE);
		for (all = 1, i = 0; i < N; i++)
			all &= res[i].done;
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(res[i].calls, 1);
		assert_string_equal(pb_boot_outcome(res[i].b), "signed-in");
		pb_boot_free(res[i].b);
	}
	assert_true(sipreg_connections(w.reg) >= N);
	world_down(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_ok),
		cmocka_unit_test(steps_later),
		cmocka_unit_test(best_effort),
		cmocka_unit_test(fatal_loop),
		cmocka_unit_test(fatal_changes),
		cmocka_unit_test(internal),
		cmocka_unit_test(jump_back),
		cmocka_unit_test(cancel_every_step),
		cmocka_unit_test(flow_tables),
		cmocka_unit_test(signs_in),
		cmocka_unit_test(wrong_password),
		cmocka_unit_test(dns_refused),
		cmocka_unit_test(next_server),
		cmocka_unit_test(scheme_unsupported),
		cmocka_unit_test(scheme_order),
		cmocka_unit_test(stale_openssl_errors),
		cmocka_unit_test(silent_registrar),
		cmocka_unit_test(trace_and_keylog),
		cmocka_unit_test(cancel_real),
		cmocka_unit_test(many_boots),
	};
	return cmocka_run_group_tests_name("engine", tests, setup, teardown);
}
