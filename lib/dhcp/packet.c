/* DHCP messages: RFC 2131 section 2 (the fixed header), RFC 2132 (options),
 * RFC 3396 (long options: same-code options are concatenated), RFC 3397
 * (option 119), RFC 3361 (option 120), MS doc gg412828 (option 43 for
 * MS-UC-Client). Every read is bounds-checked. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp.h"

#define HDR 236                  /* op .. file, before the magic cookie */
static const uint8_t cookie[4] = { 99, 130, 83, 99 };

size_t dhcp_build(uint8_t *buf, size_t cap, enum dhcp_type type, uint32_t xid,
		  const uint8_t mac[6], const char *vendor_class,
		  const uint8_t *prl, size_t n_prl, uint32_t ciaddr,
		  uint32_t requested, uint32_t server, int broadcast)
{
	size_t o = HDR + 4, vl = vendor_class ? strlen(vendor_class) : 0;
	uint32_t nx = htonl(xid);

	if (cap < o + 3 + 6 + 6 + 2 + vl + 2 + n_prl + 1 + 8 || vl > 255 || n_prl > 255)
		return 0;
	memset(buf, 0, o);
	buf[0] = 1;                              /* BOOTREQUEST */
	buf[1] = 1;                              /* Ethernet */
	buf[2] = 6;
	memcpy(buf + 4, &nx, 4);
	if (broadcast)
		buf[10] = 0x80;                  /* flags: BROADCAST (RFC 2131 4.1) */
	memcpy(buf + 12, &ciaddr, 4);
	memcpy(buf + 28, mac, 6);
	memcpy(buf + HDR, cookie, 4);
	buf[o++] = 53; buf[o++] = 1; buf[o++] = (uint8_t)type;
	/* option 61: client identifier, type 1 + MAC, as phones send it */
	buf[o++] = 61; buf[o++] = 7; buf[o++] = 1;
	memcpy(buf + o, mac, 6);
	o += 6;
	if (requested) {
		buf[o++] = 50; buf[o++] = 4;
		memcpy(buf + o, &requested, 4);
		o += 4;
	}
	if (server) {
		buf[o++] = 54; buf[o++] = 4;
		memcpy(buf + o, &server, 4);
		o += 4;
	}
	if (vl) {
		buf[o++] = 60; buf[o++] = (uint8_t)vl;
		memcpy(buf + o, vendor_class, vl);
		o += vl;
	}
	if (n_prl) {
		buf[o++] = 55; buf[o++] = (uint8_t)n_prl;
		memcpy(buf + o, prl, n_prl);
		o += n_prl;
	}
	buf[o++] = 255;
	/* pad to the BOOTP minimum of 300 bytes some servers still expect */
	while (o < 300 && o < cap)
		buf[o++] = 0;
	return o;
}

static void ip_str(const uint8_t *p, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
}

static void text(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 1 < cap; i++)
		out[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	out[k] = '\0';
}

static size_t ip_list(const uint8_t *p, size_t n, char out[][16], size_t max)
{
	size_t i, k = 0;

	for (i = 0; i + 4 <= n && k < max; i += 4)
		ip_str(p + i, out[k++]);
	return k;
}

/* One RFC 1035 name at off; compression pointers relative to data. */
static int name_at(const uint8_t *data, size_t len, size_t *off, char *out, size_t cap)
{
	size_t pos = *off, o = 0, jumps = 0;
	int jumped = 0;

	out[0] = '\0';
	for (;;) {
		uint8_t l;

		if (pos >= len)
			return -1;
		l = data[pos];
		if (l == 0) {
			if (!jumped)
				*off = pos + 1;
			if (o && out[o - 1] == '.')
				out[--o] = '\0';
			return 0;
		}
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++jumps > 32)
				return -1;
			if (!jumped)
				*off = pos + 2;
			jumped = 1;
			pos = ((size_t)(l & 0x3f) << 8) | data[pos + 1];
			continue;
		}
		if (l & 0xc0)
			return -1;      /* 0x40/0x80: reserved label types */
		if (pos + 1 + l > len || o + l + 2 > cap)
			return -1;
		text(data + pos + 1, l, out + o, cap - o);
		o += l;
		out[o++] = '.';
		out[o] = '\0';
		pos += 1 + (size_t)l;
	}
}

