/* The summary of a fleet (phoneboot/fleet.h): counts, causes and latency
 * percentiles from report lines. Everything kept is independent of the
 * order the lines come in (counts, histograms, maxima, the examples of
 * lowest index), so shards merged sum up to the unsharded run exactly.
 * Memory is bounded: histograms of fixed size, at most MAX_CAUSES causes
 * and MAX_TARGETS targets. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phoneboot/codes.h"
#include "phoneboot/fleet.h"

/* Log-scale buckets, each 2% wider than the one before, from 10 us; the
 * last one holds everything from about 2.8 hours on. A percentile is
 * the geometric middle of its bucket: within 1% of the true value. */
#define H_MIN_MS 0.01
#define H_GROWTH 1.02
#define H_BUCKETS 1100

#define MAX_CAUSES 128
#define MAX_TARGETS 64
#define EXAMPLES 3

/* the outcomes, in the order the summary shows them */
static const char *const outcomes[] = {
	"signed-in", "failed", "loop", "cancelled", "internal-error",
};
#define N_OUTCOMES (sizeof(outcomes) / sizeof(outcomes[0]))

struct hist {
	unsigned long n;
	double max;
	unsigned *b;                 /* H_BUCKETS, allocated on first use */
};

struct example {
	long long index;
	char identity[128];
};

struct cause {
	char step[32], cause[48];
	unsigned long count;
	struct example ex[EXAMPLES];
	unsigned n_ex;
};

struct target {
	char name[128];
	unsigned long count;
};

struct pb_fleet_summary {
	unsigned long phones, outcome[N_OUTCOMES], other_outcome;
	struct hist step[PB_STEP_COUNT], boot;
	unsigned long step_failed[PB_STEP_COUNT];
	struct cause cause[MAX_CAUSES];
	size_t n_causes;
	unsigned long causes_dropped;
	struct target target[MAX_TARGETS];
	size_t n_targets;
	unsigned long targets_other;
	long long seq;               /* lines without an index: in arrival order */
};

enum pb_err pb_fleet_summary_new(struct pb_fleet_summary **out)
{
	struct pb_fleet_summary *s = calloc(1, sizeof(*s));

	if (!s)
		return PB_ERR_NOMEM;
	*out = s;
	return PB_OK;
}

void pb_fleet_summary_free(struct pb_fleet_summary *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < PB_STEP_COUNT; i++)
		free(s->step[i].b);
	free(s->boot.b);
	free(s);
}

static size_t bucket_of(double ms)
{
	double k;

	if (!(ms > H_MIN_MS))        /* also NaN */
		return 0;
	k = floor(log(ms / H_MIN_MS) / log(H_GROWTH)) + 1;
	return k >= H_BUCKETS - 1 ? H_BUCKETS - 1 : (size_t)k;
}

/* the geometric middle of bucket k */
static double bucket_mid(size_t k)
{
	if (k == 0)
		return H_MIN_MS / 2;
	return H_MIN_MS * pow(H_GROWTH, (double)k - 0.5);
}

static int hist_add(struct hist *h, double ms)
{
	if (!h->b && !(h->b = calloc(H_BUCKETS, sizeof(*h->b))))
		return -1;
	h->b[bucket_of(ms)]++;
	h->n++;
	if (ms > h->max)
		h->max = ms;
	return 0;
}

/* The p-th percentile: the smallest value with at least p% of the
 * values at or below it (nearest rank). */
static double hist_pct(const struct hist *h, double p)
{
	unsigned long rank, seen = 0;
	size_t k;
	double v;

	if (!h->n)
		return 0;
	rank = (unsigned long)ceil(p / 100.0 * (double)h->n);
	if (rank < 1)
		rank = 1;
	for (k = 0; k < H_BUCKETS; k++) {
		seen += h->b[k];
		if (seen >= rank)
			break;
	}
	v = bucket_mid(k < H_BUCKETS ? k : H_BUCKETS - 1);
	/* rounded to the microsecond, and never past the largest value seen */
	v = round(v * 1000) / 1000;
	return v > h->max ? h->max : v;
}

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static int step_index(const char *id)
{
	int i;

	for (i = 0; i < PB_STEP_COUNT; i++)
		if (!strcmp(pb_step_str((enum pb_step)i), id))
			return i;
	return -1;
}

