/* pb_tls_probe: resolve (uv_getaddrinfo, off the loop thread) and one
 * handshake with tls_connect, on a private loop. */
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "phoneboot/probe.h"
#include "tls/tls.h"

struct probe_ctx {
	struct pb_probe *out;
	const struct pb_trust *trust;
	struct tls_conn *conn;
	enum pb_err rc;             /* phoneboot's own failure */
	int done;
};

static void on_event(struct tls_conn *c, enum tls_event ev, void *arg)
{
	struct probe_ctx *x = arg;

	if (x->done)
		return;
	x->done = 1;
	x->rc = tls_peer_chain(c, x->trust, NULL, &x->out->chain);
	if (x->rc == PB_OK)
		x->rc = tls_error(c);
	x->out->ms = tls_handshake_ms(c);
	if (ev == TLS_EV_READY) {
		snprintf(x->out->version, sizeof(x->out->version), "%s", tls_version(c));
		snprintf(x->out->cipher, sizeof(x->out->cipher), "%s", tls_cipher(c));
	} else {
		x->out->cause = tls_cause(c);
		snprintf(x->out->detail, sizeof(x->out->detail), "%s", tls_detail(c));
	}
	tls_close(c);
}

enum pb_err pb_tls_probe(const char *host, const char *port, const char *sni,
			 unsigned timeout_ms, const struct pb_trust *trust,
			 struct pb_probe *out, char *err, size_t errlen)
{
	uv_loop_t loop;
	uv_getaddrinfo_t req;
	struct addrinfo hints;
	struct probe_ctx x;
	struct tls_params tp;
	struct tls_ctx *ctx = NULL;
	enum pb_err rc = PB_OK;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	memset(&hints, 0, sizeof(hints));
	memset(&tp, 0, sizeof(tp));
	x.out = out;
	x.trust = trust;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (uv_loop_init(&loop) < 0) {
		snprintf(err, errlen, "cannot create an event loop");
		return PB_ERR_INTERNAL;
	}
	/* synchronous form (no callback) runs on the threadpool and waits:
	 * this is the one-off CLI path, before any loop work starts */
	r = uv_getaddrinfo(&loop, &req, NULL, host, port, &hints);
	if (r < 0) {
		snprintf(err, errlen, "%s:%s: cannot resolve: %s", host, port,
			 uv_strerror(r));
		uv_loop_close(&loop);
		return PB_ERR_NETWORK;
	}
	uv_ip_name(req.addrinfo->ai_addr, out->address, sizeof(out->address));
	rc = tls_ctx_new(&tp, NULL, &ctx, err, errlen);
	if (rc == PB_OK) {
		rc = tls_connect(&loop, ctx, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen,
				 sni, timeout_ms, on_event, &x, &x.conn);
		if (rc != PB_OK)
			snprintf(err, errlen, "%s:%s: cannot open a socket", host, port);
	}
	uv_freeaddrinfo(req.addrinfo);
	if (rc == PB_OK)
		uv_run(&loop, UV_RUN_DEFAULT);
	if (rc == PB_OK && x.rc != PB_OK) {
		rc = x.rc;
		snprintf(err, errlen, "%s:%s: out of memory reading the chain", host, port);
		pb_probe_clear(out);
	}
	tls_ctx_free(ctx);
	uv_loop_close(&loop);
	return rc;
}

void pb_probe_clear(struct pb_probe *p)
{
	pb_chain_free(p->chain);
	p->chain = NULL;
}
