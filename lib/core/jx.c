/* Checked JSON building. See jx.h. */
#include "core/jx.h"

json_t *jx_push(json_t *arr, json_t *v)
{
	if (!arr) {
		json_decref(v);
		return NULL;
	}
	/* on failure jansson releases v itself (and a NULL v is a failure) */
	if (json_array_append_new(arr, v) < 0) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

json_t *jx_set(json_t *obj, const char *key, json_t *v)
{
	if (!obj) {
		json_decref(v);
		return NULL;
	}
	if (json_object_set_new(obj, key, v) < 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}
