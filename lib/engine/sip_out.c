/* What the SIP steps share: the REGISTER the device sends (authenticate's
 * rounds, register's sign-out) and the reading of the registrar's answers
 * on the device's connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rnd.h"
#include "engine/engine.h"
#include "sip/sip.h"
#include "tls/tls.h"

int dev_send_register(struct step_run *r, const char *expires, const char *header,
		      const char *value)
{
	struct device *d = r->dev;
	char msg[53248], branch[33], peer[320];      /* a Kerberos AP-REQ with a PAC is kilobytes */
	int n;

	rnd_hex(branch, 16);
	d->cseq++;
	n = snprintf(msg, sizeof(msg),
		     "REGISTER sip:%s SIP/2.0\r\n"
		     "Via: SIP/2.0/TLS %s;branch=z9hG4bK%s;rport\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:%s@%s>;tag=%s\r\n"
		     "To: <sip:%s@%s>\r\n"
		     "Call-ID: %s\r\n"
		     "CSeq: %u REGISTER\r\n"
		     "Contact: <sip:%s@%s;transport=tls>\r\n"
		     "Expires: %s\r\n"
		     "User-Agent: phoneboot/0.1.0 (%s)\r\n"
		     "%s%s%s%s"
		     "Content-Length: 0\r\n\r\n",
		     r->o->domain, d->local, branch, r->o->user, r->o->domain, d->tag,
		     r->o->user, r->o->domain, d->call_id, d->cseq, r->o->user, d->local,
		     expires, r->o->profile->id, header ? header : "", header ? ": " : "",
		     header ? value : "", header ? "\r\n" : "");
	if (n <= 0 || (size_t)n >= sizeof(msg)) {
		explicit_bzero(msg, sizeof(msg));
		step_internal(r, PB_ERR_INTERNAL, "the REGISTER does not fit its buffer");
		return -1;
	}
	snprintf(peer, sizeof(peer), "sip %s", d->target);
	step_exchange(r, peer, 1, 0, "REGISTER (CSeq %u%s%s)%s%s", d->cseq,
		      strcmp(expires, "0") ? "" : ", Expires: ", strcmp(expires, "0") ? "" : "0",
		      header ? ", " : "", header ? header : "");
	if (tls_send(d->tls, msg, (size_t)n) != PB_OK) {
		explicit_bzero(msg, sizeof(msg));
		step_internal(r, PB_ERR_NOMEM, "out of memory sending the REGISTER");
		return -1;
	}
	explicit_bzero(msg, sizeof(msg));
	return 0;
}

int dev_take_responses(struct step_run *r, dev_response_cb *cb)
{
	struct device *d = r->dev;
	const char *buf;
	size_t len;

	while ((buf = tls_inbuf(d->tls, &len)) && len) {
		struct sip_response *m = malloc(sizeof(*m));
		char err[128];
		int rc;

		if (!m) {
			step_internal(r, PB_ERR_NOMEM, "out of memory reading a response");
			return -1;
		}
		rc = sip_parse_response(buf, len, m, err, sizeof(err));
		if (rc <= 0) {
			free(m);
			if (rc < 0) {
				step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, err, NULL);
				return -1;
			}
			return 0;
		}
		tls_consume(d->tls, m->len);
		if (m->cseq == d->cseq && !strcmp(m->call_id, d->call_id)) {
			int more = cb(r, m);

			free(m);
			if (!more)
				return -1;
			continue;
		}
		free(m);            /* not ours (a stray retransmission) */
	}
	return 0;
}

void dev_sip_event(struct step_run *r, struct tls_conn *conn, enum tls_event ev,
		   dev_response_cb *cb)
{
	switch (ev) {
	case TLS_EV_READY:
		return;
	case TLS_EV_FAILED:
		if (tls_error(conn) != PB_OK)
			step_internal(r, tls_error(conn), tls_detail(conn));
		else
			step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, tls_detail(conn), NULL);
		return;
	case TLS_EV_CLOSED:
		step_done(r, PB_CAUSE_SIP_BAD_RESPONSE, "the server closed the connection", NULL);
		return;
	case TLS_EV_DATA:
		dev_take_responses(r, cb);
		return;
	}
}
