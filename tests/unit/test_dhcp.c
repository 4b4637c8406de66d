/* DHCP packets: build, and parse hand-built and captured server messages,
 * including the lab's option 43 bytes (sub-options in reverse order,
 * 0xFF-terminated), option 119 with compression, both encodings of option
 * 120, and overlong or truncated options. The shared port: clients
 * demultiplexed by xid and chaddr, with a mock server on 127.0.0.1 in the
 * same loop or hand-built packets handed to dhcp_port_dispatch() (no root,
 * no port 68). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcp/dhcp.h"

static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0x99, 0x64 };
#define XID 0x11223344u

/* A server reply header (BOOTREPLY) + cookie, then options appended. */
struct pkt {
	uint8_t b[1500];
	size_t n;
};

static void reply_to(struct pkt *p, uint8_t type, uint32_t xid, const uint8_t *chaddr,
		     uint8_t yi)
{
	uint32_t x = htonl(xid);

	memset(p, 0, sizeof(*p));
	p->b[0] = 2; p->b[1] = 1; p->b[2] = 6;
	memcpy(p->b + 4, &x, 4);
	p->b[16] = 10; p->b[17] = 99; p->b[18] = 0; p->b[19] = yi;    /* yiaddr */
	memcpy(p->b + 28, chaddr, 6);
	p->b[236] = 99; p->b[237] = 130; p->b[238] = 83; p->b[239] = 99;
	p->n = 240;
	p->b[p->n++] = 53; p->b[p->n++] = 1; p->b[p->n++] = type;
}

static void reply(struct pkt *p, uint8_t type)
{
	reply_to(p, type, XID, mac, 100);
}

static void opt(struct pkt *p, uint8_t code, const void *data, size_t len)
{
	p->b[p->n++] = code;
	p->b[p->n++] = (uint8_t)len;
	memcpy(p->b + p->n, data, len);
	p->n += len;
}

static void hexopt(struct pkt *p, uint8_t code, const char *hex)
{
	uint8_t d[255];
	size_t i, n = strlen(hex) / 2;

	for (i = 0; i < n; i++) {
		char h[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		d[i] = (uint8_t)strtoul(h, NULL, 16);
	}
	opt(p, code, d, n);
}

static void build(void **st)
{
	uint8_t buf[600], prl[] = { 1, 3, 6, 43, 120 };
	size_t n = dhcp_build(buf, sizeof(buf), DHCP_DISCOVER, XID, mac, "MS-UC-Client",
			      prl, sizeof(prl), 0, 0, 0, 1);

	(void)st;
	assert_true(n >= 300);
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[10], 0x80);                 /* broadcast flag */
	assert_memory_equal(buf + 28, mac, 6);
	assert_int_equal(buf[240], 53);
	assert_int_equal(buf[242], DHCP_DISCOVER);
	assert_non_null(memmem(buf, n, "\x3c\x0cMS-UC-Client", 14));   /* option 60 */
	assert_non_null(memmem(buf, n, "\x37\x05\x01\x03\x06\x2b\x78", 7)); /* option 55 */
	assert_int_equal(dhcp_build(buf, 100, DHCP_DISCOVER, XID, mac, NULL, NULL, 0, 0, 0, 0, 1), 0);
}

