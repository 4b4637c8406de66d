/* libFuzzer: the DHCP packet parser (server messages are network input).
 * The fixed header's xid and chaddr are taken from the input itself, so
 * that the option parser is reached. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dhcp/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_lease l;
	char err[128];
	uint32_t xid = 0;
	uint8_t mac[6] = { 0 };

	if (size >= 34) {
		xid = ((uint32_t)data[4] << 24) | ((uint32_t)data[5] << 16) |
		      ((uint32_t)data[6] << 8) | data[7];
		memcpy(mac, data + 28, 6);
	}
	if (dhcp_parse(data, size, xid, mac, &l, err, sizeof(err)) == 0) {
		if (l.n_dns > DHCP_MAX_LIST || l.n_sip > DHCP_MAX_LIST || l.n_search > DHCP_MAX_LIST)
			__builtin_trap();
	}
	return 0;
}
