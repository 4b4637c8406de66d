/* Fleets (phoneboot/fleet.h) against the in-process mock DNS server and
 * registrar of tests/mock/: 200 whole boots on one engine with counts
 * that add up, shards whose merged summary is the unsharded one, file
 * descriptors flat, concurrency and rate kept, stop and cancel; and the
 * summary's arithmetic on lines of known values. Every loop run is
 * bounded in iterations and time. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "phoneboot/phoneboot.h"
#include "../mock/dnsd.h"
#include "../mock/sipreg.h"

/* the mock registrar takes SIPREG_MAX_CONNS (16) connections at once;
 * the phones of a fleet hold one each while in flight */
#define CONC 10
#define N_PHONES 200

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

static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;           /* the directory's own */
}

/* ---- the world: a DNS server and a registrar on 127.0.0.1 ---- */

struct world {
	uv_loop_t loop;
	struct dnsd *dns;
	struct sipreg *reg;
	struct pb_engine *eng;
	struct pb_trust *roots;
	char dns_addr[64];
	const char *dns_list[1];
	struct dnsd_rr srv[1], a[1];
	struct dnsd_rule rules[3];
};

static void world_up(struct world *w, enum sipreg_mode mode)
{
	char err[256];
	struct sipreg_conf c;

	memset(w, 0, sizeof(*w));
	assert_int_equal(uv_loop_init(&w->loop), 0);
	sipreg_fixture_conf(&c, mode);
	assert_int_equal(sipreg_start(&w->loop, &c, &w->reg), 0);
	w->srv[0] = (struct dnsd_rr){ NULL, 10, 0, sipreg_port(w->reg), "pool.test.example" };
	w->a[0] = (struct dnsd_rr){ "127.0.0.1", 0, 0, 0, NULL };
	w->rules[0] = (struct dnsd_rule){ "_sips._tcp.test.example", "SRV", 0, DNSD_NOERROR,
					  w->srv, 1 };
	w->rules[1] = (struct dnsd_rule){ NULL, "A", 0, DNSD_NOERROR, w->a, 1 };
	w->rules[2] = (struct dnsd_rule){ NULL, NULL, 0, DNSD_NXDOMAIN, NULL, 0 };
	assert_int_equal(dnsd_start(&w->loop, w->rules, 3, &w->dns), 0);
	snprintf(w->dns_addr, sizeof(w->dns_addr), "127.0.0.1:%u", dnsd_port(w->dns));
	w->dns_list[0] = w->dns_addr;
	assert_int_equal(pb_trust_new(&w->roots), PB_OK);
	assert_int_equal(pb_trust_add_file(w->roots, sipreg_fixture_root(), err, sizeof(err)), PB_OK);
	assert_int_equal(pb_engine_new(&w->loop, &w->eng), PB_OK);
}

static void drain(uv_loop_t *loop)
{
	unsigned spins = 0;

	while (uv_run(loop, UV_RUN_NOWAIT) && spins++ < 1000)
		;
}

static void world_down(struct world *w)
{
	pb_engine_free(w->eng);
	sipreg_stop(w->reg);
	dnsd_stop(w->dns);
	drain(&w->loop);
	assert_int_equal(uv_loop_close(&w->loop), 0);
	pb_trust_free(w->roots);
}

/* ---- a fleet run ---- */

/* Phone i: every fifth alice (signs in), the next one alice with a wrong
 * password (sip-auth-failed), the rest users the registrar does not know
 * (sip-not-found). */
struct run {
	struct world *w;
	char users[N_PHONES][16];
	struct pb_fleet *f;
	struct pb_fleet_summary *sum;
	json_t *lines;               /* every line, or NULL */
	unsigned done_calls, over_calls, max_fds, max_in_flight;
	int over;
	size_t stop_after;           /* pb_fleet_stop() after this many; 0: never */
	size_t cancel_after;
};

