/* The JSON report read once into the typed report of report.h. This is
 * the only file of src/ that knows the report's keys. */
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* Up to max strings of a JSON array; the count. */
static size_t strings(const json_t *a, const char **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < json_array_size(a) && n < max; i++)
		if (json_is_string(json_array_get(a, i)))
			out[n++] = json_string_value(json_array_get(a, i));
	return n;
}

static enum rep_outcome outcome(const char *s)
{
	if (!strcmp(s, "signed-in"))
		return RO_SIGNED_IN;
	if (!strcmp(s, "loop"))
		return RO_LOOP;
	if (!strcmp(s, "failed"))
		return RO_FAILED;
	return RO_OTHER;
}

static void step(const json_t *j, struct rep_step *s)
{
	const json_t *f = json_object_get(j, "facts"), *lease = json_object_get(f, "lease");
	const char *res = str(j, "result");

	s->step = str(j, "step");
	s->screen = str(j, "screen");
	s->cause = str(j, "cause");
	s->detail = str(j, "detail");
	s->peer = str(j, "peer");
	s->result = !strcmp(res, "ok") ? RR_OK : !strcmp(res, "fail") ? RR_FAIL : RR_SKIPPED;
	s->ms = json_number_value(json_object_get(j, "ms"));
	s->facts = f;
	/* the facts a one-line summary shows (lib/steps/: dhcp, locate-dc,
	 * locate-pool, connect, authenticate, register) */
	if (json_is_object(lease)) {
		const json_t *sip = json_object_get(lease, "sip_servers");

		s->has_lease = 1;
		s->lease.address = str(lease, "address");
		s->lease.server = str(lease, "server");
		s->lease.domain = str(lease, "domain");
		s->lease.n_dns = strings(json_object_get(lease, "dns_servers"), s->lease.dns,
					 REP_MAX_LIST);
		s->lease.has_sip = json_is_object(sip);
		s->lease.n_sip = strings(json_object_get(sip, "servers"), s->lease.sip,
					 REP_MAX_LIST);
		s->lease.voice_vlan = (int)json_integer_value(json_object_get(f, "voice_vlan"));
		{
			const json_t *prl = json_object_get(f, "parameter_request_list"), *v;
			size_t k;

			/* a report without the list (an older one) asked for it */
			s->lease.asked_sip = !json_is_array(prl);
			json_array_foreach(prl, k, v)
				if (json_integer_value(v) == 120)
					s->lease.asked_sip = 1;
		}
	}
	s->dc = str(f, "dc");
	s->pool = str(f, "pool");
	s->status = str(f, "status");
	s->scheme = str(f, "scheme");
	s->fallback = str(f, "fallback");
	s->tls_version = str(f, "tls_version");
	s->cipher = str(f, "cipher");
	{
		const json_t *dir = json_object_get(f, "certificates"), *web;

		web = json_object_get(f, "web_enrollment");
		s->n_dir_certs = json_is_array(dir) ? (int)json_array_size(dir) : -1;
		s->web_added = json_is_object(web) ? (int)json_integer_value(
				json_object_get(web, "added")) : -1;
		s->web_url = json_is_object(web) ? str(web, "url") : "";
		s->web_failed = str(f, "web_enrollment_failed");
	}
}

static enum pb_err boot(const json_t *j, struct rep_boot *b, char *err, size_t errlen)
{
	const json_t *steps = json_object_get(j, "steps"), *ex = json_object_get(j, "exchanges");
	size_t i;

