/* The only place a boot moves forward (OpenSMTPD's smtp_client_state()):
 * a state enum with its name table, one transition function, every
 * transition traced, and the next state always entered from the loop
 * (a zero timer), never re-entered synchronously from a step's callback.
 *
 *   new ──> step ──> next ──> step ... ──> cycle-end ──> pause ──> new
 *                                             │
 *                                             └──> done (callback)
 *
 * A step reports through step_done(); the engine then records it, applies
 * the flow's rule (fatal or best-effort, skip a step whose input is
 * missing) and starts the next one. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "core/jx.h"
#include "dhcp/dhcp.h"
#include "dns/dns.h"
#include "diag/diag.h"
#include "engine/boot_int.h"
#include "tls/tls.h"

static const char *const state_names[] = {
	[BS_NEW] = "new", [BS_STEP] = "step", [BS_NEXT] = "next",
	[BS_CYCLE_END] = "cycle-end", [BS_PAUSE] = "pause", [BS_DONE] = "done",
	[BS_IDLE] = "idle",
};
_Static_assert(sizeof(state_names) / sizeof(state_names[0]) == BS_IDLE + 1,
	       "state_names is incomplete");

static void on_tick(uv_timer_t *t);

void boot_trace(struct boot *b, const char *fmt, ...)
{
	char line[600];
	int n;
	va_list ap;

	if (!b->o->trace)
		return;
	n = snprintf(line, sizeof(line), "%s: ", b->label);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	b->o->trace(b->o->trace_arg, engine_ms(b->eng), line);
}

/* The one transition point: every change of state goes through here, is
 * traced, and is acted on from the loop. */
static void transition(struct boot *b, enum boot_state to, const char *why)
{
	boot_trace(b, "cycle %u: %s -> %s%s%s", b->cycle, state_names[b->state],
		   state_names[to], why ? ": " : "", why ? why : "");
	b->state = to;
	if (to != BS_STEP)
		uv_timer_start(&b->tick, on_tick, 0, 0);
}

/* ---- the running step ---- */

static void end_step(struct boot *b)
{
	uv_timer_stop(&b->step_timer);
	b->step_live = 0;
}

/* The step is over, whichever way: its cancel stops what may still wait
 * and releases what it holds, then its context goes. Idempotent. */
static void release_step(struct boot *b)
{
	if (b->ops && b->ops->cancel)
		b->ops->cancel(&b->run);
	free(b->run.ctx);
	b->run.ctx = NULL;
	b->ops = NULL;
}

static void cancel_step(struct boot *b)
{
	if (b->step_live)
		b->rec.open = 0;    /* what it saw so far is not a result */
	end_step(b);
	release_step(b);
}

void step_fact(struct step_run *r, const char *key, json_t *v)
{
	rec_fact(&r->boot->rec, key, v);
}

void step_factf(struct step_run *r, const char *key, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rec_fact(&r->boot->rec, key, json_string(buf));
}

void step_peer(struct step_run *r, const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rec_peer(&r->boot->rec, buf);
}

void step_trace(struct step_run *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!r->o->trace)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	boot_trace(r->boot, "%s: %s", pb_step_str(r->boot->rec.step), buf);
}

void step_exchange(struct step_run *r, const char *peer, int to_peer, int failed,
		   const char *fmt, ...)
{
	struct boot *b = r->boot;
	char label[300];
	va_list ap;

	if (b->o->no_exchanges && !b->o->trace)
		return;
	va_start(ap, fmt);
	vsnprintf(label, sizeof(label), fmt, ap);
	va_end(ap);
	if (!b->o->no_exchanges)
		rec_exchange(&b->rec, b->cycle, (double)(uv_hrtime() - b->t0) / 1e6, peer,
			     to_peer, failed, label);
	boot_trace(b, "%s: %s %s %s%s", pb_step_str(b->rec.step), to_peer ? "->" : "<-", peer,
		   label, failed ? " (failed)" : "");
}

void step_done(struct step_run *r, enum pb_cause cause, const char *detail, json_t *also)
{
	struct boot *b = r->boot;
	char why[160];

	if (!b->step_live) {
		json_decref(also);
		return;             /* reported twice, or after a cancel */
	}
	end_step(b);
	rec_step_end(&b->rec, cause ? "fail" : "ok", cause, detail, also);
	b->last_cause = cause;
	snprintf(why, sizeof(why), "%s %s%s%s", pb_step_str(b->ops->id), cause ? "failed" : "ok",
		 cause ? " " : "", cause ? pb_cause_str(cause) : "");
	transition(b, BS_NEXT, why);
}

