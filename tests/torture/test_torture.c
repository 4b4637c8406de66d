/* The allocation-failure ("torture") run, as curl's torture tests: a whole
 * boot against the mock DNS server and the mock SIP-over-TLS registrar of
 * tests/mock/, on 127.0.0.1, first run once to count phoneboot's own
 * allocations (K), then K times again, failing allocation N = 1..K once.
 * Every run must end without a crash or a leak, and as phoneboot's own
 * failure: pb_engine_new or pb_boot_start refuses with PB_ERR_NOMEM, or the
 * boot ends "internal-error" with pb_boot_error() set and a message, or
 * (the failure fell in the report) pb_boot_report() returns NULL. A boot
 * that signs in anyway, reports a network cause or a report built without
 * the failed piece fails the run, naming N and the allocation's site.
 *
 * Built against a third build of the library with -include
 * tests/torture/alloc.h (the counting wrappers); the mocks are not
 * counted. See tests/torture/README.md. Every loop is bounded in
 * iterations and time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>

#include "phoneboot/boot.h"
#include "phoneboot/profile.h"
#include "../mock/dnsd.h"
#include "../mock/loop.h"
#include "../mock/mock_ldap.h"
#include "../mock/sipreg.h"
#include "torture.h"

#define BOOT_MS 8000            /* one boot, at most */
#define DEFAULT_BUDGET_S 900    /* the whole run, at most (TORTURE_SECONDS) */

static const struct pb_profile *modern;
static const char *fixtures;

/* What runs now, for a crash report (ASan's death callback). */
static const char *cur_variant = "-";
static unsigned long cur_n;

/* LeakSanitizer runs after every boot and scans ASan's quarantine of
 * freed blocks too: a small one keeps the run fast (16 s instead of 60 s
 * for one variant); ASAN_OPTIONS still overrides it. */
const char *__asan_default_options(void);
__attribute__((visibility("default"))) const char *__asan_default_options(void)
{
	return "quarantine_size_mb=8";
}

static void on_death(void)
{
	fprintf(stderr, "torture: crashed in %s, failing allocation %lu\n", cur_variant, cur_n);
}

/* ---- the world: the mock servers (as tests/unit/test_engine.c) ---- */

struct variant {
	const char *name;
	int dead_first;             /* a dead SIP server before the registrar */
	int dc;                     /* a DC (the mock LDAP server) to download from */
	const char *password;
	const char *expect;         /* the outcome without failures */
};

static const struct variant variants[] = {
	{ "signs-in", 0, 0, "secret", "signed-in" },
	{ "wrong-password", 0, 0, "not-the-password", "failed" },
	{ "next-server", 1, 0, "secret", "signed-in" },
	/* the directory's values are no certificates: install-root fails
	 * (best effort) and the phone signs in with its built-in roots */
	{ "with-dc", 0, 1, "secret", "signed-in" },
};

struct world {
	uv_loop_t loop;
	int loop_ok;
	struct dnsd *dns;
	struct sipreg *reg;
	struct mock_ldap *ldap;
	struct pb_trust *roots;
	char dns_addr[64];
	const char *dns_list[1];
	struct dnsd_rr srv[2], dc[1], a[1];
	struct dnsd_rule rules[4];
	size_t n_rules;
	unsigned short closed;
	char cert[512], key[512], root[512];
};

/* corp.example, the mock directory's domain: a DC only when v->dc (else
 * locate-dc fails, best effort); _sips._tcp -> the registrar,
 * pool.test.example as the fixtures' certificate names it (after a dead
 * server when dead_first); A -> 127.0.0.1. */
