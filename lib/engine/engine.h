/* Internal: the engine that moves boots forward, and the interface every
 * step implements (DESIGN.md section 5; docs/engine.md).
 *
 * The shape follows curl's connection filters (a small table of
 * operations plus a per-instance context) and OpenSMTPD's single
 * transition point (smtp_client_state()): lib/engine/boot.c alone moves a
 * boot from one state to the next, always from the loop, and traces every
 * transition. lib/engine/flow.c holds the flows as data, lib/engine/
 * record.c the record of steps, lib/steps/ one file per step. A step
 * never includes another step and never starts one: it reports through
 * step_done() and the engine decides what comes next. */
#ifndef PB_ENGINE_H
#define PB_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "phoneboot/boot.h"
#include "engine/device.h"
#include "tls/tls.h"

struct boot;
struct step_run;
struct dns_result;

/* ---- what a step implements ---- */

struct step_ops {
	enum pb_step id;
	size_t ctx_size;                    /* its own state, zeroed at start */
	/* Begin. Every outcome is reported through step_done() (or
	 * step_internal()), from a callback or at once. */
	void (*start)(struct step_run *r);
	/* Called once when the step is over, whichever way (reported,
	 * cancelled, phoneboot's own failure), from the loop: stop every
	 * wait it may still have (a query, a socket) and release what it
	 * holds; nothing of the step runs after this. NULL when the step
	 * never waits nor holds anything. */
	void (*cancel)(struct step_run *r);
};

/* One run of one step. Steps read and write dev; ctx is theirs. */
struct step_run {
	struct boot *boot;                  /* opaque to steps */
	struct pb_engine *eng;
	uv_loop_t *loop;
	const struct pb_logon_opts *o;
	struct device *dev;
	unsigned timeout_ms;                /* every network wait */
	void *ctx;                          /* ctx_size bytes */
};

/* ---- how a step reports (record.c, boot.c) ---- */

void step_fact(struct step_run *r, const char *key, json_t *v);    /* v taken */
void step_factf(struct step_run *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The server this step's exchange was with ("127.0.0.53", "ldap://...",
 * "10.0.0.1:5061"): the diagnosis traces a cause met twice from one
 * server back to the first step that met it. */