/* The ACK dnsmasq sends phone01 in the lab (options as log-dhcp shows). */
static void lab_ack(void **st)
{
	struct pkt p;
	struct dhcp_lease l;
	char err[128];
	static const uint8_t sid[] = { 10, 99, 0, 1 }, dns[] = { 10, 99, 0, 53 },
		ntp[] = { 10, 99, 0, 10 }, lease[] = { 0, 0, 0xa8, 0xc0 };

	(void)st;
	reply(&p, DHCP_ACK);
	opt(&p, 54, sid, 4);
	opt(&p, 51, lease, 4);
	opt(&p, 6, dns, 4);
	opt(&p, 15, "corp.example", 12);
	opt(&p, 42, ntp, 4);
	opt(&p, 60, "MS-UC-Client", 12);
	/* option 120, RFC 3361 encoding 0: 00 04'pool'04'corp'07'example'00 */
	hexopt(&p, 120, "0004706f6f6c04636f7270076578616d706c6500");
	/* option 43 exactly as dnsmasq sends it: 5,4,3,2,1 then 0xFF */
	hexopt(&p, 43, "05252f4365727450726f762f4365727450726f766973696f6e696e67536572766963652e737663"
		       "04033434330311706f6f6c2e636f72702e6578616d706c6502056874747073010c4d532d55432d"
		       "436c69656e74ff");
	/* option 119 with a compression pointer: corp.example, phones.<ptr 0> */
	hexopt(&p, 119, "04636f7270076578616d706c65000670686f6e6573c000");
	p.b[p.n++] = 255;
	assert_int_equal(dhcp_parse(p.b, p.n, XID, mac, &l, err, sizeof(err)), 0);
	assert_int_equal(l.type, DHCP_ACK);
	assert_string_equal(l.yiaddr, "10.99.0.100");
	assert_string_equal(l.server_id, "10.99.0.1");
	assert_int_equal(l.lease_time, 43200);
	assert_int_equal(l.n_dns, 1);
	assert_string_equal(l.dns[0], "10.99.0.53");
	assert_string_equal(l.domain, "corp.example");
	assert_string_equal(l.ntp[0], "10.99.0.10");
	assert_int_equal(l.sip_enc, 0);
	assert_int_equal(l.n_sip, 1);
	assert_string_equal(l.sip[0], "pool.corp.example");
	assert_true(l.ms_uc);
	assert_string_equal(l.uc_identifier, "MS-UC-Client");
	assert_string_equal(l.uc_scheme, "https");
	assert_string_equal(l.uc_fqdn, "pool.corp.example");
	assert_string_equal(l.uc_port, "443");
	assert_string_equal(l.uc_path, "/CertProv/CertProvisioningService.svc");
	assert_int_equal(l.n_search, 2);
	assert_string_equal(l.search[0], "corp.example");
	assert_string_equal(l.search[1], "phones.corp.example");
}

static void option_120_addresses_and_43_in_order(void **st)
{
	struct pkt p;
	struct dhcp_lease l;
	char err[128];

	(void)st;
	reply(&p, DHCP_OFFER);
	hexopt(&p, 120, "010a6300140a630014");          /* enc 1: 10.99.0.20 twice */
	hexopt(&p, 43, "010c4d532d55432d436c69656e74020568747470730311706f6f6c2e636f72702e6578616d706c65");
	p.b[p.n++] = 255;
	assert_int_equal(dhcp_parse(p.b, p.n, XID, mac, &l, err, sizeof(err)), 0);
	assert_int_equal(l.sip_enc, 1);
	assert_int_equal(l.n_sip, 2);
	assert_string_equal(l.sip[0], "10.99.0.20");
	assert_string_equal(l.uc_fqdn, "pool.corp.example");   /* no 0xFF end: fine */
	assert_int_equal(l.n_dns, 0);
}

/* Sub-option 10, the voice VLAN (gg398088: vendor class CPE-OCPHONE): an
 * ASCII VLAN ID, 1..4094; anything else is kept as sent and marked -1 */
static void voice_vlan_sub_option(void **st)
{
	static const struct {
		const char *hex, *text;
		int vlan;
	} cases[] = {
		{ "0a03313030", "100", 100 },
		{ "0a0134", "4", 4 },
		{ "0a0434303934", "4094", 4094 },
		{ "0a0434303935", "4095", -1 },         /* reserved */
		{ "0a0130", "0", -1 },
		{ "0a03616263", "abc", -1 },
		{ "0a053030303130", "00010", -1 },      /* more digits than a VLAN ID has */
		{ "0a00", "", -1 },
		{ "010c4d532d55432d436c69656e74", "", 0 },  /* no sub-option 10 */
	};
	size_t i;

	(void)st;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt p;
		struct dhcp_lease l;
		char err[128];

		reply(&p, DHCP_ACK);
		hexopt(&p, 43, cases[i].hex);
		p.b[p.n++] = 255;
		assert_int_equal(dhcp_parse(p.b, p.n, XID, mac, &l, err, sizeof(err)), 0);
		assert_true(l.has_43);
		assert_string_equal(l.uc_vlan, cases[i].text);
		assert_int_equal(l.voice_vlan, cases[i].vlan);
	}
}

static void long_options_concatenate(void **st)
{
	struct pkt p;
	struct dhcp_lease l;
	char err[128];

	(void)st;
	/* RFC 3396: the same option twice is one value */
	reply(&p, DHCP_ACK);
	hexopt(&p, 119, "04636f7270");
	hexopt(&p, 119, "076578616d706c6500");
	p.b[p.n++] = 255;
	assert_int_equal(dhcp_parse(p.b, p.n, XID, mac, &l, err, sizeof(err)), 0);
	assert_string_equal(l.search[0], "corp.example");
}