static int world_up(struct world *w, const struct variant *v)
{
	struct sipreg_conf c;
	struct mock_ldap_opts lo = { .upn_ok = 1, .n_certs = 2 };
	char err[256];
	size_t n = 0;
	unsigned ldap_port = 0;

	memset(w, 0, sizeof(*w));
	snprintf(w->cert, sizeof(w->cert), "%s/leaf-sha256.pem", fixtures);
	snprintf(w->key, sizeof(w->key), "%s/work/leaf-sha256.key", fixtures);
	snprintf(w->root, sizeof(w->root), "%s/root-sha256-rsa4096.pem", fixtures);
	if (uv_loop_init(&w->loop) != 0)
		return -1;
	w->loop_ok = 1;
	memset(&c, 0, sizeof(c));
	c.cert_pem = w->cert;
	c.key_pem = w->key;
	c.chain_pem = w->root;
	c.mode = SIPREG_DIGEST;
	c.user = "alice";
	c.password = "secret";
	c.realm = "corp.example";
	if (sipreg_start(&w->loop, &c, &w->reg) != 0 || dnsd_closed_port(&w->closed) != 0) {
		fprintf(stderr, "torture: the mock registrar does not start (fixtures in %s?)\n",
			fixtures);
		return -1;
	}
	if (v->dc && mock_ldap_start(&w->loop, &lo, &w->ldap, &ldap_port) != 0)
		return -1;
	if (v->dead_first)
		w->srv[n++] = (struct dnsd_rr){ NULL, 10, 0, w->closed, "dead.test.example" };
	w->srv[n++] = (struct dnsd_rr){ NULL, 20, 0, sipreg_port(w->reg), "pool.test.example" };
	w->dc[0] = (struct dnsd_rr){ NULL, 0, 100, (unsigned short)ldap_port, "dc1.corp.example" };
	w->a[0] = (struct dnsd_rr){ "127.0.0.1", 0, 0, 0, NULL };
	w->rules[w->n_rules++] = (struct dnsd_rule){ "_sips._tcp.corp.example", "SRV", 0,
						     DNSD_NOERROR, w->srv, n };
	if (v->dc)
		w->rules[w->n_rules++] = (struct dnsd_rule){ "_ldap._tcp.dc._msdcs.corp.example",
							     "SRV", 0, DNSD_NOERROR, w->dc, 1 };
	w->rules[w->n_rules++] = (struct dnsd_rule){ NULL, "A", 0, DNSD_NOERROR, w->a, 1 };
	w->rules[w->n_rules++] = (struct dnsd_rule){ NULL, NULL, 0, DNSD_NXDOMAIN, NULL, 0 };
	if (dnsd_start(&w->loop, w->rules, w->n_rules, &w->dns) != 0)
		return -1;
	snprintf(w->dns_addr, sizeof(w->dns_addr), "127.0.0.1:%u", dnsd_port(w->dns));
	w->dns_list[0] = w->dns_addr;
	if (pb_trust_new(&w->roots) != PB_OK ||
	    pb_trust_add_file(w->roots, w->root, err, sizeof(err)) != PB_OK) {
		fprintf(stderr, "torture: %s: %s\n", w->root, err);
		return -1;
	}
	return 0;
}

static int world_down(struct world *w)
{
	sipreg_stop(w->reg);
	mock_ldap_stop(w->ldap);
	dnsd_stop(w->dns);
	pb_trust_free(w->roots);
	return loop_drain(&w->loop);
}

/* ---- one boot ---- */

struct run {
	/* where the failed allocation fell */
	enum { AT_NONE, AT_ENGINE, AT_START, AT_BOOT, AT_REPORT } at;
	enum pb_err rc;             /* of pb_engine_new / pb_boot_start */
	char err[256];
	int done, hung;
	char outcome[32];
	enum pb_err boot_err;
	char message[256];
	int report;                 /* pb_boot_report() gave one */
	int closed;                 /* uv_loop_close() == 0 */
	unsigned long count;        /* allocations counted */
	unsigned long n_start, n_boot; /* of them, by the start and the boot */
	char site[256];
};

/* TORTURE_TRACE=1: the boot's trace on stderr */
static void on_trace(void *arg, double ms, const char *line)
{
	(void)arg;
	fprintf(stderr, "%8.1f %s\n", ms, line);
}

static struct run *cur_run;

/* The boot is over: the loop stops waiting (a boot that ends from a timer
 * leaves nothing else to wake the loop before the guard). */
static void on_done(struct pb_boot *b, void *arg)
{
	uv_loop_t *loop = arg;

	(void)b;
	cur_run->done = 1;
	uv_stop(loop);
}

