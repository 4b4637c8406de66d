/* phoneboot: a desk phone in a box. Umbrella header of libphoneboot:
 * every public header. */
#ifndef PHONEBOOT_H
#define PHONEBOOT_H

#include "phoneboot/export.h"
#include "phoneboot/codes.h"
#include "phoneboot/profile.h"
#include "phoneboot/cert.h"
#include "phoneboot/probe.h"
#include "phoneboot/logon.h"
#include "phoneboot/boot.h"
#include "phoneboot/fleet.h"

#endif