static void malformed(void **st)
{
	struct pkt p;
	struct dhcp_lease l;
	char err[128];
	static const uint8_t other[6] = { 2, 0, 0, 0, 0x42, 0x42 };

	(void)st;
	/* an option that runs past the end */
	reply(&p, DHCP_ACK);
	p.b[p.n++] = 6; p.b[p.n++] = 40; p.b[p.n++] = 10;
	assert_int_equal(dhcp_parse(p.b, p.n, XID, mac, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "option 6"));
	/* a truncated option header */
	reply(&p, DHCP_ACK);
	p.b[p.n++] = 6;
	assert_int_equal(dhcp_parse(p.b, p.n, XID, mac, &l, err, sizeof(err)), -1);
	/* a compression loop in 119 */
	reply(&p, DHCP_ACK);
	hexopt(&p, 119, "c000");
	assert_int_equal(dhcp_parse(p.b, p.n, XID, mac, &l, err, sizeof(err)), -1);
	/* a pointer out of bounds in 120 */
	reply(&p, DHCP_ACK);
	hexopt(&p, 120, "00c0ff");
	assert_int_equal(dhcp_parse(p.b, p.n, XID, mac, &l, err, sizeof(err)), -1);
	/* an unknown 120 encoding */
	reply(&p, DHCP_ACK);
	hexopt(&p, 120, "07");
	assert_int_equal(dhcp_parse(p.b, p.n, XID, mac, &l, err, sizeof(err)), -1);
	/* not ours: other xid, other MAC; no message type; short */
	reply(&p, DHCP_ACK);
	assert_int_equal(dhcp_parse(p.b, p.n, XID + 1, mac, &l, err, sizeof(err)), -1);
	assert_int_equal(dhcp_parse(p.b, p.n, XID, other, &l, err, sizeof(err)), -1);
	assert_int_equal(dhcp_parse(p.b, 100, XID, mac, &l, err, sizeof(err)), -1);
	reply(&p, DHCP_ACK);
	p.b[240] = 0;                                     /* option 53 -> pad */
	p.b[241] = 0; p.b[242] = 0;
	assert_int_equal(dhcp_parse(p.b, p.n, XID, mac, &l, err, sizeof(err)), -1);
}

static void names(void **st)
{
	char out[4][256];
	static const uint8_t two[] = { 1, 'a', 0, 1, 'b', 0xc0, 0 };

	(void)st;
	assert_int_equal(dhcp_names(two, sizeof(two), out, 4), 2);
	assert_string_equal(out[0], "a");
	assert_string_equal(out[1], "b.a");
	assert_int_equal(dhcp_names((const uint8_t *)"\x05" "ab", 3, out, 4), -1);
}

/* ---- the shared port ---- */

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0x99, 0x01 };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0x99, 0x02 };

enum srv_mode { SRV_ANSWER, SRV_NAK, SRV_SILENT };

/* A DHCP server on 127.0.0.1 in the test's loop: it answers each request
 * to where it came from, the address 10.99.0.(100 + last MAC octet). With
 * decoys it first sends what no client must take: the same xid for
 * another chaddr, and an unknown xid. */
struct srv {
	int fd;
	uv_poll_t poll;
	enum srv_mode mode;
	int decoys;
	unsigned seen[9];                /* requests by message type */
	uint8_t ciaddr[4];               /* of the last request */
	int broadcast;                   /* its BROADCAST flag */
};

struct fix {
	uv_loop_t loop;
	struct dhcp_port *port;
	struct srv srv;
	int srv_on;
	unsigned done, want;             /* callbacks; uv_stop at want */
};

struct got {
	struct fix *f;
	int calls;
	struct dhcp_result r;
};

static void on_result(const struct dhcp_result *r, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->r = *r;
	if (++g->f->done == g->f->want)
		uv_stop(&g->f->loop);
}

static uint8_t req_type(const uint8_t *b, size_t n)
{
	size_t i = 240;

	while (i + 2 < n && b[i] != 255) {
		if (b[i] == 0) {
			i++;
			continue;
		}
		if (b[i] == 53)
			return b[i + 2];
		i += 2 + (size_t)b[i + 1];
	}
	return 0;
}

