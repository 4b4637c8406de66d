/* phoneboot: the export macro. The library is built with
 * -fvisibility=hidden; only what a public header declares with PB_EXPORT
 * is visible outside a shared libphoneboot. */
#ifndef PHONEBOOT_EXPORT_H
#define PHONEBOOT_EXPORT_H

#if defined(__GNUC__)
#define PB_EXPORT __attribute__((visibility("default")))
#else
#define PB_EXPORT
#endif

#endif
