/* Internal: the Device Update exchange of a UC phone (docs/device-update.md).
 *
 * Microsoft has not published the request or the answer of
 * /RequestHandler/ucdevice.upx. What the request carries is documented
 * (the device's type, MAC, serial number, vendor, model, hardware
 * revision, locale and the versions of its firmware modules: OCS 2007 R2
 * "Device Update Service" and the Polycom CX700 deployment guide); its
 * exact XML is phoneboot's reading, kept here, in one place, to be
 * corrected against a capture. The answer's form is phoneboot's own (the
 * lab's nginx serves it). */
#ifndef PB_UCUPDATE_H
#define PB_UCUPDATE_H

#include <stddef.h>

#define UCUPDATE_MAX_FILES 8

struct ucupdate_device {
	const char *device_type;    /* "UCPhone" */
	const char *mac;            /* "02-00-00-00-99-64" */
	const char *serial;
	const char *vendor, *model, *revision;
	const char *locale;         /* "ENU" */
	const char *const *module_names;
	const char *const *module_versions;
	size_t n_modules;
};

/* The request body (XML, NUL-terminated) into buf; its length, or 0 when
 * cap is too small. Text is escaped for XML. */
size_t ucupdate_request(char *buf, size_t cap, const struct ucupdate_device *d);

struct ucupdate_offer {
	int update;                 /* 1: an update is offered; 0: <NoUpdate/> */
	char base_url[512];
	char version[64];
	char files[UCUPDATE_MAX_FILES][256];
	size_t n_files;
};

/* Read the service's answer: 0, or -1 with why in err when it is not an
 * answer the device can read. Bounded: every element is looked for in
 * the given bytes only. */
int ucupdate_parse(const char *body, size_t len, struct ucupdate_offer *out, char *err,
		   size_t errlen);

#endif