static void srv_send(struct srv *sv, struct pkt *p, const struct sockaddr_in *to)
{
	static const uint8_t sid[] = { 10, 99, 0, 1 }, mask[] = { 255, 255, 255, 0 },
		dns[] = { 10, 99, 0, 53 };

	opt(p, 54, sid, 4);
	if (p->b[242] == DHCP_NAK) {
		opt(p, 56, "address not yours", 17);
	} else {
		opt(p, 1, mask, 4);
		opt(p, 6, dns, 4);
	}
	p->b[p->n++] = 255;
	assert_true(sendto(sv->fd, p->b, p->n, 0, (const struct sockaddr *)to,
			   sizeof(*to)) == (ssize_t)p->n);
}

static void on_request(uv_poll_t *h, int status, int events)
{
	struct srv *sv = h->data;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	uint8_t b[1500], t, yi;
	uint32_t nx, xid;
	struct pkt p;
	ssize_t n;

	(void)status;
	(void)events;
	while ((n = recvfrom(sv->fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl)) > 0) {
		t = req_type(b, (size_t)n);
		assert_true(n >= 243 && b[0] == 1 && t >= 1 && t <= 8);
		sv->seen[t]++;
		memcpy(sv->ciaddr, b + 12, 4);
		sv->broadcast = (b[10] & 0x80) != 0;
		memcpy(&nx, b + 4, 4);
		xid = ntohl(nx);
		yi = (uint8_t)(100 + b[33]);
		if (sv->mode == SRV_SILENT)
			continue;
		if (sv->decoys) {
			reply_to(&p, t == DHCP_DISCOVER ? DHCP_OFFER : DHCP_ACK, xid,
				 b[33] == 1 ? mac_b : mac_a, 66);
			srv_send(sv, &p, &from);
			reply_to(&p, t == DHCP_DISCOVER ? DHCP_OFFER : DHCP_ACK, xid + 1,
				 b + 28, 67);
			srv_send(sv, &p, &from);
		}
		if (t == DHCP_DISCOVER)
			reply_to(&p, DHCP_OFFER, xid, b + 28, yi);
		else if (t == DHCP_REQUEST && sv->mode == SRV_NAK)
			reply_to(&p, DHCP_NAK, xid, b + 28, 0);
		else
			reply_to(&p, DHCP_ACK, xid, b + 28, t == DHCP_INFORM ? 0 : yi);
		srv_send(sv, &p, &from);
	}
}

static int udp_on_lo(struct sockaddr_in *a)
{
	socklen_t l = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &l), 0);
	return fd;
}