int dhcp_names(const uint8_t *data, size_t len, char out[][256], size_t max)
{
	size_t off = 0, n = 0;

	while (off < len) {
		char name[256];

		if (name_at(data, len, &off, name, sizeof(name)) < 0)
			return -1;
		if (n < max)
			snprintf(out[n], 256, "%s", name);
		n++;
	}
	return (int)(n < max ? n : max);
}

/* Sub-option 10's VLAN ID: ASCII decimal, 1..4094 (AudioCodes' reading of
 * gg398088: "VoiceVLAN Valid values: 1-4094"); -1 for anything else. */
static int vlan_id(const char *t)
{
	long v = 0;
	size_t i;

	for (i = 0; t[i]; i++) {
		if (t[i] < '0' || t[i] > '9' || i >= 4)
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	return i && v >= 1 && v <= 4094 ? (int)v : -1;
}

/* Option 43 as MS-UC-Client sub-options: TLV, any order, 0xFF optional. */
static void ms_uc(struct dhcp_lease *l, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t code = p[i], len;

		if (code == 255)
			break;
		if (code == 0) {
			i++;
			continue;
		}
		if (i + 2 > n || i + 2 + p[i + 1] > n)
			return;          /* not TLV: leave it raw */
		len = p[i + 1];
		switch (code) {
		case 1: text(p + i + 2, len, l->uc_identifier, sizeof(l->uc_identifier)); break;
		case 2: text(p + i + 2, len, l->uc_scheme, sizeof(l->uc_scheme)); break;
		case 3: text(p + i + 2, len, l->uc_fqdn, sizeof(l->uc_fqdn)); break;
		case 4: text(p + i + 2, len, l->uc_port, sizeof(l->uc_port)); break;
		case 5: text(p + i + 2, len, l->uc_path, sizeof(l->uc_path)); break;
		case 10:
			text(p + i + 2, len, l->uc_vlan, sizeof(l->uc_vlan));
			l->voice_vlan = len < sizeof(l->uc_vlan) ? vlan_id(l->uc_vlan) : -1;
			break;
		default: break;
		}
		i += 2 + (size_t)len;
	}
	l->ms_uc = l->uc_identifier[0] || l->uc_fqdn[0];
}

struct opt {
	uint8_t data[1024];              /* concatenated (RFC 3396) */
	size_t len;
	int seen;
};

static int parse(const uint8_t *pkt, size_t len, uint32_t xid, const uint8_t mac[6],
		 struct dhcp_lease *l, struct opt *opts, char *err, size_t errlen)
{
	uint32_t nx = htonl(xid);
	size_t i;
	unsigned k;