void step_peer(struct step_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A message on the wire, recorded for the ladder diagram and traced:
 * to_peer 1 for the phone's, 0 for the server's; peer names the server
 * ("dns 127.0.0.53", "ldap 127.0.1.10:389", "sip pool.corp.example:5061"). */
void step_exchange(struct step_run *r, const char *peer, int to_peer, int failed,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A network event, for --trace. */
void step_trace(struct step_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The step is over: PB_CAUSE_NONE is "ok", anything else "fail" (the
 * network's fault, with a cause). detail may be NULL; also (taken) lists
 * further causes. The next state is entered from the loop, never from
 * inside this call. */
void step_done(struct step_run *r, enum pb_cause cause, const char *detail, json_t *also);
/* Over, and the next step is `next` instead of the flow's next one (a
 * redirection goes back to connect). */
void step_done_goto(struct step_run *r, enum pb_step next, const char *detail);
/* Over with phoneboot's own failure (out of memory, a limit): the boot
 * ends as "internal-error", never with a network cause. */
void step_internal(struct step_run *r, enum pb_err err, const char *detail);

/* A timer of the step's own (one per step), stopped by the engine when the
 * step ends or is cancelled. */
void step_timer(struct step_run *r, uint64_t ms, void (*cb)(struct step_run *r));

/* ---- what the engine shares between the boots of one loop (engine.c) ---- */

/* A resolver for servers[0..n) into *out (shared; engine_resolver_put()
 * when done). PB_OK, or PB_ERR_USAGE (a server that is no address) or
 * PB_ERR_NOMEM, with err. */
enum pb_err engine_resolver(struct pb_engine *e, const char *const *servers, size_t n,
			    unsigned timeout_ms, struct dns **out, char *err, size_t errlen);
void engine_resolver_put(struct pb_engine *e, struct dns *d);
/* The TLS context of a profile (one per profile and key log file), or NULL
 * with err. Owned by the engine. */
struct tls_ctx *engine_tls_ctx(struct pb_engine *e, const struct pb_profile *p,
			       const char *keylog_file, char *err, size_t errlen);
/* The TLS context of the directory's StartTLS and LDAPS sessions
 * (tls_fd_ctx_new(), one per engine, made on first use); NULL when out of
 * memory (then each session makes its own). */
void *engine_dir_tls_ctx(struct pb_engine *e);
/* NTLM's algorithms (lib/ntlm: a library context with OpenSSL's legacy
 * provider for MD4 and RC4), one per engine, made on first use: making
 * them was a fifth of an NTLM boot's CPU. NULL when they cannot be had:
 * the asking step ends with step_internal(). */
struct ntlm_crypto;
struct ntlm_crypto *engine_ntlm_crypto(struct pb_engine *e);
/* The engine's certificate cache (lib/x509/cache.h), made on first use;
 * NULL when out of memory (the asking step ends with step_internal(), as
 * tests/torture wants every allocation's failure seen). */
struct x509_cache *engine_x509_cache(struct pb_engine *e);
/* The DHCP socket of an interface (one per engine and interface), or NULL
 * with err. Owned by the engine. */
struct dhcp_port *engine_dhcp_port(struct pb_engine *e, const char *iface, char *err,
				   size_t errlen);
/* Milliseconds since the engine started; the trace's clock. */
double engine_ms(const struct pb_engine *e);

/* DNS through the device's resolver, traced, cancellable. *slot holds the
 * query until its answer (set to NULL before cb runs) or a cancel. cb runs
 * from the loop; phoneboot's own failure (res->err) never reaches it: the
 * step ends with step_internal(). 0, or -1 out of memory. */
struct dev_query;
typedef void dev_dns_cb(struct step_run *r, const struct dns_result *res);
int dev_dns(struct step_run *r, struct dev_query **slot, const char *name,
	    const char *type, dev_dns_cb *cb);
/* The same for a caller that is not the step itself (a mechanism of
 * lib/auth/, the Kerberos client): arg is handed to cb. */
typedef void dev_dns_arg_cb(struct step_run *r, const struct dns_result *res, void *arg);
int dev_dns_arg(struct step_run *r, struct dev_query **slot, const char *name,
		const char *type, dev_dns_arg_cb *cb, void *arg);
void dev_dns_cancel(struct dev_query **slot);
/* The step's peer: the device's DNS servers ("dns 127.0.0.53"). */
void dev_dns_peer(struct step_run *r);
/* The device's clock: what the time step set, else o->now. */
time_t dev_clock(const struct step_run *r);
/* The rank of a certificate finding in the order a device checks a chain
 * (trust 0, its limits 1, the name 2): the lowest is the one reported. */
int dev_cert_rank(enum pb_cause c);
/* A certificate as the report shows it. */
json_t *dev_cert_json(const struct pb_cert_info *in);
/* Add cause c to the "also" list unless it is the primary or already
 * there: the list, or NULL when out of memory (the list released) or
 * also was NULL. */
json_t *dev_also_add(json_t *also, enum pb_cause c, enum pb_cause primary);
/* SRV records as dig shows them ("priority weight port target"). */
json_t *dev_srv_json(const struct dns_result *res);

/* ---- SIP on the device's connection (sip_out.c) ---- */

/* Send a REGISTER for the device's identity on its connection, with
 * Expires `expires` and, when header is not NULL, "header: value"; the
 * next CSeq, traced as an exchange. 0, or -1 after step_internal(). */
int dev_send_register(struct step_run *r, const char *expires, const char *header,
		      const char *value);
/* Each response to the device's last request, parsed, in turn, while cb
 * returns 1 (0: the step is over or sent a new request: stop reading).
 * A malformed response ends the step (sip-bad-response). 0 when every
 * buffered response was taken, -1 when reading stopped. */
struct sip_response;
typedef int dev_response_cb(struct step_run *r, const struct sip_response *m);
int dev_take_responses(struct step_run *r, dev_response_cb *cb);
/* What a SIP step does with an event of the device's connection: a
 * failed or closed connection ends the step (sip-bad-response, or
 * phoneboot's own failure), data goes to dev_take_responses(cb). */
void dev_sip_event(struct step_run *r, struct tls_conn *conn, enum tls_event ev,
		   dev_response_cb *cb);

/* ---- the flows (flow.c) ---- */

enum step_when {
	WHEN_ALWAYS = 0,
	WHEN_DHCP = 1,                      /* only with --dhcp */
};

struct flow_step {
	const struct step_ops *ops;
	int fatal;                          /* its failure ends the cycle */
	unsigned needs;                     /* enum dev_have bits */
	enum step_when when;
};

struct flow {
	enum pb_flow id;
	const struct flow_step *steps;
	size_t n;
};

const struct flow *flow_of(enum pb_flow id);
/* Why a step with `missing` inputs is skipped ("no domain controller"). */
const char *flow_missing(unsigned missing);
/* Index of step id in flow f, or f->n. */
size_t flow_find(const struct flow *f, enum pb_step id);

/* The steps (lib/steps/). */
extern const struct step_ops step_dhcp, step_locate_dc, step_download_root,
	step_install_root, step_locate_pool, step_connect, step_authenticate,
	step_register, step_time, step_device_update;

#endif
