/* Test infrastructure: an in-process HTTP/1.1 server, optionally over
 * TLS (OpenSSL on the accepted socket, non-blocking, watched with
 * uv_poll), on 127.0.0.1 and the caller's libuv loop: a Device Update
 * service that answers every POST as mode says, and records the request.
 * One request per connection (Connection: close). */
#ifndef PB_TESTS_HTTPD_H
#define PB_TESTS_HTTPD_H

#include <uv.h>

enum httpd_mode {
	HTTPD_UPDATE = 0,       /* 200, an update offered (ucupdate.h's form) */
	HTTPD_NO_UPDATE = 1,    /* 200, <NoUpdate/> */
	HTTPD_STATUS = 2,       /* conf.status with no body */
	HTTPD_GARBAGE = 3,      /* 200 with a body that is no answer */
	HTTPD_CLOSE = 4,        /* accept, then close at once */
	HTTPD_BODY = 5,         /* conf.status (0: 200) with conf.body, conf.content_type
				 * and conf.www_authenticate (when set) */
	HTTPD_SILENT = 6,       /* read the request, never answer */
};

struct httpd_conf {
	enum httpd_mode mode;
	int status;             /* HTTPD_STATUS */
	const char *cert_pem;   /* TLS when set: leaf, */
	const char *key_pem;    /* its key, */
	const char *chain_pem;  /* and more certificates to send (may be NULL) */
	const char *addr;       /* IPv4 loopback address to listen on (NULL: 127.0.0.1) */
	unsigned short port;    /* 0: any free port */
	const char *body, *content_type, *www_authenticate;   /* HTTPD_BODY (copied) */
};

struct httpd;

/* 0 or a negative errno / libuv error; *out only on success. The conf's
 * strings are read here only. */
int httpd_start(uv_loop_t *loop, const struct httpd_conf *conf, struct httpd **out);
unsigned short httpd_port(const struct httpd *s);
unsigned httpd_requests(const struct httpd *s);
/* The last request's path, body and Authorization header value ("" before
 * any). */
const char *httpd_last_path(const struct httpd *s);
const char *httpd_last_body(const struct httpd *s);
const char *httpd_last_authorization(const struct httpd *s);
/* Close everything; memory goes once the loop ran the closes. */
void httpd_stop(struct httpd *s);

#endif
