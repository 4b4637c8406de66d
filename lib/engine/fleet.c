/* A fleet: many boots on one engine (phoneboot/fleet.h). One timer paces
 * the starts (concurrency and rate); each boot is freed as its report
 * line is handed over, so what a fleet holds grows with the phones in
 * flight, never with the phones done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/boot_int.h"
#include "phoneboot/fleet.h"

/* a phone in flight */
struct slot {
	struct pb_fleet *f;
	struct pb_boot *b;
	struct pb_logon_opts o;
	size_t index;
	void *data;                  /* the caller's, from the phone callback */
	uint64_t t0;
	struct slot *next, *prev;
};

struct pb_fleet {
	struct pb_engine *eng;
	uv_loop_t *loop;
	struct pb_fleet_conf c;
	uv_timer_t pace;
	size_t next;                 /* next index to start */
	size_t total, started, finished, signed_in;
	struct slot *live;           /* in flight */
	size_t in_flight;
	uint64_t t0;
	int running, stopping, over_called, freed;
	enum pb_err err;
	char msg[256];
};

size_t pb_fleet_shard_size(size_t count, unsigned k, unsigned n)
{
	if (n <= 1)
		return count;
	if (k >= n || count <= k)
		return 0;
	return (count - k + n - 1) / n;
}

/* Per boot: its directory connection and its SIP connection (never both
 * open at once today, but a redirect may briefly hold two); the
 * engine's resolvers (c-ares keeps a few sockets each) and DHCP sockets;
 * stdio, the loop's own descriptors, output files. */
unsigned long pb_fleet_fds_needed(unsigned concurrency)
{
	return 2UL * concurrency + 64;
}

enum pb_err pb_fleet_new(struct pb_engine *e, const struct pb_fleet_conf *c,
			 struct pb_fleet **out, char *err, size_t errlen)
{
	struct pb_fleet *f;

	if (!c->phone) {
		snprintf(err, errlen, "a fleet needs a phone callback");
		return PB_ERR_USAGE;
	}
	if (c->shards > 1 && c->shard >= c->shards) {
		snprintf(err, errlen, "shard %u of %u: the shard is 0..%u", c->shard, c->shards,
			 c->shards - 1);
		return PB_ERR_USAGE;
	}
	if (c->rate < 0) {
		snprintf(err, errlen, "a negative rate");
		return PB_ERR_USAGE;
	}
	if (!(f = calloc(1, sizeof(*f)))) {
		snprintf(err, errlen, "out of memory");
		return PB_ERR_NOMEM;
	}
	f->eng = e;
	f->loop = engine_loop(e);
	f->c = *c;
	if (!f->c.concurrency)
		f->c.concurrency = 1;
	if (f->c.shards <= 1) {
		f->c.shards = 1;
		f->c.shard = 0;
	}
	f->next = f->c.shard;
	f->total = pb_fleet_shard_size(c->count, f->c.shard, f->c.shards);
	uv_timer_init(f->loop, &f->pace);
	f->pace.data = f;
	*out = f;
	return PB_OK;
}

static void pump(struct pb_fleet *f);

static void on_pace(uv_timer_t *t)
{
	pump(t->data);
}

static void over_if_done(struct pb_fleet *f)
{
	if (f->over_called || f->in_flight)
		return;
	if (!f->stopping && f->next < f->c.count)
		return;
	f->over_called = 1;
	uv_timer_stop(&f->pace);
	if (f->c.over)
		f->c.over(f->c.arg);
}

static void fail(struct pb_fleet *f, enum pb_err err, const char *msg)
{
	if (f->err == PB_OK) {
		f->err = err;
		snprintf(f->msg, sizeof(f->msg), "%s", msg);
	}
	f->stopping = 1;
}

/* The line for a boot that ended with phoneboot's own failure (it has no
 * report): enough for the summary to count it. */
static json_t *internal_line(const struct slot *s)
{
	const char *msg;
	char identity[512];

	pb_boot_error(s->b, &msg);
	snprintf(identity, sizeof(identity), "%s@%s", s->o.user, s->o.domain);
	return json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s}", "tool", "phoneboot", "version",
			 "0.1.0", "identity", identity, "profile", "id", s->o.profile->id,
			 "name", s->o.profile->name, "outcome", "internal-error", "error", msg);
}

static void unlink_slot(struct pb_fleet *f, struct slot *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		f->live = s->next;
	if (s->next)
		s->next->prev = s->prev;
	f->in_flight--;
}

