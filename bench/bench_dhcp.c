/* Benchmark: DHCP exchanges (DISCOVER/OFFER/REQUEST/ACK) per second that
 * the client completes against the lab's dnsmasq, with distinct MACs, some
 * at once on one loop through one shared port (one socket on port 68,
 * answers demultiplexed by xid and chaddr: the start of fleet mode), and
 * peak memory.
 * Run in the lab's phone namespace (lab/lab up --netns):
 *   ip netns exec labphone build/bench/bench_dhcp veth-phone [MACS] [ROUNDS] [PARALLEL] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <uv.h>

#include "dhcp/dhcp.h"

struct bench {
	uv_loop_t *loop;
	struct dhcp_port *port;
	unsigned macs, total, started, done, ok, failed, running, parallel;
};

static void start_one(struct bench *b);

struct one {
	struct bench *b;
	struct dhcp_client *c;
};

static void on_done(const struct dhcp_result *r, void *arg)
{
	struct one *o = arg;
	struct bench *b = o->b;

	if (r->cause == PB_CAUSE_NONE)
		b->ok++;
	else
		b->failed++;
	b->done++;
	b->running--;
	dhcp_stop(o->c);
	free(o);
	start_one(b);
	if (b->done == b->total)
		dhcp_port_close(b->port);      /* the loop ends */
}

static void start_one(struct bench *b)
{
	static const uint8_t prl[] = { 1, 3, 6, 15, 42, 43, 119, 120 };
	struct dhcp_params p;
	struct one *o;
	char err[160];

	while (b->started < b->total && b->running < b->parallel) {
		unsigned i = b->started % b->macs;

		memset(&p, 0, sizeof(p));
		p.mac[0] = 0x02; p.mac[1] = 0xbe; p.mac[2] = 0x4c;
		p.mac[3] = (uint8_t)(i >> 16); p.mac[4] = (uint8_t)(i >> 8); p.mac[5] = (uint8_t)i;
		p.vendor_class = "MS-UC-Client";
		p.prl = prl;
		p.n_prl = sizeof(prl);
		p.timeout_ms = 5000;
		o = calloc(1, sizeof(*o));
		snprintf(err, sizeof(err), "out of memory");
		if (!o || dhcp_start(b->port, &p, on_done, o, &o->c, err, sizeof(err)) != PB_OK) {
			fprintf(stderr, "bench_dhcp: %s\n", err);
			exit(2);
		}
		o->b = b;
		b->started++;
		b->running++;
	}
}

int main(int argc, char **argv)
{
	struct bench b;
	struct rusage ru;
	uint64_t t0;
	char err[160];
	double s;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_dhcp IFACE [MACS] [ROUNDS] [PARALLEL]\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	b.loop = uv_default_loop();
	b.macs = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 50;
	b.total = b.macs * (argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 4);
	b.parallel = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 10;
	if (dhcp_port_open(b.loop, argv[1], &b.port, err, sizeof(err)) != PB_OK) {
		fprintf(stderr, "bench_dhcp: %s\n", err);
		return 2;
	}
	t0 = uv_hrtime();
	start_one(&b);
	if (b.total == 0)
		dhcp_port_close(b.port);
	uv_run(b.loop, UV_RUN_DEFAULT);
	s = (double)(uv_hrtime() - t0) / 1e9;
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_dhcp: %u exchanges (%u distinct MACs, %u at once): %u ACKed, %u failed in %.2f s\n",
	       b.total, b.macs, b.parallel, b.ok, b.failed, s);
	printf("bench_dhcp: %.0f DHCP exchanges per second against the lab's dnsmasq\n", b.ok / s);
	printf("bench_dhcp: peak RSS %ld KiB\n", ru.ru_maxrss);
	uv_loop_close(b.loop);
	return b.failed ? 1 : 0;
}
