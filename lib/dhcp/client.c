/* The DHCP client on the loop: DISCOVER -> OFFER -> REQUEST -> ACK (RFC
 * 2131 3.1), or INFORM -> ACK (3.4). One UDP socket on 0.0.0.0:68 per
 * interface (SO_BINDTODEVICE), the port, carries every client of the loop;
 * the BROADCAST flag asks the server to broadcast its answers, as a client
 * without an address must (4.1), so every answer on the link reaches the
 * port and is handed to the client whose xid and chaddr it carries (4.1,
 * and 2: chaddr is the client's hardware address). It configures nothing
 * on the host. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp/dhcp.h"

#define NBUCKET 256                    /* clients hashed by xid */
#define HDR 236                        /* RFC 2131 2: op .. file */

struct dhcp_port {
	uv_loop_t *loop;
	uv_poll_t poll;
	int fd, closing, poll_closed, connected;
	char iface[IFNAMSIZ];
	struct sockaddr_in to;
	struct dhcp_client *bucket[NBUCKET];
	size_t n_clients;              /* attached: until their dhcp_stop() */
	struct dhcp_port_stats st;
};

enum state { C_SELECTING, C_REQUESTING, C_INFORMING, C_DONE };

struct dhcp_client {
	struct dhcp_port *port;        /* NULL once stopped */
	struct dhcp_client *next, **pprev;
	uv_timer_t retx, deadline;
	int handles;
	struct dhcp_params p;
	char vendor_class[256];
	uint8_t prl[64];
	dhcp_cb *cb;
	void *arg;
	enum state st;
	uint32_t xid, ciaddr, requested, server;
	unsigned interval, base;       /* retransmission delay, and its start */
	uint64_t t0;
	struct dhcp_result r;
};

static const char *port_name(const struct dhcp_port *port)
{
	return port->iface[0] ? port->iface : "the DHCP port";
}

/* ---- one client's exchange ---- */

/* The end of the exchange: quiet from here on, then the callback, last:
 * it may stop this client or close the port. */
static void finish(struct dhcp_client *c, enum pb_cause cause, const char *detail)
{
	if (c->st == C_DONE)
		return;
	c->st = C_DONE;
	c->r.cause = cause;
	if (detail)
		snprintf(c->r.detail, sizeof(c->r.detail), "%s", detail);
	c->r.ms = (double)(uv_hrtime() - c->t0) / 1e6;
	uv_timer_stop(&c->retx);
	uv_timer_stop(&c->deadline);
	c->cb(&c->r, c->arg);
}

/* No transmission and no callback any more (the port is closing). */
static void silence(struct dhcp_client *c)
{
	c->st = C_DONE;
	uv_timer_stop(&c->retx);
	uv_timer_stop(&c->deadline);
}

static void transmit(struct dhcp_client *c)
{
	struct dhcp_port *port = c->port;
	uint8_t buf[576];
	enum dhcp_type t = c->st == C_SELECTING ? DHCP_DISCOVER
			 : c->st == C_REQUESTING ? DHCP_REQUEST : DHCP_INFORM;
	/* RFC 2131 4.4.3: INFORM comes from an address the client has, so the
	 * answer can be unicast to it: no BROADCAST flag there */
	size_t n = dhcp_build(buf, sizeof(buf), t, c->xid, c->p.mac, c->p.vendor_class,
			      c->prl, c->p.n_prl, c->ciaddr, c->requested, c->server,
			      c->st != C_INFORMING);
	ssize_t sent;

	if (!n)
		return;
	sent = port->connected ? send(port->fd, buf, n, 0)
	       : sendto(port->fd, buf, n, 0, (const struct sockaddr *)&port->to,
			sizeof(port->to));
	if (sent > 0) {
		if (t == DHCP_DISCOVER)
			c->r.discovers++;
		else
			c->r.requests++;
	}
}

/* RFC 2131 4.1: retransmit with doubling delays (4, 8, 16 s there; here
 * from 1 s or a quarter of the bounded wait, up to 4 s). */
static void on_retx(uv_timer_t *t)
{
	struct dhcp_client *c = t->data;

	transmit(c);
	if (c->interval < 4000)
		c->interval *= 2;
	uv_timer_start(&c->retx, on_retx, c->interval, 0);
}

