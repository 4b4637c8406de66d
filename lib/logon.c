/* pb_logon: the boot, its diagnosis, and the remedy's boot, on one loop. */
#include <stdio.h>
#include <string.h>

#include "boot.h"

struct run {
	uv_loop_t loop;
	const struct pb_logon_opts *o;
	struct boot *main, *alt;
	int main_done, alt_done;
	char err[256];
};

static void alt_done(struct boot *b, void *arg)
{
	struct run *r = arg;

	(void)b;
	r->alt_done = 1;
}

static void main_done(struct boot *b, void *arg)
{
	struct run *r = arg;

	(void)b;
	r->main_done = 1;
	/* verify the DNS remedy only when the phone did not sign in */
	if (strcmp(boot_outcome(r->main), "signed-in") && r->o->n_alt_dns &&
	    boot_start(&r->loop, r->o, r->o->alt_dns, r->o->n_alt_dns, 0, alt_done, r,
		       &r->alt, r->err, sizeof(r->err)) != PB_OK)
		r->alt = NULL;
}

static json_t *steps_of(const struct boot *b)
{
	json_t *s = boot_steps(b);

	return s ? json_incref(s) : json_array();
}

enum pb_err pb_logon(const struct pb_logon_opts *o, json_t **report,
		     char *err, size_t errlen)
{
	struct run r;
	json_t *doc, *diag;
	char identity[512];
	enum pb_err rc;

	memset(&r, 0, sizeof(r));
	r.o = o;
	if (uv_loop_init(&r.loop) < 0) {
		snprintf(err, errlen, "cannot create an event loop");
		return PB_ERR_INTERNAL;
	}
	rc = boot_start(&r.loop, o, o->dns, o->n_dns, o->dhcp_iface != NULL, main_done, &r,
			&r.main, err, errlen);
	if (rc != PB_OK) {
		uv_loop_close(&r.loop);
		return rc;
	}
	uv_run(&r.loop, UV_RUN_DEFAULT);
	snprintf(identity, sizeof(identity), "%s@%s", o->user, o->domain);
	diag = diagnose(r.main, o);
	doc = json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:s,s:i,s:o,s:o}", "tool", "phoneboot",
			"version", "0.1.0", "identity", identity, "profile", "id",
			o->profile->id, "name", o->profile->name, "outcome",
			boot_outcome(r.main), "cycles", (int)boot_cycles(r.main),
			"steps", steps_of(r.main), "cycle_log",
			json_incref(boot_cycle_log(r.main)));
	json_object_set_new(doc, "auth_overridden", json_boolean(o->auth != 0));
	json_object_set_new(doc, "target", *boot_target(r.main)
			    ? json_string(boot_target(r.main)) : json_null());
	json_object_set_new(doc, "remedies", remedies(r.main, r.alt, o, diag));
	json_object_set_new(doc, "diagnosis", diag);
	if (r.alt) {
		json_object_set_new(doc, "alternative", json_pack("{s:s,s:i,s:o,s:o}",
			"outcome", boot_outcome(r.alt), "cycles", (int)boot_cycles(r.alt),
			"target", *boot_target(r.alt) ? json_string(boot_target(r.alt)) : json_null(),
			"steps", steps_of(r.alt)));
	}
	boot_free(r.main);
	boot_free(r.alt);
	uv_run(&r.loop, UV_RUN_DEFAULT);     /* let the closes finish */
	uv_loop_close(&r.loop);
	*report = doc;
	return PB_OK;
}