void step_done_goto(struct step_run *r, enum pb_step next, const char *detail)
{
	struct boot *b = r->boot;

	if (!b->step_live)
		return;
	b->jump = 1;
	b->jump_to = next;
	end_step(b);
	rec_step_end(&b->rec, "ok", PB_CAUSE_NONE, detail, NULL);
	b->last_cause = PB_CAUSE_NONE;
	transition(b, BS_NEXT, detail);
}

void step_internal(struct step_run *r, enum pb_err err, const char *detail)
{
	struct boot *b = r->boot;

	if (!b->step_live)
		return;
	end_step(b);
	rec_internal(&b->rec, err, "%s: %s", pb_step_str(b->ops->id), detail);
	b->rec.open = 0;
	transition(b, BS_NEXT, "phoneboot's own failure");
}

static void on_step_timer(uv_timer_t *t)
{
	struct boot *b = t->data;

	if (b->step_live && b->step_timer_cb)
		b->step_timer_cb(&b->run);
}

void step_timer(struct step_run *r, uint64_t ms, void (*cb)(struct step_run *r))
{
	struct boot *b = r->boot;

	b->step_timer_cb = cb;
	uv_timer_start(&b->step_timer, on_step_timer, ms, 0);
}

/* ---- moving forward ---- */

/* Start the flow's step at si, or the first runnable one after it;
 * returns 0 when the flow has no step left. */
static int start_from(struct boot *b, size_t si)
{
	for (; si < b->flow->n; si++) {
		const struct flow_step *fs = &b->flow->steps[si];
		unsigned missing = fs->needs & ~b->dev.have;

		if (fs->when == WHEN_DHCP && !b->o->dhcp_iface)
			continue;           /* not part of this boot */
		if (b->o->skip_steps & (1u << fs->ops->id))
			continue;           /* left out by the caller */
		if (missing) {
			rec_skipped(&b->rec, fs->ops->id, flow_missing(missing));
			boot_trace(b, "cycle %u: %s skipped: %s", b->cycle,
				   pb_step_str(fs->ops->id), flow_missing(missing));
			continue;
		}
		b->si = si;
		b->ops = fs->ops;
		b->run.ctx = NULL;
		if (fs->ops->ctx_size && !(b->run.ctx = calloc(1, fs->ops->ctx_size))) {
			b->ops = NULL;
			rec_internal(&b->rec, PB_ERR_NOMEM, "out of memory starting %s",
				     pb_step_str(fs->ops->id));
			transition(b, BS_CYCLE_END, "out of memory");
			return 1;
		}
		rec_step_begin(&b->rec, fs->ops->id);
		b->step_live = 1;
		transition(b, BS_STEP, pb_step_str(fs->ops->id));
		fs->ops->start(&b->run);
		return 1;
	}
	return 0;
}

static void cycle_start(struct boot *b)
{
	b->cycle++;
	b->jump = 0;
	rec_cycle_begin(&b->rec);
	if (device_cycle(&b->dev, b->o->device_roots) != PB_OK)
		rec_internal(&b->rec, PB_ERR_NOMEM, "out of memory starting a cycle");
	if (b->rec.kind == KIND_INTERNAL) {
		transition(b, BS_CYCLE_END, "out of memory");
		return;
	}
	if (!start_from(b, 0))
		transition(b, BS_CYCLE_END, "the flow has no step");
}

/* A step is over: what comes next, by the flow's rules. */
static void next_step(struct boot *b)
{
	const struct flow_step *fs = &b->flow->steps[b->si];
	size_t si = b->si + 1;

	release_step(b);
	if (b->rec.kind == KIND_INTERNAL) {
		transition(b, BS_CYCLE_END, "phoneboot's own failure");
		return;
	}
	if (b->last_cause && fs->fatal) {
		b->rec.failed = 1;
		b->rec.fail_step = fs->ops->id;
		b->rec.fail_cause = b->last_cause;
		transition(b, BS_CYCLE_END, "a fatal step failed");
		return;
	}
	if (b->jump) {
		b->jump = 0;
		si = flow_find(b->flow, b->jump_to);
	}
	if (!start_from(b, si))
		transition(b, BS_CYCLE_END, "the flow is complete");
}