static void on_boot(struct pb_boot *b, void *arg)
{
	struct slot *s = arg;
	struct pb_fleet *f = s->f;
	const char *outcome = pb_boot_outcome(b);
	json_t *line;

	unlink_slot(f, s);
	f->finished++;
	if (!strcmp(outcome, "signed-in"))
		f->signed_in++;
	line = !strcmp(outcome, "internal-error") ? internal_line(s) : pb_boot_report(b);
	if (line) {
		json_object_set_new(line, "index", json_integer((json_int_t)s->index));
		json_object_set_new(line, "boot_ms",
				    json_real((double)(uv_hrtime() - s->t0) / 1e6));
		if (f->c.done)
			f->c.done(f->c.arg, s->index, s->data, line);
		json_decref(line);
	} else {
		fail(f, PB_ERR_NOMEM, "out of memory making a report");
		if (f->c.done)
			f->c.done(f->c.arg, s->index, s->data, NULL);
	}
	/* the boot is freed inside its own callback: the engine touches it
	 * no more after the callback (lib/engine/boot.c on_tick) */
	pb_boot_free(b);
	free(s);
	if (f->freed)
		return;
	pump(f);
	over_if_done(f);
}

static int start_one(struct pb_fleet *f)
{
	struct slot *s = calloc(1, sizeof(*s));
	char err[256];
	enum pb_err rc;

	if (!s) {
		fail(f, PB_ERR_NOMEM, "out of memory starting a phone");
		return -1;
	}
	s->f = f;
	s->index = f->next;
	rc = f->c.phone(f->c.arg, s->index, &s->o, &s->data, err, sizeof(err));
	if (f->c.summary_only)
		s->o.no_exchanges = 1;
	if (rc == PB_OK &&
	    (rc = pb_boot_start(f->eng, &s->o, on_boot, s, &s->b, err, sizeof(err))) != PB_OK &&
	    f->c.done)
		f->c.done(f->c.arg, s->index, s->data, NULL);
	if (rc != PB_OK) {
		char msg[300];

		snprintf(msg, sizeof(msg), "phone %zu: %s", s->index, err);
		free(s);
		fail(f, rc, msg);
		return -1;
	}
	s->t0 = uv_hrtime();
	f->next += f->c.shards;
	f->started++;
	s->next = f->live;
	if (f->live)
		f->live->prev = s;
	f->live = s;
	f->in_flight++;
	return 0;
}

/* Start what concurrency and rate allow now; wake up when the rate
 * allows the next one. */
static void pump(struct pb_fleet *f)
{
	unsigned burst = 0;

	if (!f->running)
		return;
	while (!f->stopping && f->next < f->c.count && f->in_flight < f->c.concurrency) {
		if (f->c.rate > 0) {
			double elapsed = (double)(uv_hrtime() - f->t0) / 1e9;
			double due = (double)f->started / f->c.rate;

			if (due > elapsed) {
				uint64_t ms = (uint64_t)((due - elapsed) * 1e3) + 1;

				uv_timer_start(&f->pace, on_pace, ms, 0);
				return;
			}
		}
		if (start_one(f) < 0)
			break;
		/* give the loop a turn now and then: a large concurrency
		 * must not starve the boots already started */
		if (++burst == 256) {
			uv_timer_start(&f->pace, on_pace, 0, 0);
			return;
		}
	}
	over_if_done(f);
}

void pb_fleet_start(struct pb_fleet *f)
{
	if (f->running)
		return;
	f->running = 1;
	f->t0 = uv_hrtime();
	uv_timer_start(&f->pace, on_pace, 0, 0);
}

void pb_fleet_stop(struct pb_fleet *f)
{
	if (!f || f->stopping)
		return;
	f->stopping = 1;
	uv_timer_stop(&f->pace);
	/* the over callback comes from the loop, never from inside this call */
	if (f->running && !f->in_flight)
		uv_timer_start(&f->pace, on_pace, 0, 0);
}

void pb_fleet_cancel(struct pb_fleet *f)
{
	struct slot *s;

	if (!f)
		return;
	pb_fleet_stop(f);
	/* each cancel reports from the loop: the list is not changed here */
	for (s = f->live; s; s = s->next)
		pb_boot_cancel(s->b);
}

void pb_fleet_get_progress(const struct pb_fleet *f, struct pb_fleet_progress *p)
{
	memset(p, 0, sizeof(*p));
	p->total = f->total;
	p->started = f->started;
	p->in_flight = f->in_flight;
	p->finished = f->finished;
	p->signed_in = f->signed_in;
	p->elapsed_s = f->running ? (double)(uv_hrtime() - f->t0) / 1e9 : 0;
	p->stopping = f->stopping;
}

enum pb_err pb_fleet_error(const struct pb_fleet *f, const char **message)
{
	if (message)
		*message = f->msg;
	return f->err;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void pb_fleet_free(struct pb_fleet *f)
{
	if (!f)
		return;
	f->freed = 1;
	while (f->live) {
		struct slot *s = f->live;

		unlink_slot(f, s);
		pb_boot_free(s->b);
		if (f->c.done)
			f->c.done(f->c.arg, s->index, s->data, NULL);
		free(s);
	}
	uv_timer_stop(&f->pace);
	uv_close((uv_handle_t *)&f->pace, on_closed);
}