/* A loop, a server on 127.0.0.1, and a port (on "lo") that sends to it. */
static void fix_up(struct fix *f, enum srv_mode mode)
{
	struct sockaddr_in srv_addr, me;
	char err[160];

	memset(f, 0, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->srv.fd = udp_on_lo(&srv_addr);
	f->srv.mode = mode;
	uv_poll_init_socket(&f->loop, &f->srv.poll, f->srv.fd);
	f->srv.poll.data = &f->srv;
	uv_poll_start(&f->srv.poll, UV_READABLE, on_request);
	f->srv_on = 1;
	assert_int_equal(dhcp_port_open_fd(&f->loop, udp_on_lo(&me), "lo", &srv_addr,
					   &f->port, err, sizeof(err)), PB_OK);
}

/* A loop and a port over one end of a datagram socketpair, no server:
 * the test reads the requests from *peer and dispatches by hand. */
static void fix_pair(struct fix *f, int *peer)
{
	int sv[2];
	char err[160];

	memset(f, 0, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(dhcp_port_open_fd(&f->loop, sv[0], NULL, NULL, &f->port, err,
					   sizeof(err)), PB_OK);
	*peer = sv[1];
}

static void on_guard(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Run the loop until want callbacks came, or ms passed. */
static void run_for(struct fix *f, unsigned ms)
{
	uv_timer_t guard;

	uv_timer_init(&f->loop, &guard);
	uv_timer_start(&guard, on_guard, ms, 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* Everything closes and is freed: uv_loop_close finds no handle. */
static void fix_down(struct fix *f)
{
	dhcp_port_close(f->port);
	if (f->srv_on) {
		uv_close((uv_handle_t *)&f->srv.poll, NULL);
		close(f->srv.fd);
	}
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static struct dhcp_client *start(struct fix *f, const uint8_t m[6], int inform,
				 unsigned timeout_ms, struct got *g)
{
	static const uint8_t prl[] = { 1, 3, 6, 43, 120 };
	struct dhcp_params p;
	struct dhcp_client *c = NULL;
	char err[160];

	memset(&p, 0, sizeof(p));
	memcpy(p.mac, m, 6);
	p.vendor_class = "MS-UC-Client";
	p.prl = prl;
	p.n_prl = sizeof(prl);
	p.inform = inform;
	p.timeout_ms = timeout_ms;
	memset(g, 0, sizeof(*g));
	g->f = f;
	assert_int_equal(dhcp_start(f->port, &p, on_result, g, &c, err, sizeof(err)), PB_OK);
	assert_non_null(c);
	assert_int_equal(g->calls, 0);          /* never inside dhcp_start */
	return c;
}

static void port_two_clients_each_get_their_own(void **st)
{
	struct fix f;
	struct got ga, gb;
	struct dhcp_client *a, *b;
	const struct dhcp_port_stats *s;

	(void)st;
	fix_up(&f, SRV_ANSWER);
	f.srv.decoys = 1;
	f.want = 2;
	a = start(&f, mac_a, 0, 3000, &ga);
	b = start(&f, mac_b, 0, 3000, &gb);
	assert_true(dhcp_client_xid(a) != dhcp_client_xid(b));
	run_for(&f, 3000);
	assert_int_equal(ga.calls, 1);
	assert_int_equal(gb.calls, 1);
	assert_int_equal(ga.r.cause, PB_CAUSE_NONE);
	assert_int_equal(gb.r.cause, PB_CAUSE_NONE);
	/* each its own OFFER and ACK, never a decoy (.66, .67) */
	assert_string_equal(ga.r.offer.yiaddr, "10.99.0.101");
	assert_string_equal(ga.r.ack.yiaddr, "10.99.0.101");
	assert_string_equal(gb.r.offer.yiaddr, "10.99.0.102");
	assert_string_equal(gb.r.ack.yiaddr, "10.99.0.102");
	assert_string_equal(ga.r.ack.dns[0], "10.99.0.53");
	assert_int_equal(ga.r.discovers, 1);
	assert_int_equal(ga.r.requests, 1);
	assert_int_equal(f.srv.seen[DHCP_DISCOVER], 2);
	assert_int_equal(f.srv.seen[DHCP_REQUEST], 2);
	assert_true(f.srv.broadcast);           /* RFC 2131 4.1 */
	s = dhcp_port_stats(f.port);
	assert_int_equal(s->delivered, 4);
	assert_int_equal(s->dropped, 8);        /* two decoys per request */
	assert_int_equal(s->received, 12);
	dhcp_stop(a);
	dhcp_stop(b);
	fix_down(&f);
}

static void dispatch_drops_what_is_not_a_clients(void **st)
{
	struct fix f;
	struct got g;
	struct dhcp_client *c;
	struct pkt p;
	uint8_t req[600];
	uint32_t xid, nx;
	int peer;

	(void)st;
	fix_pair(&f, &peer);
	c = start(&f, mac_a, 0, 3000, &g);
	xid = dhcp_client_xid(c);
	/* the DISCOVER went out through the port with that xid and chaddr */
	assert_true(recv(peer, req, sizeof(req), 0) >= 300);
	memcpy(&nx, req + 4, 4);
	assert_int_equal(ntohl(nx), xid);
	assert_memory_equal(req + 28, mac_a, 6);
	reply_to(&p, DHCP_OFFER, xid + 1, mac_a, 101);           /* unknown xid */
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 0);
	reply_to(&p, DHCP_OFFER, xid, mac_b, 101);               /* another chaddr */
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 0);
	reply_to(&p, DHCP_OFFER, xid, mac_a, 101);
	p.b[0] = 1;                                              /* a BOOTREQUEST */
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 0);
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, 100), 0);  /* short */
	reply_to(&p, DHCP_ACK, xid, mac_a, 101);                 /* ACK before OFFER */
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 0);
	reply_to(&p, DHCP_OFFER, xid, mac_a, 101);
	p.b[p.n++] = 6; p.b[p.n++] = 40;                         /* malformed */
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 0);
	assert_int_equal(g.calls, 0);
	reply_to(&p, DHCP_OFFER, xid, mac_a, 101);
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 1);
	assert_int_equal(g.calls, 0);
	reply_to(&p, DHCP_ACK, xid, mac_a, 101);
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 1);
	assert_int_equal(g.calls, 1);                            /* from the dispatch */
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_string_equal(g.r.ack.yiaddr, "10.99.0.101");
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 0);  /* done: no more */
	assert_int_equal(g.calls, 1);
	assert_int_equal(dhcp_port_stats(f.port)->delivered, 2);
	assert_int_equal(dhcp_port_stats(f.port)->dropped, 7);
	dhcp_stop(c);
	dhcp_stop(NULL);
	fix_down(&f);
	close(peer);
}