static void cycle_end(struct boot *b)
{
	struct record *r = &b->rec;
	int ok = !r->failed && (b->dev.have & HAVE_REGISTERED) && r->kind != KIND_INTERNAL;

	rec_cycle_end(r);
	if (r->kind == KIND_INTERNAL) {
		b->outcome = "internal-error";
	} else if (ok) {
		b->outcome = "signed-in";
	} else if (r->prev_failed && r->prev_step == r->fail_step &&
		   r->prev_cause == r->fail_cause) {
		b->outcome = "loop";
	} else {
		b->outcome = "failed";
	}
	if (!ok && !r->failed && r->kind != KIND_INTERNAL) {
		/* the flow ran out without a registration: name it */
		r->failed = 1;
		r->fail_step = PB_STEP_REGISTER;
		r->fail_cause = PB_CAUSE_SIP_BAD_RESPONSE;
	}
	r->prev_failed = !ok;
	r->prev_step = r->fail_step;
	r->prev_cause = r->fail_cause;
	/* only the connection goes now; what the diagnosis reads stays
	 * until the next cycle starts */
	device_drop_tls(&b->dev);
	if (!ok && r->kind != KIND_INTERNAL && b->cycle < b->attempts) {
		transition(b, BS_PAUSE, "the device starts again from the top");
		return;
	}
	transition(b, BS_DONE, b->outcome);
}

static void on_tick(uv_timer_t *t)
{
	struct boot *b = t->data;

	switch (b->state) {
	case BS_NEW:
	case BS_PAUSE:
		cycle_start(b);
		return;
	case BS_NEXT:
		next_step(b);
		return;
	case BS_CYCLE_END:
		release_step(b);
		cycle_end(b);
		return;
	case BS_DONE:
		if (!b->notified) {
			b->notified = 1;
			b->cb((struct pb_boot *)b, b->arg);
		}
		return;
	case BS_STEP:
	case BS_IDLE:
		return;             /* the step reports through step_done */
	}
}

/* ---- the public API ---- */

enum pb_err pb_boot_start(struct pb_engine *e, const struct pb_logon_opts *o,
			  pb_boot_cb *cb, void *arg, struct pb_boot **out,
			  char *err, size_t errlen)
{
	struct boot *b;
	enum pb_err rc;

	if (!o->profile || !o->user || !o->domain) {
		snprintf(err, errlen, "a boot needs a profile and USER@DOMAIN");
		return PB_ERR_USAGE;
	}
	if (!o->dhcp_iface && !o->n_dns) {
		snprintf(err, errlen, "a boot needs DNS servers or a DHCP interface");
		return PB_ERR_USAGE;
	}
	if (o->client_cert && tlsdsk_cert_check(o->client_cert, err, errlen) < 0)
		return PB_ERR_PARSE;
	if (!(b = calloc(1, sizeof(*b)))) {
		snprintf(err, errlen, "out of memory");
		return PB_ERR_NOMEM;
	}
	b->eng = e;
	b->loop = engine_loop(e);
	b->o = o;
	b->cb = cb;
	b->arg = arg;
	b->flow = flow_of(o->profile->flow);
	b->attempts = o->attempts ? o->attempts : 2;
	b->timeout_ms = o->timeout_ms ? o->timeout_ms : 2000;
	b->outcome = "failed";
	b->state = BS_IDLE;
	b->t0 = uv_hrtime();
	snprintf(b->label, sizeof(b->label), "%s", o->label ? o->label : o->user);
	if (!b->flow) {
		snprintf(err, errlen, "the profile names no known flow");
		free(b);
		return PB_ERR_USAGE;
	}
	if ((rc = rec_init(&b->rec, o->profile)) != PB_OK) {
		snprintf(err, errlen, "out of memory");
		free(b);
		return rc;
	}
	if (o->has_mac)
		memcpy(b->dev.mac, o->mac, 6);
	else
		device_stable_mac(o, b->dev.mac);
	if (!o->dhcp_iface) {
		/* the DNS servers given stay for every cycle; with DHCP each
		 * cycle's lease gives them */
		rc = engine_resolver(e, o->dns, o->n_dns, b->timeout_ms, &b->dev.resolver, err,
				     errlen);
		if (rc != PB_OK) {
			rec_free(&b->rec);
			free(b);
			return rc;
		}
		device_set_dns(&b->dev, o->dns, o->n_dns);
	}
	b->run.boot = b;
	b->run.eng = e;
	b->run.loop = b->loop;
	b->run.o = o;
	b->run.dev = &b->dev;
	b->run.timeout_ms = b->timeout_ms;
	uv_timer_init(b->loop, &b->tick);
	uv_timer_init(b->loop, &b->step_timer);
	b->tick.data = b->step_timer.data = b;
	engine_boot_added(e);
	*out = (struct pb_boot *)b;
	transition(b, BS_NEW, "boot started");
	return PB_OK;
}