static void on_deadline(uv_timer_t *t)
{
	struct dhcp_client *c = t->data;
	char why[200];

	snprintf(why, sizeof(why), c->st == C_SELECTING
		 ? "no DHCPOFFER within %u ms (%u DISCOVERs sent on %s)"
		 : "no DHCPACK within %u ms (%u REQUESTs sent on %s)",
		 c->p.timeout_ms, c->st == C_SELECTING ? c->r.discovers : c->r.requests,
		 port_name(c->port));
	finish(c, PB_CAUSE_DHCP_NO_OFFER, why);
}

/* A server message with our xid and chaddr: 1 if it moved the exchange on
 * (RFC 2131 3.1 steps 2 and 4, 3.4), 0 if malformed or not expected in
 * this state (a second OFFER while REQUESTING, say). */
static int receive(struct dhcp_client *c, const uint8_t *pkt, size_t len)
{
	struct dhcp_lease l;
	char err[128];

	if (dhcp_parse(pkt, len, c->xid, c->p.mac, &l, err, sizeof(err)) < 0)
		return 0;
	if (c->st == C_SELECTING && l.type == DHCP_OFFER) {
		/* 3.1 step 3: REQUEST the offered address from that server */
		c->r.offer = l;
		c->r.got_offer = 1;
		inet_pton(AF_INET, l.yiaddr, &c->requested);
		inet_pton(AF_INET, l.server_id, &c->server);
		c->st = C_REQUESTING;
		c->interval = c->base;
		transmit(c);
		uv_timer_start(&c->retx, on_retx, c->interval, 0);
		return 1;
	}
	if ((c->st == C_REQUESTING || c->st == C_INFORMING) && l.type == DHCP_ACK) {
		c->r.ack = l;
		finish(c, PB_CAUSE_NONE, NULL);
		return 1;
	}
	if (c->st == C_REQUESTING && l.type == DHCP_NAK) {
		char why[200];

		/* 3.1 step 5 and 4.4.1: a NAK ends this exchange; option 56
		 * may say why */
		snprintf(why, sizeof(why), "DHCPNAK from %s%s%s", l.server_id,
			 l.message[0] ? ": " : "", l.message);
		c->r.ack = l;
		finish(c, PB_CAUSE_DHCP_NAK, why);
		return 1;
	}
	return 0;
}

/* ---- the port: one socket, clients by xid ---- */

static struct dhcp_client **bucket_of(struct dhcp_port *port, uint32_t xid)
{
	return &port->bucket[xid % NBUCKET];
}

static int xid_taken(struct dhcp_port *port, uint32_t xid)
{
	const struct dhcp_client *c;

	for (c = *bucket_of(port, xid); c; c = c->next)
		if (c->xid == xid)
			return 1;
	return 0;
}

/* RFC 2131 4.1: "The 'xid' field is used by the client to match incoming
 * DHCP messages with pending requests", so it is random (no two phones
 * booting together draw the same sequence) and unique on this port. */
static uint32_t fresh_xid(struct dhcp_port *port)
{
	uint32_t xid = 0;
	int i;

	for (i = 0; i < 8; i++) {
		if (uv_random(NULL, NULL, &xid, sizeof(xid), 0, NULL) != 0)
			xid = (uint32_t)uv_hrtime() ^ (uint32_t)(uv_hrtime() >> 32);
		if (!xid_taken(port, xid))
			return xid;
	}
	while (xid_taken(port, xid))
		xid++;
	return xid;
}

static void attach(struct dhcp_port *port, struct dhcp_client *c)
{
	struct dhcp_client **head = bucket_of(port, c->xid);

	c->port = port;
	c->next = *head;
	c->pprev = head;
	if (*head)
		(*head)->pprev = &c->next;
	*head = c;
	port->n_clients++;
}

static void port_maybe_free(struct dhcp_port *port)
{
	if (port->closing && port->poll_closed && port->n_clients == 0)
		free(port);
}

static void detach(struct dhcp_client *c)
{
	struct dhcp_port *port = c->port;

	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	c->next = NULL;
	c->pprev = NULL;
	c->port = NULL;
	port->n_clients--;
	port_maybe_free(port);
}

