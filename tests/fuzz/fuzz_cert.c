/* libFuzzer: certificate input (PEM, DER, PKCS#7) -> chain -> judge. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "phoneboot/phoneboot.h"

static const char prof_text[] =
	"[device]\nid = f\nname = f\nvendor = f\nmodel = f\nfirmware = f\nflow = sip\n"
	"auth = digest\n[tls]\nversions = tls1.2\nciphers = TLS_AES_128_GCM_SHA256\n"
	"sni = yes\n[certificates]\nsig_hashes = sha1, sha256\nrsa_min_bits = 1024\n"
	"rsa_max_bits = 4096\necdsa = yes\ncurves = p256\nwildcard = no\nnames = san\n"
	"max_chain_depth = 3\naia_fetch = no\n[sources]\ndevice.flow = assumed | f\n"
	"device.auth = assumed | f\ntls.versions = assumed | f\ntls.ciphers = assumed | f\n"
	"tls.sni = assumed | f\ncertificates.sig_hashes = assumed | f\n"
	"certificates.rsa_min_bits = assumed | f\ncertificates.rsa_max_bits = assumed | f\n"
	"certificates.ecdsa = assumed | f\ncertificates.curves = assumed | f\n"
	"certificates.wildcard = assumed | f\ncertificates.names = assumed | f\n"
	"certificates.max_chain_depth = assumed | f\ncertificates.aia_fetch = assumed | f\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pb_profile *p;
	struct pb_chain *c = NULL;
	struct pb_verdict *v = NULL;
	struct pb_judge_opts o = { 1795000000, "pool.test.example", 0 };
	char err[256];

	if (!p && pb_profile_parse("fuzz", prof_text, strlen(prof_text), &p, err,
				   sizeof(err)) != PB_OK)
		__builtin_trap();
	if (pb_chain_from_mem(data, size, "fuzz", NULL, &c, err, sizeof(err)) != PB_OK)
		return 0;
	if (pb_judge(c, p, &o, &v) == PB_OK)
		pb_verdict_free(v);
	pb_chain_free(c);
	return 0;
}