static void add_example(struct cause *c, long long index, const char *identity)
{
	unsigned i, at;

	for (at = 0; at < c->n_ex && c->ex[at].index <= index; at++)
		;
	if (at == EXAMPLES)
		return;
	if (c->n_ex < EXAMPLES)
		c->n_ex++;
	for (i = c->n_ex - 1; i > at; i--)
		c->ex[i] = c->ex[i - 1];
	c->ex[at].index = index;
	snprintf(c->ex[at].identity, sizeof(c->ex[at].identity), "%s", identity);
}

static void add_cause(struct pb_fleet_summary *s, const char *step, const char *cause,
		      long long index, const char *identity)
{
	struct cause *c = NULL;
	size_t i;

	for (i = 0; i < s->n_causes; i++)
		if (!strcmp(s->cause[i].step, step) && !strcmp(s->cause[i].cause, cause)) {
			c = &s->cause[i];
			break;
		}
	if (!c) {
		if (s->n_causes == MAX_CAUSES) {
			s->causes_dropped++;
			return;
		}
		c = &s->cause[s->n_causes++];
		snprintf(c->step, sizeof(c->step), "%s", step);
		snprintf(c->cause, sizeof(c->cause), "%s", cause);
	}
	c->count++;
	add_example(c, index, identity);
}

static void add_target(struct pb_fleet_summary *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_targets; i++)
		if (!strcmp(s->target[i].name, name)) {
			s->target[i].count++;
			return;
		}
	if (s->n_targets == MAX_TARGETS) {
		s->targets_other++;
		return;
	}
	snprintf(s->target[s->n_targets].name, sizeof(s->target[0].name), "%s", name);
	s->target[s->n_targets++].count = 1;
}

enum pb_err pb_fleet_summary_add(struct pb_fleet_summary *s, const json_t *line)
{
	const char *outcome = json_string_value(json_object_get(line, "outcome"));
	const json_t *d = json_object_get(line, "diagnosis"), *st, *idx;
	long long index;
	size_t i;

	if (!json_is_object(line) || !outcome)
		return PB_ERR_PARSE;
	idx = json_object_get(line, "index");
	index = json_is_integer(idx) ? (long long)json_integer_value(idx) : s->seq;
	s->seq++;
	s->phones++;
	for (i = 0; i < N_OUTCOMES; i++)
		if (!strcmp(outcome, outcomes[i]))
			break;
	if (i < N_OUTCOMES)
		s->outcome[i]++;
	else
		s->other_outcome++;
	if (!strcmp(outcome, "signed-in")) {
		if (*str(line, "target"))
			add_target(s, str(line, "target"));
	} else if (json_is_object(d)) {
		add_cause(s, str(d, "step"), str(d, "cause"), index, str(line, "identity"));
	} else if (!strcmp(outcome, "internal-error")) {
		add_cause(s, "-", "internal-error", index, str(line, "identity"));
	}
	json_array_foreach(json_object_get(line, "steps"), i, st) {
		int k = step_index(str(st, "step"));

		if (k < 0 || !strcmp(str(st, "result"), "skipped"))
			continue;
		if (hist_add(&s->step[k], json_number_value(json_object_get(st, "ms"))) < 0)
			return PB_ERR_NOMEM;
		if (!strcmp(str(st, "result"), "fail"))
			s->step_failed[k]++;
	}
	if (json_is_number(json_object_get(line, "boot_ms")) &&
	    hist_add(&s->boot, json_number_value(json_object_get(line, "boot_ms"))) < 0)
		return PB_ERR_NOMEM;
	return PB_OK;
}

static json_t *pcts(const struct hist *h)
{
	return json_pack("{s:I,s:f,s:f,s:f,s:f}", "n", (json_int_t)h->n, "p50",
			 hist_pct(h, 50), "p95", hist_pct(h, 95), "p99", hist_pct(h, 99),
			 "max", h->max);
}

static int by_count(const void *a, const void *b)
{
	const struct cause *x = a, *y = b;
	int c;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if ((c = strcmp(x->step, y->step)))
		return c;
	return strcmp(x->cause, y->cause);
}