	if (!json_is_string(json_object_get(j, "outcome")) || !json_is_array(steps)) {
		snprintf(err, errlen, "no \"outcome\" or \"steps\": not a phoneboot logon report");
		return PB_ERR_PARSE;
	}
	b->outcome_str = str(j, "outcome");
	b->outcome = outcome(b->outcome_str);
	b->target = str(j, "target");
	b->cycles = (unsigned)json_integer_value(json_object_get(j, "cycles"));
	b->n_steps = json_array_size(steps);
	b->n_ex = json_array_size(ex);
	if ((b->n_steps && !(b->steps = calloc(b->n_steps, sizeof(*b->steps)))) ||
	    (b->n_ex && !(b->ex = calloc(b->n_ex, sizeof(*b->ex)))))
		return PB_ERR_NOMEM;
	for (i = 0; i < b->n_steps; i++)
		step(json_array_get(steps, i), &b->steps[i]);
	for (i = 0; i < b->n_ex; i++) {
		const json_t *e = json_array_get(ex, i);
		struct rep_exchange *x = &b->ex[i];

		x->cycle = (unsigned)json_integer_value(json_object_get(e, "cycle"));
		x->ms = json_number_value(json_object_get(e, "ms"));
		x->step = str(e, "step");
		x->peer = str(e, "peer");
		x->label = str(e, "label");
		x->out = !strcmp(str(e, "direction"), "out");
		x->failed = json_is_true(json_object_get(e, "failed"));
	}
	return PB_OK;
}

static void boot_clear(struct rep_boot *b)
{
	free(b->steps);
	free(b->ex);
}

enum pb_err report_parse(json_t *doc, struct report **out, char *err, size_t errlen)
{
	struct report *r;
	const json_t *d, *rem, *alt;
	enum pb_err rc;
	size_t i;

	if (!json_is_object(doc) || strcmp(str(doc, "tool"), "phoneboot")) {
		snprintf(err, errlen, "not a phoneboot report (no \"tool\": \"phoneboot\")");
		return PB_ERR_PARSE;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		snprintf(err, errlen, "out of memory");
		return PB_ERR_NOMEM;
	}
	r->doc = json_incref(doc);
	r->identity = str(doc, "identity");
	r->profile_id = str(json_object_get(doc, "profile"), "id");
	r->profile_name = str(json_object_get(doc, "profile"), "name");
	r->auth_overridden = json_is_true(json_object_get(doc, "auth_overridden"));
	if ((rc = boot(doc, &r->boot, err, errlen)) != PB_OK)
		goto fail;
	if (json_is_object(alt = json_object_get(doc, "alternative"))) {
		r->has_alt = 1;
		if ((rc = boot(alt, &r->alt, err, errlen)) != PB_OK)
			goto fail;
	}
	if (json_is_object(d = json_object_get(doc, "diagnosis"))) {
		const json_t *ev = json_object_get(d, "evidence");

		r->has_diag = 1;
		r->diag.step = str(d, "step");
		r->diag.cause = str(d, "cause");
		r->diag.summary = str(d, "summary");
		r->diag.n_also = strings(json_object_get(d, "also"), r->diag.also,
					 REP_MAX_LIST);
		if (json_array_size(ev)) {
			rc = PB_ERR_NOMEM;
			if (!(r->diag.evidence = calloc(json_array_size(ev), sizeof(char *))))
				goto fail;
			r->diag.n_evidence = strings(ev, r->diag.evidence, json_array_size(ev));
		}
	}
	rem = json_object_get(doc, "remedies");
	if (json_array_size(rem)) {
		rc = PB_ERR_NOMEM;
		if (!(r->remedies = calloc(json_array_size(rem), sizeof(*r->remedies))))
			goto fail;
		r->n_remedies = json_array_size(rem);
		for (i = 0; i < r->n_remedies; i++) {
			const json_t *x = json_array_get(rem, i);

			r->remedies[i].remedy = str(x, "remedy");
			r->remedies[i].summary = str(x, "summary");
			r->remedies[i].verified = json_is_true(json_object_get(x, "verified"));
		}
	}
	*out = r;
	return PB_OK;
fail:
	if (rc == PB_ERR_NOMEM)
		snprintf(err, errlen, "out of memory");
	report_free(r);
	return rc;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	boot_clear(&r->boot);
	boot_clear(&r->alt);
	free(r->diag.evidence);
	free(r->remedies);
	json_decref(r->doc);
	free(r);
}