/* Boot once in a fresh world, failing allocation fail_at (0: none). */
static int boot_once(const struct variant *v, unsigned long fail_at, struct run *r)
{
	struct world w;
	struct pb_logon_opts o;
	struct pb_engine *e = NULL;
	struct pb_boot *b = NULL;
	const char *msg = "";
	json_t *rep = NULL;

	memset(r, 0, sizeof(*r));
	if (world_up(&w, v) != 0) {
		if (w.loop_ok)
			world_down(&w);
		return -1;
	}
	memset(&o, 0, sizeof(o));
	o.user = "alice";
	o.domain = "corp.example";
	o.profile = modern;
	o.dns = w.dns_list;
	o.n_dns = 1;
	o.password = v->password;
	o.device_roots = w.roots;
	o.attempts = 1;
	o.timeout_ms = 300;
	o.now = time(NULL);
	if (getenv("TORTURE_TRACE"))
		o.trace = on_trace;

	torture_arm(fail_at);
	r->rc = pb_engine_new(&w.loop, &e);
	if (torture_fired())
		r->at = AT_ENGINE;
	if (r->rc != PB_OK)
		goto out;
	cur_run = r;
	r->rc = pb_boot_start(e, &o, on_done, &w.loop, &b, r->err, sizeof(r->err));
	if (torture_fired() && !r->at)
		r->at = AT_START;
	r->n_start = torture_count();
	if (r->rc != PB_OK)
		goto out;
	if (loop_run_until(&w.loop, &r->done, BOOT_MS) != 0) {
		r->hung = 1;
		pb_boot_cancel(b);
		loop_run_until(&w.loop, &r->done, BOOT_MS);
	}
	if (torture_fired() && !r->at)
		r->at = AT_BOOT;
	r->n_boot = torture_count() - r->n_start;
	snprintf(r->outcome, sizeof(r->outcome), "%s", pb_boot_outcome(b));
	r->boot_err = pb_boot_error(b, &msg);
	snprintf(r->message, sizeof(r->message), "%s", msg ? msg : "");
	rep = pb_boot_report(b);
	if (torture_fired() && !r->at)
		r->at = AT_REPORT;
	r->report = rep != NULL;
	json_decref(rep);
out:
	r->count = torture_count();
	if (torture_fired())
		torture_site(r->site, sizeof(r->site));
	torture_disarm();
	pb_boot_free(b);
	pb_engine_free(e);
	r->closed = world_down(&w) == 0;
	return 0;
}

/* NULL when run r ended as it must, else why not. */
static const char *judge(const struct variant *v, const struct run *r)
{
	if (!r->closed)
		return "a handle was left open on the loop";
	if (r->hung)
		return "the boot did not end within the bound";
	switch (r->at) {
	case AT_NONE:
		/* not reached (a run that allocated less): it must be whole */
		if (r->rc != PB_OK || strcmp(r->outcome, v->expect) || !r->report)
			return "no allocation failed, yet the boot did not end as without failures";
		return NULL;
	case AT_ENGINE:
	case AT_START:
		if (r->rc == PB_ERR_NOMEM)
			return NULL;
		if (r->rc != PB_OK)
			return "pb_engine_new/pb_boot_start refused, but not with PB_ERR_NOMEM";
		/* the start went on despite it: the boot must say so */
		/* fall through */
	case AT_BOOT:
		if (!r->done)
			return "the callback never ran";
		if (strcmp(r->outcome, "internal-error"))
			return strcmp(r->outcome, v->expect)
				? "the boot ended with a network cause, not internal-error"
				: "the boot ended as if nothing had failed";
		if (r->boot_err == PB_OK)
			return "internal-error, but pb_boot_error() says PB_OK";
		if (!r->message[0])
			return "internal-error without a message";
		if (r->report)
			return "internal-error, yet pb_boot_report() made a report";
		return NULL;
	case AT_REPORT:
		if (strcmp(r->outcome, v->expect))
			return "the boot did not end as without failures";
		if (r->report)
			return "pb_boot_report() returned a report built without the failed piece";
		return NULL;
	}
	return "?";
}

static double now_s(void)
{
	return (double)uv_hrtime() / 1e9;
}

struct totals {
	unsigned long passed, failed;
	int leaked;                 /* a leak was reported */
	double t0, budget;
};

