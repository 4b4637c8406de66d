/* Internal to the sequencer: the boot's state, shared by boot.c (cycles,
 * the record of steps, locate-dc, download-root, install-root,
 * locate-pool), boot_dhcp.c (the dhcp step) and boot_sip.c (connect,
 * authenticate, register). */
#ifndef PB_BOOT_INT_H
#define PB_BOOT_INT_H

#include <stdint.h>

#include "boot.h"
#include "dhcp/dhcp.h"
#include "dns/dns.h"
#include "ldap/dir.h"
#include "sip/sip.h"
#include "tls/tls.h"

#define MAX_ROOTS DIR_MAX_CERTS
#define MAX_CANDS 12
#define MAX_REDIRECTS 3

struct cand {
	char name[300];
	int srv;                     /* SRV lookup, else A */
	unsigned short port;         /* for A lookups */
};

struct boot {
	uv_loop_t *loop;
	const struct pb_logon_opts *o;
	struct dns *dns;
	boot_done_cb *done;
	void *arg;
	unsigned cycle, attempts, timeout_ms;
	int use_dhcp, configured;
	struct dhcp_client *dhcp;
	struct dhcp_port *dhcp_port;   /* this cycle's DHCP socket */
	uint8_t mac[6];
	char lease_dns[DHCP_MAX_LIST][24];
	char sip120[256];              /* the lease's first option-120 server */
	const char *lease_dns_p[DHCP_MAX_LIST];
	const char *const *servers;    /* the DNS servers in use: --dns or the lease's */
	size_t n_servers;

	json_t *steps, *last_steps, *cycle_log;
	enum pb_step step;
	uint64_t t0;
	json_t *facts;

	struct pb_trust *trust;      /* built-in roots + installed ones */
	unsigned char *root_der[MAX_ROOTS];
	size_t root_len[MAX_ROOTS], n_roots;
	struct pb_chain *rejected[MAX_ROOTS];
	size_t n_rejected;

	char dc_name[256], dc_addr[64];
	unsigned dc_port;

	struct cand cands[MAX_CANDS];
	size_t n_cands, ci;
	json_t *lookups;
	enum pb_cause lookup_cause;
	char lookup_detail[200];
	char pool_name[256], pool_addr[64];
	unsigned pool_port;

	struct tls_conn *tls;
	struct pb_chain *peer_chain;

	uv_timer_t timer;
	char local[80], call_id[64], tag[24];
	unsigned cseq, nc;
	int challenged, stale_retry, redirects;
	char scheme[24];

	enum pb_step fail_step, prev_step;
	enum pb_cause fail_cause, prev_cause;
	int prev_failed, signed_in;
	const char *outcome;
	char target[300];
};

/* The record of steps (boot.c). */
void step_begin(struct boot *b, enum pb_step s);
void step_fact(struct boot *b, const char *key, json_t *v);
void step_factf(struct boot *b, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Close the current step: result "ok", "fail" or "skipped". */
void step_end(struct boot *b, const char *result, enum pb_cause cause,
	      const char *detail, json_t *also);
void step_skipped(struct boot *b, enum pb_step s, const char *why);
/* A fatal failure: the cycle ends here. */
void step_fail(struct boot *b, enum pb_cause cause, const char *detail, json_t *also);
void also_add(json_t *also, enum pb_cause c, enum pb_cause primary);
json_t *cert_json(const struct pb_cert_info *in);
void rnd_hex(char *out, size_t bytes);
void cycle_end(struct boot *b, int ok);

/* The steps, each started by the one before. */
void s_dhcp(struct boot *b);                 /* boot_dhcp.c */
void stable_mac(const struct pb_logon_opts *o, uint8_t mac[6]);
void s_locate_dc(struct boot *b);            /* boot.c */
void s_locate_pool(struct boot *b);
void s_connect(struct boot *b);              /* boot_sip.c */
void s_authenticate(struct boot *b);

#endif