	memset(l, 0, sizeof(*l));
	l->sip_enc = -1;
	if (len < HDR + 4 || pkt[0] != 2 || pkt[1] != 1 || pkt[2] != 6) {
		snprintf(err, errlen, "not a BOOTREPLY for Ethernet");
		return -1;
	}
	if (memcmp(pkt + 4, &nx, 4) || memcmp(pkt + 28, mac, 6)) {
		snprintf(err, errlen, "for another client (xid or chaddr)");
		return -1;
	}
	if (memcmp(pkt + HDR, cookie, 4)) {
		snprintf(err, errlen, "no DHCP magic cookie");
		return -1;
	}
	ip_str(pkt + 16, l->yiaddr);
	(void)k;
	for (i = HDR + 4; i < len;) {
		uint8_t code = pkt[i], ol;

		if (code == 0) {
			i++;
			continue;
		}
		if (code == 255)
			break;
		if (i + 1 >= len) {
			snprintf(err, errlen, "option %u truncated", code);
			return -1;
		}
		ol = pkt[i + 1];
		if (i + 2 + ol > len) {
			snprintf(err, errlen, "option %u overruns the packet", code);
			return -1;
		}
		if (opts[code].len + ol > sizeof(opts[code].data)) {
			snprintf(err, errlen, "option %u too long", code);
			return -1;
		}
		memcpy(opts[code].data + opts[code].len, pkt + i + 2, ol);
		opts[code].len += ol;
		opts[code].seen = 1;
		i += 2 + (size_t)ol;
	}
	if (!opts[53].seen || opts[53].len != 1) {
		snprintf(err, errlen, "no DHCP message type");
		return -1;
	}
	l->type = (enum dhcp_type)opts[53].data[0];
	if (opts[54].len == 4) ip_str(opts[54].data, l->server_id);
	if (opts[1].len == 4) ip_str(opts[1].data, l->subnet);
	l->n_routers = ip_list(opts[3].data, opts[3].len, l->routers, DHCP_MAX_LIST);
	l->n_dns = ip_list(opts[6].data, opts[6].len, l->dns, DHCP_MAX_LIST);
	text(opts[12].data, opts[12].len, l->hostname, sizeof(l->hostname));
	text(opts[15].data, opts[15].len, l->domain, sizeof(l->domain));
	l->n_ntp = ip_list(opts[42].data, opts[42].len, l->ntp, DHCP_MAX_LIST);
	if (opts[51].len == 4)
		l->lease_time = ((uint32_t)opts[51].data[0] << 24) | ((uint32_t)opts[51].data[1] << 16) |
				((uint32_t)opts[51].data[2] << 8) | opts[51].data[3];
	text(opts[56].data, opts[56].len, l->message, sizeof(l->message));
	text(opts[60].data, opts[60].len, l->vendor_class, sizeof(l->vendor_class));
	text(opts[66].data, opts[66].len, l->tftp_server, sizeof(l->tftp_server));
	if (opts[119].seen) {
		int n = dhcp_names(opts[119].data, opts[119].len, l->search, DHCP_MAX_LIST);

		if (n < 0) {
			snprintf(err, errlen, "option 119 is not a valid name list");
			return -1;
		}
		l->n_search = (size_t)n;
	}
	if (opts[120].seen && opts[120].len >= 1) {
		l->sip_enc = opts[120].data[0];
		if (l->sip_enc == 0) {
			int n = dhcp_names(opts[120].data + 1, opts[120].len - 1, l->sip,
					   DHCP_MAX_LIST);
			if (n < 0) {
				snprintf(err, errlen, "option 120 names are malformed");
				return -1;
			}
			l->n_sip = (size_t)n;
		} else if (l->sip_enc == 1 && (opts[120].len - 1) % 4 == 0) {
			char a[DHCP_MAX_LIST][16];
			size_t n = ip_list(opts[120].data + 1, opts[120].len - 1, a, DHCP_MAX_LIST);

			for (i = 0; i < n; i++)
				snprintf(l->sip[i], 256, "%s", a[i]);
			l->n_sip = n;
		} else {
			snprintf(err, errlen, "option 120 has an unknown encoding %d", l->sip_enc);
			return -1;
		}
	}
	l->n_tftp150 = ip_list(opts[150].data, opts[150].len, l->tftp150, DHCP_MAX_LIST);
	if (opts[43].seen) {
		l->has_43 = 1;
		for (i = 0; i < opts[43].len && i < 255; i++)
			snprintf(l->opt43_hex + 2 * i, 3, "%02x", opts[43].data[i]);
		ms_uc(l, opts[43].data, opts[43].len);
	}
	return 0;
}

int dhcp_parse(const uint8_t *pkt, size_t len, uint32_t xid, const uint8_t mac[6],
	       struct dhcp_lease *l, char *err, size_t errlen)
{
	struct opt *opts = calloc(256, sizeof(*opts));
	int rc;

	if (!opts) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = parse(pkt, len, xid, mac, l, opts, err, errlen);
	free(opts);
	return rc;
}