static enum pb_err phone(void *arg, size_t i, struct pb_logon_opts *o, void **data,
			 char *err, size_t len)
{
	struct run *r = arg;

	*data = &r->users[i];
	(void)err;
	(void)len;
	if (i >= N_PHONES)
		return PB_ERR_USAGE;
	if (i % 5 < 2)
		snprintf(r->users[i], sizeof(r->users[i]), "alice");
	else
		snprintf(r->users[i], sizeof(r->users[i]), "u%04zu", i);
	o->user = r->users[i];
	o->domain = "test.example";
	o->profile = modern;
	o->dns = r->w->dns_list;
	o->n_dns = 1;
	o->password = i % 5 == 1 ? "wrong" : "secret";
	o->device_roots = r->w->roots;
	o->attempts = 1;
	o->timeout_ms = 2000;
	o->now = time(NULL);
	return PB_OK;
}

static void done(void *arg, size_t i, void *data, json_t *line)
{
	struct run *r = arg;
	struct pb_fleet_progress p;
	unsigned fds = count_fds();

	assert_ptr_equal(data, &r->users[i]);
	assert_non_null(line);
	assert_int_equal(json_integer_value(json_object_get(line, "index")), (json_int_t)i);
	assert_true(json_is_real(json_object_get(line, "boot_ms")));
	r->done_calls++;
	if (fds > r->max_fds)
		r->max_fds = fds;
	pb_fleet_get_progress(r->f, &p);
	if (p.in_flight + 1 > r->max_in_flight)
		r->max_in_flight = (unsigned)p.in_flight + 1;
	assert_int_equal(pb_fleet_summary_add(r->sum, line), PB_OK);
	if (r->lines)
		json_array_append(r->lines, line);
	if (r->stop_after && r->done_calls == r->stop_after)
		pb_fleet_stop(r->f);
	if (r->cancel_after && p.started >= r->cancel_after)
		pb_fleet_cancel(r->f);
}

static void over(void *arg)
{
	struct run *r = arg;

	r->over = 1;
	r->over_calls++;
}

