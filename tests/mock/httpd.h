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
};

struct httpd_conf {
	enum httpd_mode mode;
	int status;             /* HTTPD_STATUS */
	const char *cert_pem;   /* TLS when set: leaf, */
	const char *key_pem;    /* its key, */
	const char *chain_pem;  /* and more certificates to send (may be NULL) */
};

struct httpd;

/* 0 or a negative errno / libuv error; *out only on success. The conf's
 * strings are read here only. */
int httpd_start(uv_loop_t *loop, const struct httpd_conf *conf, struct httpd **out);
unsigned short httpd_port(const struct httpd *s);
unsigned httpd_requests(const struct httpd *s);
/* The last request's path and body ("" before any). */
const char *httpd_last_path(const struct httpd *s);
const char *httpd_last_body(const struct httpd *s);
/* Close everything; memory goes once the loop ran the closes. */
void httpd_stop(struct httpd *s);

#endif