static void stopped_mid_exchange_no_callback_port_survives(void **st)
{
	struct fix f;
	struct got ga, gb, gc;
	struct dhcp_client *a, *b, *c;
	struct pkt p;
	uint32_t xa;
	int peer;

	(void)st;
	fix_pair(&f, &peer);
	a = start(&f, mac_a, 0, 100, &ga);
	b = start(&f, mac_b, 0, 3000, &gb);
	xa = dhcp_client_xid(a);
	reply_to(&p, DHCP_OFFER, xa, mac_a, 101);
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 1);
	reply_to(&p, DHCP_OFFER, dhcp_client_xid(b), mac_b, 102);
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 1);
	dhcp_stop(a);                                    /* mid-exchange */
	reply_to(&p, DHCP_ACK, xa, mac_a, 101);
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 0);
	run_for(&f, 300);                                /* past a's deadline */
	assert_int_equal(ga.calls, 0);
	assert_int_equal(gb.calls, 0);
	reply_to(&p, DHCP_ACK, dhcp_client_xid(b), mac_b, 102);
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 1);
	assert_int_equal(gb.calls, 1);
	assert_string_equal(gb.r.ack.yiaddr, "10.99.0.102");
	/* the port serves the next client */
	c = start(&f, mac_a, 0, 3000, &gc);
	reply_to(&p, DHCP_OFFER, dhcp_client_xid(c), mac_a, 101);
	assert_int_equal(dhcp_port_dispatch(f.port, p.b, p.n), 1);
	assert_int_equal(ga.calls, 0);
	dhcp_stop(b);
	dhcp_stop(c);
	fix_down(&f);
	close(peer);
}

/* dhcp_port_close() first: the clients fall silent and stay valid until
 * their dhcp_stop(), which frees them (and the port, last). */
static void port_closed_before_its_clients(void **st)
{
	struct fix f;
	struct got ga, gb, gc;
	struct dhcp_client *a, *b, *c = NULL;
	struct dhcp_params p;
	struct pkt pk;
	char err[160];
	int peer;

	(void)st;
	fix_pair(&f, &peer);
	a = start(&f, mac_a, 0, 100, &ga);
	b = start(&f, mac_b, 0, 100, &gb);
	reply_to(&pk, DHCP_OFFER, dhcp_client_xid(a), mac_a, 101);
	dhcp_port_close(f.port);
	assert_int_equal(dhcp_port_dispatch(f.port, pk.b, pk.n), 0);
	memset(&p, 0, sizeof(p));
	memcpy(p.mac, mac_a, 6);
	assert_int_not_equal(dhcp_start(f.port, &p, on_result, &gc, &c, err, sizeof(err)), PB_OK);
	assert_null(c);
	run_for(&f, 300);                       /* past both deadlines, socket closed */
	assert_int_equal(ga.calls, 0);
	assert_int_equal(gb.calls, 0);
	dhcp_stop(a);
	dhcp_stop(b);                           /* the port goes with the last */
	f.port = NULL;
	fix_down(&f);
	close(peer);
}

static void xids_distinct_on_a_port(void **st)
{
	enum { N = 300 };
	struct fix f;
	static struct got g[N];
	struct dhcp_client *c[N];
	uint8_t m[6];
	int peer, i, j;

	(void)st;
	fix_pair(&f, &peer);
	for (i = 0; i < N; i++) {
		memcpy(m, mac_a, 6);
		m[3] = (uint8_t)(i >> 8);
		m[5] = (uint8_t)i;
		c[i] = start(&f, m, 0, 3000, &g[i]);
	}
	for (i = 0; i < N; i++)
		for (j = i + 1; j < N; j++)
			assert_true(dhcp_client_xid(c[i]) != dhcp_client_xid(c[j]));
	dhcp_port_close(f.port);
	for (i = 0; i < N; i++)
		dhcp_stop(c[i]);
	f.port = NULL;
	fix_down(&f);
	close(peer);
}