static void on_guard(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Run a fleet of n phones (shard k of shards) to its end; the summary in
 * r->sum. */
static void run_fleet(struct world *w, struct run *r, size_t n, unsigned k, unsigned shards,
		      double rate)
{
	struct pb_fleet_conf c;
	uv_timer_t guard;
	char err[256];
	int expired = 0;
	unsigned spins = 0;

	r->w = w;
	assert_int_equal(pb_fleet_summary_new(&r->sum), PB_OK);
	memset(&c, 0, sizeof(c));
	c.count = n;
	c.concurrency = CONC;
	c.rate = rate;
	c.shard = k;
	c.shards = shards;
	c.phone = phone;
	c.done = done;
	c.over = over;
	c.arg = r;
	assert_int_equal(pb_fleet_new(w->eng, &c, &r->f, err, sizeof(err)), PB_OK);
	pb_fleet_start(r->f);
	uv_timer_init(&w->loop, &guard);
	guard.data = &expired;
	uv_timer_start(&guard, on_guard, 60000, 0);
	while (!r->over && !expired && spins++ < 2000000)
		uv_run(&w->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	assert_true(r->over);
	assert_int_equal(r->over_calls, 1);
	assert_int_equal(pb_fleet_error(r->f, NULL), PB_OK);
	pb_fleet_free(r->f);
	drain(&w->loop);
}

static json_int_t outcome_n(json_t *sum, const char *o)
{
	return json_integer_value(json_object_get(json_object_get(sum, "outcomes"), o));
}

static json_t *full_lines;       /* the unsharded run's lines, for the merge test */
static json_t *full_summary;

/* 200 phones, 10 in flight: every one reported once, the counts add up,
 * the causes ranked with their first phones, fds flat. */
static void two_hundred(void **st)
{
	struct world w;
	struct run *r = calloc(1, sizeof(*r));
	struct pb_fleet_progress p;
	json_t *sum, *causes, *c0, *steps, *s;
	unsigned fds0, fds1, fds2;
	size_t i;

	(void)st;
	/* once per process, OpenSSL and c-ares keep descriptors of their own
	 * (the random device, the resolver's configuration): a world up and
	 * down first */
	world_up(&w, SIPREG_DIGEST);
	world_down(&w);
	fds0 = count_fds();
	world_up(&w, SIPREG_DIGEST);
	fds1 = count_fds();
	r->lines = json_array();
	run_fleet(&w, r, N_PHONES, 0, 0, 0);
	assert_int_equal(r->done_calls, N_PHONES);
	assert_true(r->max_in_flight <= CONC);
	sum = pb_fleet_summary_json(r->sum);
	assert_non_null(sum);
	if (getenv("PB_TEST_DUMP"))
		json_dumpf(sum, stderr, JSON_INDENT(1));
	assert_int_equal(json_integer_value(json_object_get(sum, "phones")), N_PHONES);
	assert_int_equal(outcome_n(sum, "signed-in"), 40);
	assert_int_equal(outcome_n(sum, "failed"), 160);
	assert_int_equal(outcome_n(sum, "loop") + outcome_n(sum, "cancelled") +
			 outcome_n(sum, "internal-error"), 0);
	causes = json_object_get(sum, "causes");
	assert_int_equal(json_array_size(causes), 2);
	c0 = json_array_get(causes, 0);
	assert_string_equal(json_string_value(json_object_get(c0, "cause")), "sip-not-found");
	assert_string_equal(json_string_value(json_object_get(c0, "step")), "authenticate");
	assert_int_equal(json_integer_value(json_object_get(c0, "count")), 120);
	assert_string_equal(json_string_value(json_array_get(json_object_get(c0, "examples"), 0)),
			    "u0002@test.example");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c0, "examples"), 2)),
			    "u0004@test.example");
	assert_string_equal(json_string_value(json_object_get(json_array_get(causes, 1), "cause")),
			    "sip-auth-failed");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(causes, 1), "count")), 40);
	/* per step: every phone ran locate-pool and connect; only the
	 * signed-in ones registered */
	steps = json_object_get(sum, "steps");
	json_array_foreach(steps, i, s) {
		const char *id = json_string_value(json_object_get(s, "step"));
		json_int_t n = json_integer_value(json_object_get(s, "n"));

		if (!strcmp(id, "connect") || !strcmp(id, "locate-pool"))
			assert_int_equal(n, N_PHONES);
		if (!strcmp(id, "register"))
			assert_int_equal(n, 40);
		assert_true(json_real_value(json_object_get(s, "p50")) <=
			    json_real_value(json_object_get(s, "p99")));
		assert_true(json_real_value(json_object_get(s, "p99")) <=
			    json_real_value(json_object_get(s, "max")));
	}
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "boot_ms"), "n")),
			 N_PHONES);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		json_object_get(sum, "targets"), 0), "count")), 40);
	/* descriptors: the boots' own come and go; at most 2 per boot in
	 * flight at any time, and none left behind */
	assert_true(r->max_fds <= fds1 + 2 * CONC + 8);
	fds2 = count_fds();
	assert_true(fds2 <= fds1 + 2);      /* the engine's shared resolver */
	full_lines = r->lines;
	full_summary = sum;
	pb_fleet_summary_free(r->sum);
	(void)p;
	free(r);
	world_down(&w);
	assert_int_equal(count_fds(), fds0);
}

/* The same 200 phones in 3 shards, each its own run: together every
 * phone once, and the merged summary is the unsharded one (latencies
 * aside: two runs never time alike). */
static void shards_merge(void **st)
{
	struct world w;
	struct pb_fleet_summary *merged;
	json_t *m;
	size_t seen[N_PHONES];
	unsigned k, n = 0;
	size_t i;

	(void)st;
	assert_non_null(full_summary);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(pb_fleet_summary_new(&merged), PB_OK);
	world_up(&w, SIPREG_DIGEST);
	for (k = 0; k < 3; k++) {
		struct run *r = calloc(1, sizeof(*r));
		json_t *line;

		r->lines = json_array();
		run_fleet(&w, r, N_PHONES, k, 3, 0);
		assert_int_equal(r->done_calls, pb_fleet_shard_size(N_PHONES, k, 3));
		json_array_foreach(r->lines, i, line) {
			json_int_t idx = json_integer_value(json_object_get(line, "index"));

			assert_int_equal(idx % 3, k);
			seen[idx]++;
			n++;
			assert_int_equal(pb_fleet_summary_add(merged, line), PB_OK);
		}
		json_decref(r->lines);
		pb_fleet_summary_free(r->sum);
		free(r);
	}
	world_down(&w);
	assert_int_equal(n, N_PHONES);
	for (i = 0; i < N_PHONES; i++)
		assert_int_equal(seen[i], 1);
	m = pb_fleet_summary_json(merged);
	assert_true(json_equal(json_object_get(m, "phones"), json_object_get(full_summary, "phones")));
	assert_true(json_equal(json_object_get(m, "outcomes"),
			       json_object_get(full_summary, "outcomes")));
	assert_true(json_equal(json_object_get(m, "causes"), json_object_get(full_summary, "causes")));
	/* the registrar's port differs between worlds: the counts only */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		json_object_get(m, "targets"), 0), "count")), 40);
	for (i = 0; i < json_array_size(json_object_get(m, "steps")); i++) {
		json_t *a = json_array_get(json_object_get(m, "steps"), i);
		json_t *b = json_array_get(json_object_get(full_summary, "steps"), i);

		assert_true(json_equal(json_object_get(a, "step"), json_object_get(b, "step")));
		assert_true(json_equal(json_object_get(a, "n"), json_object_get(b, "n")));
		assert_true(json_equal(json_object_get(a, "failed"), json_object_get(b, "failed")));
	}
	json_decref(m);
	pb_fleet_summary_free(merged);
}