/* Variant v: the unarmed run (K allocations), then fail each of
 * first..last (all of them when last is 0). */
static void run_variant(const struct variant *v, unsigned long first, unsigned long last,
			struct totals *t)
{
	unsigned long n, total, v_pass = 0, v_fail = 0;
	double tv = now_s();
	struct run r;

	cur_variant = v->name;
	cur_n = 0;
	if (boot_once(v, 0, &r) != 0 || judge(v, &r)) {
		printf("torture: %s: FAIL without any failed allocation: outcome %s%s%s\n",
		       v->name, r.outcome, r.rc ? ", start: " : "", r.rc ? r.err : "");
		t->failed++;
		return;
	}
	total = r.count;
	printf("torture: %s: K = %lu allocations per boot (start %lu, boot %lu, report %lu)\n",
	       v->name, total, r.n_start, r.n_boot, total - r.n_start - r.n_boot);
	if (!last)
		last = total;
	for (n = first; n <= last; n++) {
		const char *why;

		if (now_s() - t->t0 > t->budget) {
			printf("torture: %s: FAIL the run exceeded %.0f s at allocation %lu of %lu\n",
			       v->name, t->budget, n, total);
			v_fail++;
			break;
		}
		cur_n = n;
		if (boot_once(v, n, &r) != 0) {
			printf("torture: %s: FAIL the mock world does not start\n", v->name);
			v_fail++;
			break;
		}
		why = judge(v, &r);
		/* nothing the boot allocated outlives it; a leak stays leaked,
		 * so after the first one only the check at exit runs (it would
		 * blame every later run) */
		if (!why && !t->leaked && __lsan_do_recoverable_leak_check()) {
			why = "a leak (LeakSanitizer's report above)";
			t->leaked = 1;
		}
		if (why) {
			printf("torture: %s: FAIL allocation %lu of %lu (%s): %s [outcome %s, %s%s]\n",
			       v->name, n, total, r.site[0] ? r.site : "not reached", why,
			       r.rc ? "refused" : r.outcome, r.message[0] ? "message: " : "",
			       r.message[0] ? r.message : r.err);
			v_fail++;
		} else {
			v_pass++;
		}
		fflush(stdout);
	}
	printf("torture: %s: %lu runs in %.1f s, %lu failed\n", v->name, v_pass + v_fail,
	       now_s() - tv, v_fail);
	t->passed += v_pass;
	t->failed += v_fail;
}

int main(void)
{
	const char *dir = getenv("PB_PROFILES") ? getenv("PB_PROFILES") : "profiles";
	/* TORTURE_ONLY=variant or variant:N runs that much */
	const char *only = getenv("TORTURE_ONLY"), *colon = only ? strchr(only, ':') : NULL;
	struct totals t = { 0, 0, 0, now_s(), DEFAULT_BUDGET_S };
	struct pb_catalog *catalog;
	char err[256] = "";
	size_t k;

	if (getenv("TORTURE_SECONDS"))
		t.budget = strtod(getenv("TORTURE_SECONDS"), NULL);
	fixtures = getenv("PB_FIXTURES") ? getenv("PB_FIXTURES") : "build/fixtures";
	/* jansson allocates for phoneboot: count it too (process-wide) */
	json_set_alloc_funcs(torture_malloc, torture_free);
	__sanitizer_set_death_callback(on_death);
	if (pb_catalog_load(dir, &catalog, err, sizeof(err)) != PB_OK ||
	    !(modern = pb_catalog_find(catalog, "generic-modern"))) {
		fprintf(stderr, "torture: profiles: %s\n", err);
		printf("torture: 0 passed, 1 failed\n");
		return 1;
	}
	for (k = 0; k < sizeof(variants) / sizeof(variants[0]); k++) {
		const struct variant *v = &variants[k];
		unsigned long n = colon ? strtoul(colon + 1, NULL, 10) : 0;

		if (only && strncmp(only, v->name, colon ? (size_t)(colon - only) : strlen(only)))
			continue;
		run_variant(v, n ? n : 1, n, &t);
	}
	pb_catalog_free(catalog);
	printf("torture: %lu passed, %lu failed\n", t.passed, t.failed);
	return t.failed ? 1 : 0;
}
