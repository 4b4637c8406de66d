/* Step `install-root`: each downloaded root judged by the device's limits
 * (lib/x509/ judge); only the usable ones enter its trust store. The
 * rejected ones stay on the device for the diagnosis. */
#include <stdio.h>
#include <string.h>

#include "core/jx.h"
#include "engine/engine.h"
#include "x509/cache.h"

static void start(struct step_run *r)
{
	struct device *d = r->dev;
	struct pb_judge_opts jo = { dev_clock(r), NULL, 0 };
	/* the same root's bytes, decoded and described once per engine */
	struct x509_cache *certs = engine_x509_cache(r->eng);
	json_t *roots = json_array(), *also = json_array();
	enum pb_cause first = PB_CAUSE_NONE;
	char detail[300] = "";
	size_t i, k, installed = 0;
	int nomem = 0;

	if (!roots || !also || !certs) {
		json_decref(roots);
		json_decref(also);
		step_internal(r, PB_ERR_NOMEM, "out of memory judging the roots");
		return;
	}
	for (i = 0; i < d->n_roots; i++) {
		const unsigned char *der = d->root_der[i];
		struct pb_chain *c = NULL;
		struct pb_verdict *v = NULL;
		json_t *e, *why;
		enum pb_err rc = x509_chain_from_der_list(certs, &der,
							   &d->root_len[i], 1, NULL, &c);

		if (rc == PB_OK)
			rc = pb_judge(c, r->o->profile, &jo, &v);
		if (rc == PB_ERR_NOMEM) {
			pb_chain_free(c);
			json_decref(roots);
			json_decref(also);
			step_internal(r, PB_ERR_NOMEM, "out of memory judging a root");
			return;
		}
		if (rc != PB_OK) {
			pb_chain_free(c);
			continue;           /* not a certificate: nothing to install */
		}
		e = dev_cert_json(pb_chain_cert(c, 0));
		why = json_array();
		for (k = 0; k < v->n; k++) {
			why = jx_push(why, json_pack("{s:s,s:s}", "cause",
				pb_cause_str(v->findings[k].cause), "text", v->findings[k].text));
			if (!first) {
				first = v->findings[k].cause;
				snprintf(detail, sizeof(detail), "%s", v->findings[k].text);
			} else {
				also = dev_also_add(also, v->findings[k].cause, first);
			}
		}
		e = jx_set(e, "installed", json_boolean(v->usable));
		/* NULL once out of memory: checked after the loop */
		roots = jx_push(roots, jx_set(e, "reasons", why));
		step_trace(r, "root %s: %s", pb_chain_cert(c, 0)->subject,
			   v->usable ? "installed" : pb_cause_str(v->findings[0].cause));
		if (v->usable) {
			rc = x509_trust_add_der(certs, d->trust, der, d->root_len[i]);
			installed += rc == PB_OK;
			nomem |= rc == PB_ERR_NOMEM;
			pb_chain_free(c);
		} else if (d->n_rejected < DEV_MAX_ROOTS) {
			d->rejected[d->n_rejected++] = c;
		} else {
			pb_chain_free(c);
		}
		pb_verdict_free(v);
	}
	if (!roots || !also || nomem) {
		json_decref(roots);
		json_decref(also);
		step_internal(r, PB_ERR_NOMEM, "out of memory recording the roots");
		return;
	}
	step_fact(r, "roots", roots);
	step_fact(r, "trust_store", json_integer((json_int_t)pb_trust_count(d->trust)));
	if (!installed) {
		step_done(r, first ? first : PB_CAUSE_CERT_MALFORMED,
			  first ? detail : "no downloaded certificate could be read", also);
		return;
	}
	json_decref(also);
	step_done(r, PB_CAUSE_NONE, NULL, NULL);
}

const struct step_ops step_install_root = {
	.id = PB_STEP_INSTALL_ROOT,
	.ctx_size = 0,
	.start = start,
	.cancel = NULL,
};