/* The unsharded run's lines, split in 3 by index and read back in
 * another order, give exactly its summary, latencies included: what
 * `phoneboot fleet --merge` does with the shards' files. */
static void merge_exact(void **st)
{
	struct pb_fleet_summary *s;
	json_t *m;
	unsigned k;
	size_t i, n;

	(void)st;
	assert_non_null(full_lines);
	n = json_array_size(full_lines);
	assert_int_equal(pb_fleet_summary_new(&s), PB_OK);
	for (k = 3; k-- > 0;)
		for (i = n; i-- > 0;) {
			json_t *line = json_array_get(full_lines, i);
			char *text;
			json_t *back;

			if ((size_t)json_integer_value(json_object_get(line, "index")) % 3 != k)
				continue;
			/* through text, as JSON Lines files carry them */
			text = json_dumps(line, JSON_COMPACT);
			back = json_loads(text, 0, NULL);
			free(text);
			assert_int_equal(pb_fleet_summary_add(s, back), PB_OK);
			json_decref(back);
		}
	m = pb_fleet_summary_json(s);
	assert_true(json_equal(m, full_summary));
	json_decref(m);
	pb_fleet_summary_free(s);
	json_decref(full_lines);
	json_decref(full_summary);
	full_lines = full_summary = NULL;
}

/* --rate: 20 phones at 100 per second take at least 190 ms. */
static void rate(void **st)
{
	struct world w;
	struct run *r = calloc(1, sizeof(*r));
	uint64_t t0;

	(void)st;
	world_up(&w, SIPREG_DIGEST);
	t0 = uv_hrtime();
	run_fleet(&w, r, 20, 0, 0, 100);
	assert_int_equal(r->done_calls, 20);
	assert_true(uv_hrtime() - t0 >= 190000000ULL);
	pb_fleet_summary_free(r->sum);
	free(r);
	world_down(&w);
}

/* Stop: the boots in flight finish, no new one starts, the end comes. */
static void stop(void **st)
{
	struct world w;
	struct run *r = calloc(1, sizeof(*r));
	json_t *sum;

	(void)st;
	world_up(&w, SIPREG_DIGEST);
	r->stop_after = 15;
	run_fleet(&w, r, N_PHONES, 0, 0, 0);
	assert_true(r->done_calls >= 15);
	assert_true(r->done_calls <= 15 + CONC);
	sum = pb_fleet_summary_json(r->sum);
	assert_int_equal(json_integer_value(json_object_get(sum, "phones")), r->done_calls);
	assert_int_equal(outcome_n(sum, "cancelled"), 0);
	json_decref(sum);
	pb_fleet_summary_free(r->sum);
	free(r);
	world_down(&w);
}

/* Cancel while every phone waits for a silent registrar: each reported
 * "cancelled", promptly. */