void boot_set_flow(struct pb_boot *pb, const struct flow *f)
{
	struct boot *b = (struct boot *)pb;

	if (b->state == BS_IDLE || (b->state == BS_NEW && b->cycle == 0))
		b->flow = f;
}

void pb_boot_cancel(struct pb_boot *pb)
{
	struct boot *b = (struct boot *)pb;

	if (!b || b->state == BS_DONE)
		return;
	cancel_step(b);
	release_step(b);
	b->rec.kind = b->rec.kind == KIND_INTERNAL ? KIND_INTERNAL : KIND_CANCELLED;
	b->outcome = b->rec.kind == KIND_INTERNAL ? "internal-error" : "cancelled";
	device_drop_tls(&b->dev);
	transition(b, BS_DONE, "cancelled");
}

static void on_closed(uv_handle_t *h)
{
	struct boot *b = h->data;

	if (--b->handles == 0)
		free(b);
}

void pb_boot_free(struct pb_boot *pb)
{
	struct boot *b = (struct boot *)pb;

	if (!b)
		return;
	if (b->state != BS_DONE)
		cancel_step(b);
	release_step(b);
	if (b->dev.configured && b->o->dhcp_iface)
		dhcp_unconfigure(b->o->dhcp_iface);
	device_clear(&b->dev);
	engine_resolver_put(b->eng, b->dev.resolver);
	b->dev.resolver = NULL;
	rec_free(&b->rec);
	engine_boot_removed(b->eng);
	b->handles = 2;
	uv_timer_stop(&b->tick);
	uv_close((uv_handle_t *)&b->tick, on_closed);
	uv_close((uv_handle_t *)&b->step_timer, on_closed);
}

const char *pb_boot_outcome(const struct pb_boot *pb)
{
	return ((const struct boot *)pb)->outcome;
}

enum pb_err pb_boot_error(const struct pb_boot *pb, const char **message)
{
	const struct boot *b = (const struct boot *)pb;

	if (message)
		*message = b->rec.kind == KIND_INTERNAL ? b->rec.message : "";
	return b->rec.kind == KIND_INTERNAL ? b->rec.err : PB_OK;
}

/* ---- the report ---- */

static void diag_in(const struct boot *b, struct diag_in *in)
{
	in->outcome = b->outcome;
	in->steps = b->rec.last_steps;
	in->target = b->dev.target;
	in->peer = b->dev.peer_chain;
	in->rejected = (const struct pb_chain *const *)b->dev.rejected;
	in->n_rejected = b->dev.n_rejected;
}

static json_t *steps_of(const struct boot *b)
{
	return b->rec.last_steps ? json_incref(b->rec.last_steps) : json_array();
}

static json_t *target_of(const struct boot *b)
{
	return *b->dev.target ? json_string(b->dev.target) : json_null();
}

json_t *boot_report(const struct boot *b, const struct boot *alt)
{
	const struct pb_logon_opts *o = b->o;
	struct diag_in in, ain;
	json_t *doc, *diag, *rem;
	char identity[512];

	if (b->state != BS_DONE || b->rec.kind == KIND_INTERNAL)
		return NULL;
	diag_in(b, &in);
	if (alt)
		diag_in(alt, &ain);
	snprintf(identity, sizeof(identity), "%s@%s", o->user, o->domain);
	if (!(diag = diagnose(&in)))
		return NULL;
	/* a NULL piece (out of memory) fails the whole report: never a
	 * report that silently lacks it */
	rem = remedies(&in, alt ? &ain : NULL, o, diag);
	doc = json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:s,s:i,s:o,s:O,s:O,s:b,s:o,s:o,s:o}",
			"tool", "phoneboot", "version", "0.1.0", "identity", identity,
			"profile", "id", o->profile->id, "name", o->profile->name,
			"outcome", b->outcome, "cycles", (int)b->cycle, "steps", steps_of(b),
			"cycle_log", b->rec.cycle_log, "exchanges", b->rec.exchanges,
			"auth_overridden", o->auth != 0, "target", target_of(b),
			"remedies", rem, "diagnosis", diag);
	if (doc && alt)
		doc = jx_set(doc, "alternative", json_pack("{s:s,s:i,s:o,s:o,s:O}",
			"outcome", alt->outcome, "cycles", (int)alt->cycle, "target",
			target_of(alt), "steps", steps_of(alt), "exchanges", alt->rec.exchanges));
	return doc;
}

json_t *pb_boot_report(const struct pb_boot *pb)
{
	return boot_report((const struct boot *)pb, NULL);
}
