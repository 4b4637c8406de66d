/* SNTP packets (RFC 4330): the client request and the checks a client
 * applies to a reply (section 5), read through the bounded reader. */
#include <stdio.h>
#include <string.h>

#include "core/rd.h"
#include "sntp/sntp.h"

uint64_t sntp_ts_from_unix(int64_t sec, long nsec)
{
	/* RFC 4330 section 3: seconds since 1900 modulo 2^32 (era wrap in
	 * 2036 included), and a binary fraction of a second */
	uint32_t s = (uint32_t)((uint64_t)sec + SNTP_UNIX_OFFSET);
	uint32_t f = (uint32_t)(((uint64_t)nsec << 32) / 1000000000ULL);

	return (uint64_t)s << 32 | f;
}

double sntp_ts_to_unix(uint64_t ts)
{
	uint64_t s = ts >> 32;

	/* RFC 4330 section 3: "If bit 0 is not set, the time is in the
	 * range 2036-2104" (era 1) */
	if (!(s & 0x80000000ULL))
		s += 1ULL << 32;
	return (double)(int64_t)(s - SNTP_UNIX_OFFSET) + (double)(ts & 0xffffffffULL) / 4294967296.0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

size_t sntp_build(uint8_t *buf, size_t cap, uint64_t xmit)
{
	if (cap < SNTP_PACKET_LEN)
		return 0;
	memset(buf, 0, SNTP_PACKET_LEN);
	/* LI 0, VN 4, mode 3 (RFC 4330 section 5: "the client request ...
	 * with all fields zero except the first octet"; the transmit
	 * timestamp is set so that the reply can be matched, as the same
	 * section recommends) */
	buf[0] = (uint8_t)(0 << 6 | 4 << 3 | SNTP_MODE_CLIENT);
	put32(buf + 40, (uint32_t)(xmit >> 32));
	put32(buf + 44, (uint32_t)xmit);
	return SNTP_PACKET_LEN;
}

static int take_ts(struct rd *r, uint64_t *ts)
{
	uint32_t hi, lo;

	if (!rd_take_be32(r, &hi) || !rd_take_be32(r, &lo))
		return -1;
	*ts = (uint64_t)hi << 32 | lo;
	return 0;
}

/* The reference identifier as text: four ASCII characters for stratum 0
 * (the kiss code) and 1 (the reference source), a dotted IPv4 address
 * otherwise (RFC 4330 section 4, "Reference Identifier"). */
static void refid_text(struct sntp_reply *o)
{
	size_t i, n = 0;

	if (o->stratum <= 1) {
		for (i = 0; i < 4 && o->refid[i]; i++)
			o->refid_text[n++] = (o->refid[i] >= 0x20 && o->refid[i] < 0x7f) ?
					     (char)o->refid[i] : '?';
		o->refid_text[n] = '\0';
		return;
	}
	snprintf(o->refid_text, sizeof(o->refid_text), "%u.%u.%u.%u", o->refid[0], o->refid[1],
		 o->refid[2], o->refid[3]);
}

int sntp_parse(const uint8_t *pkt, size_t len, uint64_t sent_xmit, struct sntp_reply *out,
	       char *err, size_t errlen)
{
	struct rd r = rd_init((const char *)pkt, len);
	struct sntp_reply o;
	uint8_t b0, stratum, poll, prec;

	memset(&o, 0, sizeof(o));
	if (len < SNTP_PACKET_LEN) {
		snprintf(err, errlen, "%zu octets, shorter than an NTP header (48)", len);
		return -1;
	}
	if (!rd_take_u8(&r, &b0) || !rd_take_u8(&r, &stratum) || !rd_take_u8(&r, &poll) ||
	    !rd_take_u8(&r, &prec) || !rd_take_be32(&r, &o.root_delay) ||
	    !rd_take_be32(&r, &o.root_dispersion) || !rd_take_bytes(&r, o.refid, 4) ||
	    take_ts(&r, &o.ref) || take_ts(&r, &o.orig) || take_ts(&r, &o.recv) ||
	    take_ts(&r, &o.xmit)) {
		snprintf(err, errlen, "truncated NTP header");
		return -1;
	}
	o.li = b0 >> 6;
	o.vn = (b0 >> 3) & 7;
	o.mode = b0 & 7;
	o.stratum = stratum;
	o.poll = (int8_t)poll;
	o.precision = (int8_t)prec;
	/* RFC 4330 section 5: a unicast reply is mode 4; versions 1 to 4
	 * are NTP's (section 4, "Version Number") */
	if (o.mode != SNTP_MODE_SERVER) {
		snprintf(err, errlen, "mode %u, not a server reply (4)", o.mode);
		return -1;
	}
	if (o.vn < 1 || o.vn > 4) {
		snprintf(err, errlen, "version %u, not an NTP version (1-4)", o.vn);
		return -1;
	}
	/* RFC 4330 section 5: "the client SHOULD check that the
	 * Originate Timestamp matches the Transmit Timestamp it sent" (a
	 * stray or forged reply otherwise) */
	if (o.orig != sent_xmit) {
		snprintf(err, errlen, "originate timestamp is not our request's");
		return -1;
	}
	refid_text(&o);
	*out = o;
	return 0;
}

enum sntp_verdict sntp_judge(const struct sntp_reply *r)
{
	/* RFC 4330 section 5: "... discard the server message if the Leap
	 * Indicator field is 3 (alarm condition: clock not synchronized),
	 * the Stratum field is 0 (kiss-o'-death, section 8) or the Transmit
	 * Timestamp is 0"; stratum 16 and above is unsynchronized (RFC
	 * 5905 section 7.3) */
	if (r->stratum == 0)
		return SNTP_KISS;
	if (r->li == 3)
		return SNTP_ALARM;
	if (r->stratum >= 16)
		return SNTP_UNSYNC;
	if (r->xmit == 0)
		return SNTP_NO_TIME;
	return SNTP_OK;
}

void sntp_offset(uint64_t t1, uint64_t t2, uint64_t t3, uint64_t t4, double *offset,
		 double *delay)
{
	/* RFC 4330 section 5: d = (T4 - T1) - (T3 - T2),
	 * t = ((T2 - T1) + (T3 - T4)) / 2; differences of 32.32 values,
	 * signed, so that an era wrap between them does not matter */
	double a = (double)(int64_t)(t2 - t1), b = (double)(int64_t)(t3 - t4);
	double rt = (double)(int64_t)(t4 - t1), sv = (double)(int64_t)(t3 - t2);

	*offset = (a + b) / 2 / 4294967296.0;
	*delay = (rt - sv) / 4294967296.0;
}