int dhcp_port_dispatch(struct dhcp_port *port, const uint8_t *pkt, size_t len)
{
	struct dhcp_client *c;
	uint32_t nx, xid;

	if (port->closing)
		return 0;
	port->st.received++;
	/* RFC 2131 2: op 2 is BOOTREPLY; xid at offset 4, chaddr at 28 */
	if (len >= HDR + 4 && pkt[0] == 2) {
		memcpy(&nx, pkt + 4, 4);
		xid = ntohl(nx);
		for (c = *bucket_of(port, xid); c; c = c->next)
			if (c->xid == xid && c->st != C_DONE && !memcmp(pkt + 28, c->p.mac, 6))
				break;
		/* counted before: once receive() has called back, the port
		 * may be closing (receive() returns 0 only without a call) */
		if (c) {
			port->st.delivered++;
			if (receive(c, pkt, len))
				return 1;
			port->st.delivered--;
		}
	}
	port->st.dropped++;
	return 0;
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct dhcp_port *port = h->data;
	uint8_t buf[1500];
	ssize_t n;

	(void)status;
	(void)events;
	while (!port->closing && (n = recv(port->fd, buf, sizeof(buf), 0)) >= 0)
		if (n > 0)
			dhcp_port_dispatch(port, buf, (size_t)n);
}

static void on_port_closed(uv_handle_t *h)
{
	struct dhcp_port *port = h->data;

	close(port->fd);
	port->fd = -1;
	port->poll_closed = 1;
	port_maybe_free(port);
}

void dhcp_port_close(struct dhcp_port *port)
{
	struct dhcp_client *c;
	size_t i;

	if (!port || port->closing)
		return;
	port->closing = 1;
	for (i = 0; i < NBUCKET; i++)
		for (c = port->bucket[i]; c; c = c->next)
			silence(c);
	uv_close((uv_handle_t *)&port->poll, on_port_closed);
}

const struct dhcp_port_stats *dhcp_port_stats(const struct dhcp_port *port)
{
	return &port->st;
}

enum pb_err dhcp_port_open_fd(uv_loop_t *loop, int fd, const char *iface,
			      const struct sockaddr_in *to, struct dhcp_port **out,
			      char *err, size_t errlen)
{
	struct dhcp_port *port = NULL;
	enum pb_err rc = PB_ERR_NOMEM;
	int fl;

	if (iface && strlen(iface) >= IFNAMSIZ) {
		snprintf(err, errlen, "--dhcp %s: interface name too long", iface);
		rc = PB_ERR_USAGE;
		goto out;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "DHCP socket: %s", strerror(errno));
		rc = PB_ERR_NETWORK;
		goto out;
	}
	port = calloc(1, sizeof(*port));
	if (!port) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (uv_poll_init_socket(loop, &port->poll, fd) != 0) {
		snprintf(err, errlen, "DHCP socket: cannot watch it on the loop");
		rc = PB_ERR_INTERNAL;
		free(port);
		port = NULL;
		goto out;
	}
	port->loop = loop;
	port->fd = fd;
	port->poll.data = port;
	if (iface)
		snprintf(port->iface, sizeof(port->iface), "%s", iface);
	if (to)
		port->to = *to;
	else
		port->connected = 1;
	uv_poll_start(&port->poll, UV_READABLE, on_readable);
	*out = port;
	rc = PB_OK;
out:
	if (rc != PB_OK)
		close(fd);
	return rc;
}

enum pb_err dhcp_port_open(uv_loop_t *loop, const char *iface, struct dhcp_port **out,
			   char *err, size_t errlen)
{
	struct sockaddr_in a, to;
	int one = 1, fd = -1;

	if (strlen(iface) >= IFNAMSIZ) {
		snprintf(err, errlen, "--dhcp %s: interface name too long", iface);
		return PB_ERR_USAGE;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "DHCP socket: %s", strerror(errno));
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface,
		       (socklen_t)strlen(iface) + 1) < 0) {
		snprintf(err, errlen, "--dhcp %s: %s", iface, errno == ENODEV
			 ? "no such interface" : strerror(errno));
		goto fail;
	}
	/* RFC 2131 4.1: servers answer to the client port, 68 */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(68);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(err, errlen, "DHCP client port 68 on %s: %s%s", iface,
			 strerror(errno), errno == EACCES ? " (needs root)" : "");
		goto fail;
	}
	/* 4.1: a client without an address broadcasts to the server port */
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(67);
	to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	return dhcp_port_open_fd(loop, fd, iface, &to, out, err, errlen);
fail:
	if (fd >= 0)
		close(fd);
	return PB_ERR_NETWORK;
}

/* RFC 2131 3.4: DHCPINFORM carries the address the interface already
 * has, in ciaddr. */
