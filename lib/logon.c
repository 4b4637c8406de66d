/* pb_logon: a fleet of one. The boot, and the remedy's boot with the
 * alternative DNS servers, on one engine and one loop of its own. */
#include <stdio.h>
#include <string.h>

#include "engine/boot_int.h"

struct run {
	uv_loop_t *loop;
	struct pb_engine *eng;
	const struct pb_logon_opts *o;
	struct pb_logon_opts alt_opts;
	struct pb_boot *main, *alt;
	enum pb_err err;
	char msg[256];
};

/* Every boot is over: stop the loop (the engine's shared handles, a DHCP
 * socket, would keep it running). */
static void alt_done(struct pb_boot *b, void *arg)
{
	struct run *r = arg;

	(void)b;
	uv_stop(r->loop);
}

static void main_done(struct pb_boot *b, void *arg)
{
	struct run *r = arg;
	const char *outcome = pb_boot_outcome(b);

	/* verify the DNS remedy only when the phone did not sign in, and
	 * not when phoneboot itself failed */
	if (!strcmp(outcome, "signed-in") || !strcmp(outcome, "internal-error") ||
	    !r->o->n_alt_dns) {
		uv_stop(r->loop);
		return;
	}
	r->alt_opts = *r->o;
	r->alt_opts.dns = r->o->alt_dns;
	r->alt_opts.n_dns = r->o->n_alt_dns;
	r->alt_opts.alt_dns = NULL;
	r->alt_opts.n_alt_dns = 0;
	r->alt_opts.dhcp_iface = NULL;      /* the reservation's DNS servers, given */
	r->alt_opts.label = "alt-dns";
	r->err = pb_boot_start(r->eng, &r->alt_opts, alt_done, r, &r->alt, r->msg,
			       sizeof(r->msg));
	if (r->err != PB_OK)
		uv_stop(r->loop);
}

enum pb_err pb_logon(const struct pb_logon_opts *o, json_t **report,
		     char *err, size_t errlen)
{
	uv_loop_t loop;
	struct run r;
	const char *msg;
	enum pb_err rc;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.loop = &loop;
	if (uv_loop_init(&loop) < 0) {
		snprintf(err, errlen, "cannot create an event loop");
		return PB_ERR_INTERNAL;
	}
	if ((rc = pb_engine_new(&loop, &r.eng)) != PB_OK) {
		snprintf(err, errlen, "out of memory");
		uv_loop_close(&loop);
		return rc;
	}
	rc = pb_boot_start(r.eng, o, main_done, &r, &r.main, err, errlen);
	if (rc == PB_OK) {
		uv_run(&loop, UV_RUN_DEFAULT);
		if ((rc = pb_boot_error(r.main, &msg)) != PB_OK) {
			snprintf(err, errlen, "%s", msg);
		} else if (r.err != PB_OK) {
			rc = r.err;
			snprintf(err, errlen, "the boot with --alt-dns: %s", r.msg);
		} else if (r.alt && (rc = pb_boot_error(r.alt, &msg)) != PB_OK) {
			snprintf(err, errlen, "the boot with --alt-dns: %s", msg);
		} else if (!(*report = boot_report((struct boot *)r.main, (struct boot *)r.alt))) {
			rc = PB_ERR_NOMEM;
			snprintf(err, errlen, "out of memory making the report");
		}
	}
	pb_boot_free(r.main);
	pb_boot_free(r.alt);
	pb_engine_free(r.eng);
	uv_run(&loop, UV_RUN_DEFAULT);     /* let the closes finish */
	if (uv_loop_close(&loop) != 0 && rc == PB_OK) {
		json_decref(*report);
		*report = NULL;
		rc = PB_ERR_INTERNAL;
		snprintf(err, errlen, "a handle was left open on the loop");
	}
	return rc;
}