static int target_by_count(const void *a, const void *b)
{
	const struct target *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

json_t *pb_fleet_summary_json(const struct pb_fleet_summary *s)
{
	json_t *doc = json_object(), *o = json_object(), *causes = json_array(),
	       *steps = json_array(), *targets = json_array();
	struct cause *sorted = NULL;
	struct target *tsorted = NULL;
	size_t i, k;
	int bad = !doc || !o || !causes || !steps || !targets;

	for (i = 0; !bad && i < N_OUTCOMES; i++)
		bad |= json_object_set_new(o, outcomes[i], json_integer((json_int_t)s->outcome[i]));
	if (!bad && s->other_outcome)
		bad |= json_object_set_new(o, "other", json_integer((json_int_t)s->other_outcome));
	if (!bad && s->n_causes && !(sorted = malloc(s->n_causes * sizeof(*sorted))))
		bad = 1;
	if (sorted) {
		memcpy(sorted, s->cause, s->n_causes * sizeof(*sorted));
		qsort(sorted, s->n_causes, sizeof(*sorted), by_count);
	}
	for (i = 0; !bad && sorted && i < s->n_causes; i++) {
		json_t *ex = json_array(), *c;

		for (k = 0; ex && k < sorted[i].n_ex; k++)
			json_array_append_new(ex, json_string(sorted[i].ex[k].identity));
		c = json_pack("{s:s,s:s,s:I,s:o*}", "step", sorted[i].step, "cause",
			      sorted[i].cause, "count", (json_int_t)sorted[i].count, "examples", ex);
		bad |= !c || json_array_append_new(causes, c) < 0;
	}
	if (!bad && s->causes_dropped)
		bad |= json_array_append_new(causes, json_pack("{s:s,s:s,s:I,s:[]}", "step", "-",
			"cause", "other", "count", (json_int_t)s->causes_dropped, "examples")) < 0;
	for (i = 0; !bad && i < PB_STEP_COUNT; i++) {
		json_t *p;

		if (!s->step[i].n)
			continue;
		p = json_pack("{s:s,s:I,s:I,s:f,s:f,s:f,s:f}", "step",
			      pb_step_str((enum pb_step)i), "n", (json_int_t)s->step[i].n, "failed",
			      (json_int_t)s->step_failed[i], "p50", hist_pct(&s->step[i], 50),
			      "p95", hist_pct(&s->step[i], 95), "p99", hist_pct(&s->step[i], 99),
			      "max", s->step[i].max);
		bad |= !p || json_array_append_new(steps, p) < 0;
	}
	if (!bad && s->n_targets && !(tsorted = malloc(s->n_targets * sizeof(*tsorted))))
		bad = 1;
	if (tsorted) {
		memcpy(tsorted, s->target, s->n_targets * sizeof(*tsorted));
		qsort(tsorted, s->n_targets, sizeof(*tsorted), target_by_count);
	}
	for (i = 0; !bad && tsorted && i < s->n_targets; i++)
		bad |= json_array_append_new(targets, json_pack("{s:s,s:I}", "target",
			tsorted[i].name, "count", (json_int_t)tsorted[i].count)) < 0;
	if (!bad && s->targets_other)
		bad |= json_array_append_new(targets, json_pack("{s:s,s:I}", "target", "(other)",
			"count", (json_int_t)s->targets_other)) < 0;
	free(sorted);
	free(tsorted);
	if (!bad) {
		bad |= json_object_set_new(doc, "phones", json_integer((json_int_t)s->phones)) < 0;
		bad |= json_object_set_new(doc, "outcomes", o) < 0;
		o = NULL;
		bad |= json_object_set_new(doc, "causes", causes) < 0;
		causes = NULL;
		bad |= json_object_set_new(doc, "steps", steps) < 0;
		steps = NULL;
		bad |= json_object_set_new(doc, "boot_ms", pcts(&s->boot)) < 0;
		bad |= json_object_set_new(doc, "targets", targets) < 0;
		targets = NULL;
	}
	json_decref(o);
	json_decref(causes);
	json_decref(steps);
	json_decref(targets);
	if (bad) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