static void cancel(void **st)
{
	struct world w;
	struct run *r = calloc(1, sizeof(*r));
	struct pb_fleet_conf c;
	uv_timer_t guard;
	char err[256];
	int expired = 0;
	unsigned spins = 0;
	json_t *sum;

	(void)st;
	world_up(&w, SIPREG_SILENT);
	r->w = &w;
	assert_int_equal(pb_fleet_summary_new(&r->sum), PB_OK);
	memset(&c, 0, sizeof(c));
	c.count = 50;
	c.concurrency = 5;
	c.phone = phone;
	c.done = done;
	c.over = over;
	c.arg = r;
	assert_int_equal(pb_fleet_new(w.eng, &c, &r->f, err, sizeof(err)), PB_OK);
	pb_fleet_start(r->f);
	while (sipreg_requests(w.reg) < 5 && spins++ < 200000)
		uv_run(&w.loop, UV_RUN_ONCE);
	pb_fleet_cancel(r->f);
	uv_timer_init(&w.loop, &guard);
	guard.data = &expired;
	uv_timer_start(&guard, on_guard, 1000, 0);   /* well below the 2 s timeouts */
	while (!r->over && !expired && spins++ < 400000)
		uv_run(&w.loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	assert_true(r->over);
	assert_int_equal(r->done_calls, 5);
	sum = pb_fleet_summary_json(r->sum);
	assert_int_equal(outcome_n(sum, "cancelled"), 5);
	json_decref(sum);
	pb_fleet_free(r->f);
	pb_fleet_summary_free(r->sum);
	free(r);
	world_down(&w);
}

/* The summary's arithmetic: nearest-rank percentiles within 1%, ranks,
 * examples by lowest index whatever the order, shard sizes. */
static void summary_math(void **st)
{
	struct pb_fleet_summary *s;
	json_t *sum, *st0, *c;
	int i;

	(void)st;
	assert_int_equal(pb_fleet_summary_new(&s), PB_OK);
	for (i = 100; i >= 1; i--) {
		json_t *line = json_pack("{s:s,s:s,s:i,s:f,s:[{s:s,s:s,s:f}]}", "identity",
					 i % 2 ? "odd@x" : "even@x", "outcome",
					 i % 10 ? "signed-in" : "loop", "index", i, "boot_ms",
					 (double)i, "steps", "step", "connect", "result", "ok", "ms",
					 (double)i);

		if (i % 10 == 0)
			json_object_set_new(line, "diagnosis", json_pack("{s:s,s:s}", "step",
				"install-root", "cause", "cert-sig-hash-unsupported"));
		else
			json_object_set_new(line, "target", json_string("pool:5061"));
		assert_int_equal(pb_fleet_summary_add(s, line), PB_OK);
		json_decref(line);
	}
	{
		json_t *empty = json_object();

		assert_int_equal(pb_fleet_summary_add(s, empty), PB_ERR_PARSE);
		assert_int_equal(pb_fleet_summary_add(s, NULL), PB_ERR_PARSE);
		json_decref(empty);
	}
	sum = pb_fleet_summary_json(s);
	assert_int_equal(outcome_n(sum, "signed-in"), 90);
	assert_int_equal(outcome_n(sum, "loop"), 10);
	st0 = json_array_get(json_object_get(sum, "steps"), 0);
	assert_true(json_real_value(json_object_get(st0, "p50")) >= 49.5);
	assert_true(json_real_value(json_object_get(st0, "p50")) <= 50.5);
	assert_true(json_real_value(json_object_get(st0, "p99")) >= 98);
	assert_true(json_real_value(json_object_get(st0, "p99")) <= 100);
	assert_true(json_real_value(json_object_get(st0, "max")) == 100);
	c = json_array_get(json_object_get(sum, "causes"), 0);
	assert_int_equal(json_integer_value(json_object_get(c, "count")), 10);
	assert_int_equal(json_array_size(json_object_get(c, "examples")), 3);
	json_decref(sum);
	pb_fleet_summary_free(s);
	assert_int_equal(pb_fleet_shard_size(10, 0, 3), 4);
	assert_int_equal(pb_fleet_shard_size(10, 2, 3), 3);
	assert_int_equal(pb_fleet_shard_size(2, 2, 3), 0);
	assert_int_equal(pb_fleet_shard_size(10, 0, 0), 10);
	assert_true(pb_fleet_fds_needed(1000) > 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_hundred),
		cmocka_unit_test(shards_merge),
		cmocka_unit_test(merge_exact),
		cmocka_unit_test(rate),
		cmocka_unit_test(stop),
		cmocka_unit_test(cancel),
		cmocka_unit_test(summary_math),
	};
	return cmocka_run_group_tests_name("fleet", tests, setup, teardown);
}
