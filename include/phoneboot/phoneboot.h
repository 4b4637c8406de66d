/* phoneboot: a desk phone in a box. Umbrella header of libphoneboot. */
#ifndef PHONEBOOT_H
#define PHONEBOOT_H

#include "phoneboot/codes.h"
#include "phoneboot/profile.h"
#include "phoneboot/cert.h"

#endif