static int iface_addr(const struct dhcp_port *port, uint32_t *addr, char *err, size_t errlen)
{
	struct ifreq ifr;

	if (!port->iface[0]) {
		snprintf(err, errlen, "--dhcp-inform: the DHCP port has no interface");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", port->iface);
	if (ioctl(port->fd, SIOCGIFADDR, &ifr) < 0) {
		snprintf(err, errlen, "--dhcp-inform: %s has no IPv4 address", port->iface);
		return -1;
	}
	*addr = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
	return 0;
}

static void on_closed(uv_handle_t *h)
{
	struct dhcp_client *c = h->data;

	if (--c->handles == 0)
		free(c);
}

void dhcp_stop(struct dhcp_client *c)
{
	if (!c || !c->port)
		return;
	c->st = C_DONE;
	detach(c);
	uv_close((uv_handle_t *)&c->retx, on_closed);
	uv_close((uv_handle_t *)&c->deadline, on_closed);
}

uint32_t dhcp_client_xid(const struct dhcp_client *c)
{
	return c->xid;
}

enum pb_err dhcp_start(struct dhcp_port *port, const struct dhcp_params *p, dhcp_cb *cb,
		       void *arg, struct dhcp_client **out, char *err, size_t errlen)
{
	struct dhcp_client *c = NULL;
	enum pb_err rc = PB_ERR_NOMEM;

	if (port->closing) {
		snprintf(err, errlen, "DHCP on %s: the port is closing", port_name(port));
		rc = PB_ERR_INTERNAL;
		goto out;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	c->p = *p;
	if (p->vendor_class) {
		snprintf(c->vendor_class, sizeof(c->vendor_class), "%s", p->vendor_class);
		c->p.vendor_class = c->vendor_class;
	}
	c->p.n_prl = p->n_prl < sizeof(c->prl) ? p->n_prl : sizeof(c->prl);
	if (c->p.n_prl)
		memcpy(c->prl, p->prl, c->p.n_prl);
	c->p.prl = c->prl;
	c->p.timeout_ms = p->timeout_ms ? p->timeout_ms : 8000;
	if (p->inform && iface_addr(port, &c->ciaddr, err, errlen) < 0) {
		rc = PB_ERR_NETWORK;
		goto out;
	}
	c->xid = fresh_xid(port);
	c->cb = cb;
	c->arg = arg;
	c->t0 = uv_hrtime();
	c->st = p->inform ? C_INFORMING : C_SELECTING;
	/* the first retry after 1 s, or sooner when the whole wait is short,
	 * so that a bounded exchange still retransmits (RFC 2131 4.1) */
	c->base = c->p.timeout_ms / 4 < 1000 ? c->p.timeout_ms / 4 : 1000;
	if (c->base < 50)
		c->base = 50;
	c->interval = c->base;
	uv_timer_init(port->loop, &c->retx);
	uv_timer_init(port->loop, &c->deadline);
	c->retx.data = c->deadline.data = c;
	c->handles = 2;
	attach(port, c);
	transmit(c);
	uv_timer_start(&c->retx, on_retx, c->interval, 0);
	uv_timer_start(&c->deadline, on_deadline, c->p.timeout_ms, 0);
	*out = c;
	rc = PB_OK;
out:
	if (rc != PB_OK)
		free(c);
	return rc;
}

/* --dhcp-configure: put the leased address on the interface (SIOCSIFADDR,
 * SIOCSIFNETMASK; the kernel adds the connected route), and take it off
 * again (setting 0.0.0.0 deletes it). Only when the user asks. */
static int ifaddr_ioctl(const char *iface, unsigned long req, const char *addr,
			char *err, size_t errlen)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	sin->sin_family = AF_INET;
	if (fd < 0 || inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
		snprintf(err, errlen, "cannot set %s on %s", addr, iface);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = ioctl(fd, req, &ifr);
	if (rc < 0)
		snprintf(err, errlen, "%s on %s: %s", addr, iface, strerror(errno));
	close(fd);
	return rc;
}

int dhcp_configure(const char *iface, const char *addr, const char *mask,
		   char *err, size_t errlen)
{
	if (ifaddr_ioctl(iface, SIOCSIFADDR, addr, err, errlen) < 0)
		return -1;
	if (mask[0] && ifaddr_ioctl(iface, SIOCSIFNETMASK, mask, err, errlen) < 0)
		return -1;
	return 0;
}

void dhcp_unconfigure(const char *iface)
{
	char err[128];

	ifaddr_ioctl(iface, SIOCSIFADDR, "0.0.0.0", err, sizeof(err));
}
