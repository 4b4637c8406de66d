/* Internal: building JSON where out of memory cannot be lost. jansson
 * returns NULL (or -1) when it cannot allocate; an unchecked
 * json_array_append_new(a, json_pack(...)) then drops the value and the
 * report is silently incomplete. These take the container and a new
 * value (which may be NULL), and return the container, or NULL when
 * either was NULL or jansson failed, with both released, so a loop or a
 * chain of them needs one check at the end, e.g.
 *
 *   for (i = 0; a && i < n; i++)
 *           a = jx_push(a, json_string(names[i]));
 *   step_fact(r, "names", a);       (NULL: recorded as out of memory) */
#ifndef PB_CORE_JX_H
#define PB_CORE_JX_H

#include <jansson.h>

/* arr with v appended (v taken), or NULL (arr and v released). */
json_t *jx_push(json_t *arr, json_t *v);
/* obj with key set to v (v taken), or NULL (obj and v released). */
json_t *jx_set(json_t *obj, const char *key, json_t *v);

#endif
