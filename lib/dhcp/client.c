/* The DHCP client on the loop: DISCOVER -> OFFER -> REQUEST -> ACK (RFC
 * 2131 3.1), or INFORM -> ACK (3.4). A UDP socket on 0.0.0.0:68 bound to
 * the interface (SO_BINDTODEVICE); the BROADCAST flag asks the server to
 * broadcast its answers, as a client without an address must (4.1). It
 * configures nothing on the host. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp/dhcp.h"

enum state { C_SELECTING, C_REQUESTING, C_INFORMING, C_DONE };

struct dhcp_client {
	uv_loop_t *loop;
	uv_poll_t poll;
	uv_timer_t retx, deadline;
	int fd, handles, closing;
	struct dhcp_params p;
	char iface[IFNAMSIZ];
	uint8_t prl[64];
	dhcp_cb *cb;
	void *arg;
	enum state st;
	uint32_t xid, ciaddr, requested, server;
	unsigned interval, base;       /* retransmission delay, and its start */
	uint64_t t0;
	struct dhcp_result r;
};

static void finish(struct dhcp_client *c, enum pb_cause cause, const char *detail)
{
	if (c->st == C_DONE)
		return;
	c->st = C_DONE;
	c->r.cause = cause;
	if (detail)
		snprintf(c->r.detail, sizeof(c->r.detail), "%s", detail);
	c->r.ms = (double)(uv_hrtime() - c->t0) / 1e6;
	uv_poll_stop(&c->poll);
	uv_timer_stop(&c->retx);
	uv_timer_stop(&c->deadline);
	if (!c->closing)
		c->cb(&c->r, c->arg);
}

static void transmit(struct dhcp_client *c)
{
	uint8_t buf[576];
	struct sockaddr_in to;
	enum dhcp_type t = c->st == C_SELECTING ? DHCP_DISCOVER
			 : c->st == C_REQUESTING ? DHCP_REQUEST : DHCP_INFORM;
	size_t n = dhcp_build(buf, sizeof(buf), t, c->xid, c->p.mac, c->p.vendor_class,
			      c->prl, c->p.n_prl, c->ciaddr, c->requested, c->server,
			      c->st != C_INFORMING);

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(67);
	to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	if (n && sendto(c->fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) > 0) {
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
		 c->iface);
	finish(c, PB_CAUSE_DHCP_NO_OFFER, why);
}

static void on_readable(uv_poll_t *h, int status, int events)
{
	struct dhcp_client *c = h->data;
	uint8_t buf[1500];
	struct dhcp_lease l;
	char err[128];
	ssize_t n;

	(void)status;
	(void)events;
	while ((n = recv(c->fd, buf, sizeof(buf), 0)) > 0) {
		if (dhcp_parse(buf, (size_t)n, c->xid, c->p.mac, &l, err, sizeof(err)) < 0)
			continue;        /* another client's, or garbage: ignore */
		if (c->st == C_SELECTING && l.type == DHCP_OFFER) {
			c->r.offer = l;
			c->r.got_offer = 1;
			inet_pton(AF_INET, l.yiaddr, &c->requested);
			inet_pton(AF_INET, l.server_id, &c->server);
			c->st = C_REQUESTING;
			c->interval = c->base;
			transmit(c);
			uv_timer_start(&c->retx, on_retx, c->interval, 0);
		} else if ((c->st == C_REQUESTING || c->st == C_INFORMING) && l.type == DHCP_ACK) {
			c->r.ack = l;
			finish(c, PB_CAUSE_NONE, NULL);
			return;
		} else if (c->st == C_REQUESTING && l.type == DHCP_NAK) {
			char why[200];

			snprintf(why, sizeof(why), "DHCPNAK from %s%s%s", l.server_id,
				 l.message[0] ? ": " : "", l.message);
			c->r.ack = l;
			finish(c, PB_CAUSE_DHCP_NAK, why);
			return;
		}
	}
}

static void on_closed(uv_handle_t *h)
{
	struct dhcp_client *c = h->data;

	if (--c->handles == 0) {
		if (c->fd >= 0)
			close(c->fd);
		free(c);
	}
}

void dhcp_stop(struct dhcp_client *c)
{
	if (!c || c->closing)
		return;
	c->closing = 1;
	uv_close((uv_handle_t *)&c->poll, on_closed);
	uv_close((uv_handle_t *)&c->retx, on_closed);
	uv_close((uv_handle_t *)&c->deadline, on_closed);
}

static int open_socket(struct dhcp_client *c, char *err, size_t errlen)
{
	struct sockaddr_in a;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "DHCP socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(c->fd, SOL_SOCKET, SO_BINDTODEVICE, c->iface,
		       (socklen_t)strlen(c->iface) + 1) < 0) {
		snprintf(err, errlen, "--dhcp %s: %s", c->iface, errno == ENODEV
			 ? "no such interface" : strerror(errno));
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(68);
	if (bind(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(err, errlen, "DHCP client port 68 on %s: %s%s", c->iface,
			 strerror(errno), errno == EACCES ? " (needs root)" : "");
		return -1;
	}
	if (c->p.inform) {
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->iface);
		if (ioctl(c->fd, SIOCGIFADDR, &ifr) < 0) {
			snprintf(err, errlen, "--dhcp-inform: %s has no IPv4 address", c->iface);
			return -1;
		}
		c->ciaddr = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr;
	}
	return 0;
}

enum pb_err dhcp_start(uv_loop_t *loop, const struct dhcp_params *p, dhcp_cb *cb,
		       void *arg, struct dhcp_client **out, char *err, size_t errlen)
{
	struct dhcp_client *c = calloc(1, sizeof(*c));

	if (!c)
		return PB_ERR_NOMEM;
	c->fd = -1;
	c->p = *p;
	snprintf(c->iface, sizeof(c->iface), "%s", p->iface);
	c->p.n_prl = p->n_prl < sizeof(c->prl) ? p->n_prl : sizeof(c->prl);
	if (c->p.n_prl)
		memcpy(c->prl, p->prl, c->p.n_prl);
	c->p.timeout_ms = p->timeout_ms ? p->timeout_ms : 8000;
	if (strlen(p->iface) >= IFNAMSIZ || open_socket(c, err, errlen) < 0) {
		if (strlen(p->iface) >= IFNAMSIZ)
			snprintf(err, errlen, "--dhcp %s: interface name too long", p->iface);
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return PB_ERR_NETWORK;
	}
	if (uv_random(NULL, NULL, &c->xid, sizeof(c->xid), 0, NULL) != 0)
		c->xid = (uint32_t)uv_hrtime();
	c->loop = loop;
	c->cb = cb;
	c->arg = arg;
	c->t0 = uv_hrtime();
	c->st = p->inform ? C_INFORMING : C_SELECTING;
	/* the first retry after 1 s, or sooner when the whole wait is short,
	 * so that a bounded exchange still retransmits */
	c->base = c->p.timeout_ms / 4 < 1000 ? c->p.timeout_ms / 4 : 1000;
	if (c->base < 50)
		c->base = 50;
	c->interval = c->base;
	uv_poll_init_socket(loop, &c->poll, c->fd);
	uv_timer_init(loop, &c->retx);
	uv_timer_init(loop, &c->deadline);
	c->poll.data = c->retx.data = c->deadline.data = c;
	c->handles = 3;
	uv_poll_start(&c->poll, UV_READABLE, on_readable);
	transmit(c);
	uv_timer_start(&c->retx, on_retx, c->interval, 0);
	uv_timer_start(&c->deadline, on_deadline, c->p.timeout_ms, 0);
	*out = c;
	return PB_OK;
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
