/* Internal: one HTTP(S) request through libcurl's multi interface on the
 * libuv loop (curl_multi_socket_action, its sockets watched with
 * uv_poll, its timeout with a uv_timer; the pattern of curl's
 * docs/examples/multi-uv.c). libcurl never resolves a name here: the
 * caller gives the address (CURLOPT_RESOLVE), found through the device's
 * DNS; proxies from the environment are ignored. HTTPS is judged by the
 * device (tls/hook.h), not by libcurl's policy. */
#ifndef PB_HTTP_H
#define PB_HTTP_H

#include <stddef.h>

#include <uv.h>

#include "phoneboot/codes.h"

struct tls_hook;
struct http_req;

#define HTTP_MAX_BODY 65536        /* a larger answer is cut: "too large" */

struct http_request {
	int https;
	const char *host;           /* the name in the URL and Host: */
	const char *addr;           /* its IPv4 address, from the device's DNS */
	unsigned port;
	const char *path;           /* "/RequestHandler/ucdevice.upx" */
	int sni;                    /* https: send server_name (else the URL names the
				       address, and Host: the name) */
	const char *method;         /* "POST" or "GET" */
	const char *content_type;   /* with a body: the whole header line */
	const char *authorization;  /* "Authorization: Negotiate ..." (RFC 4559), or
				       NULL; never logged */
	const char *body;
	size_t body_len;
	unsigned timeout_ms;        /* the connection, and again the answer */
	struct tls_hook *tls;       /* https: the device's judgement (borrowed, filled) */
};

enum http_outcome {
	HTTP_ANSWERED = 0,          /* a status line came back */
	HTTP_REFUSED = 1,           /* TCP refused or unreachable */
	HTTP_TIMEOUT = 2,
	HTTP_TLS = 3,               /* the handshake failed (tls->verdict: the device refused
				       the chain) */
	HTTP_BROKEN = 4,            /* anything else on the wire (no or bad answer) */
};

struct http_result {
	enum http_outcome outcome;
	long status;
	char detail[256];
	const char *body;           /* borrowed for the call; NUL-terminated */
	size_t body_len;
	char content_type[128];
	char authenticate[1024];    /* the first WWW-Authenticate, as sent (cut to
				       fit), or "" */
	double ms;
};

typedef void http_cb(const struct http_result *r, void *arg);

/* Start; cb runs once, from the loop (never inside http_start). *out only
 * on PB_OK; end every request with http_stop(), after its callback too. */
enum pb_err http_start(uv_loop_t *loop, const struct http_request *rq, http_cb *cb, void *arg,
		       struct http_req **out, char *err, size_t errlen);
/* No callback after this; memory goes once the loop has closed the
 * handles. NULL is fine. */
void http_stop(struct http_req *r);

#endif
