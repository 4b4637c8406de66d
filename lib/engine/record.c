/* The record of a boot. See record.h. Every jansson allocation is checked:
 * a record that could not be kept is phoneboot's own failure
 * (KIND_INTERNAL, out of memory), never a network cause. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "core/jx.h"
#include "engine/record.h"

static void nomem(struct record *r)
{
	rec_internal(r, PB_ERR_NOMEM, "out of memory while recording the boot");
}

enum pb_err rec_init(struct record *r, const struct pb_profile *p)
{
	memset(r, 0, sizeof(*r));
	r->profile = p;
	if (!(r->cycle_log = json_array()) || !(r->exchanges = json_array())) {
		json_decref(r->cycle_log);
		r->cycle_log = NULL;
		return PB_ERR_NOMEM;
	}
	return PB_OK;
}

void rec_free(struct record *r)
{
	json_decref(r->steps);
	json_decref(r->last_steps);
	json_decref(r->cycle_log);
	json_decref(r->facts);
	json_decref(r->exchanges);
	r->steps = r->last_steps = r->cycle_log = r->facts = r->exchanges = NULL;
}

void rec_internal(struct record *r, enum pb_err err, const char *fmt, ...)
{
	va_list ap;

	if (r->kind == KIND_INTERNAL)
		return;             /* the first failure is the root */
	r->kind = KIND_INTERNAL;
	r->err = err;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

const char *rec_screen(const struct record *r, enum pb_step s)
{
	const char *t = r->profile->screen[s];

	return t ? t : pb_step_str(s);
}

void rec_cycle_begin(struct record *r)
{
	json_decref(r->steps);
	if (!(r->steps = json_array()))
		nomem(r);
	r->failed = 0;
	r->fail_cause = PB_CAUSE_NONE;
}

void rec_step_begin(struct record *r, enum pb_step s)
{
	json_decref(r->facts);
	r->step = s;
	r->t0 = uv_hrtime();
	r->peer[0] = '\0';
	r->open = 1;
	if (!(r->facts = json_object()))
		nomem(r);
}

void rec_fact(struct record *r, const char *key, json_t *v)
{
	if (!v) {
		nomem(r);
	} else if (!r->facts) {
		json_decref(v);           /* already recorded as out of memory */
	} else if (json_object_set_new(r->facts, key, v) < 0) {
		nomem(r);                 /* jansson has freed v */
	}
}

void rec_peer(struct record *r, const char *peer)
{
	snprintf(r->peer, sizeof(r->peer), "%s", peer);
}

void rec_step_end(struct record *r, const char *result, enum pb_cause cause,
		  const char *detail, json_t *also)
{
	json_t *e;

	if (!r->open) {
		json_decref(also);
		return;
	}
	r->open = 0;
	e = json_pack("{s:s,s:s,s:s,s:f,s:o,s:o}", "step", pb_step_str(r->step),
		      "screen", rec_screen(r, r->step), "result", result,
		      "ms", (double)(uv_hrtime() - r->t0) / 1e6,
		      "facts", r->facts ? r->facts : json_object(),
		      "cause", cause ? json_string(pb_cause_str(cause)) : json_null());
	r->facts = NULL;
	if (!e) {
		json_decref(also);
		nomem(r);
		return;
	}
	if (detail && *detail)
		e = jx_set(e, "detail", json_string(detail));
	if (r->peer[0])
		e = jx_set(e, "peer", json_string(r->peer));
	if (also && json_array_size(also))
		e = jx_set(e, "also", also);
	else
		json_decref(also);
	if (!e || !r->steps || json_array_append_new(r->steps, e) < 0) {
		if (!r->steps)
			json_decref(e);
		nomem(r);
	}
}

void rec_skipped(struct record *r, enum pb_step s, const char *why)
{
	rec_step_begin(r, s);
	rec_step_end(r, "skipped", PB_CAUSE_NONE, why, NULL);
}

void rec_cycle_end(struct record *r)
{
	json_t *summary = json_array(), *s;
	size_t i;

	json_array_foreach(r->steps, i, s) {
		if (!summary || json_array_append_new(summary, json_pack("{s:O,s:O,s:O}",
			"step", json_object_get(s, "step"), "result", json_object_get(s, "result"),
			"cause", json_object_get(s, "cause"))) < 0)
			nomem(r);
	}
	if (!summary || json_array_append_new(r->cycle_log, summary) < 0)
		nomem(r);
	json_decref(r->last_steps);
	r->last_steps = r->steps;
	r->steps = NULL;
}

void rec_exchange(struct record *r, unsigned cycle, double ms, const char *peer,
		  int to_peer, int failed, const char *label)
{
	/* built key by key, not with json_pack(): a boot records some thirty
	 * exchanges, and parsing the format each time was 3% of a fleet's CPU */
	json_t *e = json_object();
	int bad = !e;

	/* each *_set_new takes its value, even when it fails */
	bad |= json_object_set_new(e, "cycle", json_integer((json_int_t)cycle)) < 0;
	bad |= json_object_set_new(e, "ms", json_real(ms)) < 0;
	bad |= json_object_set_new(e, "step", json_string(pb_step_str(r->step))) < 0;
	bad |= json_object_set_new(e, "peer", json_string(peer)) < 0;
	bad |= json_object_set_new(e, "direction", json_string(to_peer ? "out" : "in")) < 0;
	bad |= json_object_set_new(e, "label", json_string(label)) < 0;
	bad |= json_object_set_new(e, "failed", json_boolean(failed)) < 0;
	if (bad) {
		json_decref(e);
		nomem(r);
	} else if (json_array_append_new(r->exchanges, e) < 0) {
		nomem(r);           /* e went with the failed append */
	}
}
