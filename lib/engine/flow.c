/* The flows as data (DESIGN.md section 2): the ordered steps of each
 * family of phones, which of them end the cycle when they fail, and what
 * each needs from the steps before it. A step whose input is missing is
 * skipped with the reason (flow_missing), one rule for every flow, applied
 * by the engine (boot.c). Adding a step is one file in lib/steps/ and one
 * row here. */
#include <stddef.h>

#include "engine/engine.h"

/* locate-dc, download-root and install-root are best-effort in every flow:
 * the device goes on with the trust store it has (that is how the
 * founding case's phone, given public DNS, found no domain controller and
 * still signed in through the Edge). A failure from locate-pool on ends
 * the cycle, and the phone starts again from the top. */
#define DIRECTORY_STEPS \
	{ &step_locate_dc, 0, HAVE_DNS, WHEN_ALWAYS }, \
	{ &step_download_root, 0, HAVE_DC, WHEN_ALWAYS }, \
	{ &step_install_root, 0, HAVE_ROOTS, WHEN_ALWAYS }
#define SIP_STEPS \
	{ &step_locate_pool, 1, HAVE_DNS, WHEN_ALWAYS }, \
	{ &step_connect, 1, HAVE_POOL, WHEN_ALWAYS }, \
	{ &step_authenticate, 1, HAVE_TLS, WHEN_ALWAYS }, \
	{ &step_register, 1, HAVE_AUTH, WHEN_ALWAYS }

/* time is best-effort in every flow: without an answer the device keeps
 * the clock it booted with, and certificates are judged at it (docs/time.md).
 * It comes right after the network settings: every later step may judge
 * a certificate (facts.md 1a-7: the founding case's capture shows NTP
 * before the directory). */
#define TIME_STEP { &step_time, 0, HAVE_DNS, WHEN_ALWAYS }
/* The update check of a UC phone, before the directory (best-effort). */
#define UPDATE_STEP { &step_device_update, 0, HAVE_DNS, WHEN_ALWAYS }

/* Office Communicator 2007 R2 Phone Edition (the CX700): the order its
 * screen shows (facts.md 1a; ms-uc.herber.co/?p=34), after the time and
 * the update check (facts.md 1a-2, 1a-3; the founding story begins "after
 * installing the update successfully"). */
static const struct flow_step ocpe[] = {
	{ &step_dhcp, 1, 0, WHEN_DHCP },
	TIME_STEP,
	UPDATE_STEP,
	DIRECTORY_STEPS,
	SIP_STEPS,
};

/* Lync Phone Edition: the same steps (the update check before sign-in,
 * facts.md 1b-3); locate-pool follows its own lookup
 * order (gg398713). The certificate provisioning service stands in the
 * directory's place in a later version. */
static const struct flow_step lpe[] = {
	{ &step_dhcp, 1, 0, WHEN_DHCP },
	TIME_STEP,
	UPDATE_STEP,
	DIRECTORY_STEPS,
	SIP_STEPS,
};

/* A generic SIP desk phone: the directory's root stands in for the
 * enterprise root an administrator provisions. */
static const struct flow_step sip[] = {
	{ &step_dhcp, 1, 0, WHEN_DHCP },
	TIME_STEP,
	DIRECTORY_STEPS,
	SIP_STEPS,
};

#define FLOW(id, t) { id, t, sizeof(t) / sizeof(t[0]) }
static const struct flow flows[] = {
	FLOW(PB_FLOW_OCPE, ocpe),
	FLOW(PB_FLOW_LPE, lpe),
	FLOW(PB_FLOW_SIP, sip),
};

const struct flow *flow_of(enum pb_flow id)
{
	size_t i;

	for (i = 0; i < sizeof(flows) / sizeof(flows[0]); i++)
		if (flows[i].id == id)
			return &flows[i];
	return NULL;
}

size_t flow_find(const struct flow *f, enum pb_step id)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->steps[i].ops->id == id)
			break;
	return i;
}

/* The first missing input names the reason. */
const char *flow_missing(unsigned missing)
{
	static const struct { unsigned bit; const char *why; } reasons[] = {
		{ HAVE_DNS, "no DNS server" },
		{ HAVE_DC, "no domain controller" },
		{ HAVE_ROOTS, "no certificate downloaded" },
		{ HAVE_POOL, "no SIP server located" },
		{ HAVE_TLS, "no trusted connection" },
		{ HAVE_AUTH, "not authenticated" },
		{ HAVE_REGISTERED, "not registered" },
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (missing & reasons[i].bit)
			return reasons[i].why;
	return "an earlier step did not finish";
}
