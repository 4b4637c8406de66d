/* DHCP packets: build, and parse hand-built and captured server messages,
 * including the lab's option 43 bytes (sub-options in reverse order,
 * 0xFF-terminated), option 119 with compression, both encodings of option
 * 120, and overlong or truncated options. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp.h"

static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0x99, 0x64 };
#define XID 0x11223344u

/* A server reply header (BOOTREPLY) + cookie, then options appended. */
struct pkt {
	uint8_t b[1500];
	size_t n;
};

static void reply(struct pkt *p, uint8_t type)
{
	uint32_t x = htonl(XID);

	memset(p, 0, sizeof(*p));
	p->b[0] = 2; p->b[1] = 1; p->b[2] = 6;
	memcpy(p->b + 4, &x, 4);
	p->b[16] = 10; p->b[17] = 99; p->b[18] = 0; p->b[19] = 100;   /* yiaddr */
	memcpy(p->b + 28, mac, 6);
	p->b[236] = 99; p->b[237] = 130; p->b[238] = 83; p->b[239] = 99;
	p->n = 240;
	p->b[p->n++] = 53; p->b[p->n++] = 1; p->b[p->n++] = type;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build),
		cmocka_unit_test(lab_ack),
		cmocka_unit_test(option_120_addresses_and_43_in_order),
		cmocka_unit_test(long_options_concatenate),
		cmocka_unit_test(malformed),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests_name("dhcp", tests, NULL, NULL);
}