/* RFC 2131 3.4: DHCPINFORM through the shared port, ciaddr from the
 * port's interface, no BROADCAST flag. */
static void inform_through_the_port(void **st)
{
	struct fix f;
	struct got g;
	struct dhcp_client *c;
	static const uint8_t lo[4] = { 127, 0, 0, 1 };

	(void)st;
	fix_up(&f, SRV_ANSWER);
	f.want = 1;
	c = start(&f, mac_a, 1, 3000, &g);
	run_for(&f, 3000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_NONE);
	assert_int_equal(g.r.ack.type, DHCP_ACK);
	assert_string_equal(g.r.ack.dns[0], "10.99.0.53");
	assert_int_equal(g.r.got_offer, 0);
	assert_int_equal(f.srv.seen[DHCP_INFORM], 1);
	assert_int_equal(f.srv.seen[DHCP_DISCOVER], 0);
	assert_memory_equal(f.srv.ciaddr, lo, 4);
	assert_false(f.srv.broadcast);
	dhcp_stop(c);
	fix_down(&f);
}

static void nak_through_the_port(void **st)
{
	struct fix f;
	struct got g;
	struct dhcp_client *c;

	(void)st;
	fix_up(&f, SRV_NAK);
	f.want = 1;
	c = start(&f, mac_a, 0, 3000, &g);
	run_for(&f, 3000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_DHCP_NAK);
	assert_int_equal(g.r.got_offer, 1);
	assert_string_equal(g.r.detail, "DHCPNAK from 10.99.0.1: address not yours");
	dhcp_stop(c);
	fix_down(&f);
}

/* RFC 2131 4.1: retransmissions with doubling delays inside the bound
 * (from a quarter of a 400 ms wait: 0, 100, 300 ms), then dhcp-no-offer. */
static void silence_retransmits_within_the_bound(void **st)
{
	struct fix f;
	struct got g;
	struct dhcp_client *c;

	(void)st;
	fix_up(&f, SRV_SILENT);
	f.want = 1;
	c = start(&f, mac_a, 0, 400, &g);
	run_for(&f, 3000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.r.cause, PB_CAUSE_DHCP_NO_OFFER);
	assert_true(g.r.discovers >= 2 && g.r.discovers <= 3);
	assert_int_equal(f.srv.seen[DHCP_DISCOVER], g.r.discovers);
	assert_true(g.r.ms >= 300 && g.r.ms < 1500);   /* the loop clock may lag */
	assert_non_null(strstr(g.r.detail, "no DHCPOFFER within 400 ms"));
	assert_non_null(strstr(g.r.detail, "on lo"));
	dhcp_stop(c);
	fix_down(&f);
}

static void port_open_errors(void **st)
{
	uv_loop_t loop;
	struct dhcp_port *port = NULL;
	char err[160] = "";

	(void)st;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(dhcp_port_open(&loop, "an-interface-name-too-long", &port, err,
					 sizeof(err)), PB_ERR_USAGE);
	assert_non_null(strstr(err, "too long"));
	/* root: "no such interface"; otherwise the permission: either way */
	assert_int_equal(dhcp_port_open(&loop, "nosuch0", &port, err, sizeof(err)),
			 PB_ERR_NETWORK);
	assert_null(port);
	dhcp_port_close(NULL);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build),
		cmocka_unit_test(lab_ack),
		cmocka_unit_test(option_120_addresses_and_43_in_order),
		cmocka_unit_test(voice_vlan_sub_option),
		cmocka_unit_test(long_options_concatenate),
		cmocka_unit_test(malformed),
		cmocka_unit_test(names),
		cmocka_unit_test(port_two_clients_each_get_their_own),
		cmocka_unit_test(dispatch_drops_what_is_not_a_clients),
		cmocka_unit_test(stopped_mid_exchange_no_callback_port_survives),
		cmocka_unit_test(port_closed_before_its_clients),
		cmocka_unit_test(xids_distinct_on_a_port),
		cmocka_unit_test(inform_through_the_port),
		cmocka_unit_test(nak_through_the_port),
		cmocka_unit_test(silence_retransmits_within_the_bound),
		cmocka_unit_test(port_open_errors),
	};
	return cmocka_run_group_tests_name("dhcp", tests, NULL, NULL);
}
