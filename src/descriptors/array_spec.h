/* Parsing and checking the array spec shared by NumpyNdarray and PandasSeries. */
#ifndef BG_DESCRIPTORS_ARRAY_SPEC_H
#define BG_DESCRIPTORS_ARRAY_SPEC_H

#include <jansson.h>

#include "descriptors/ndarray_spec.h"
#include "value/value_internal.h"

void *bg_array_spec_parse(const json_t *args, const char *label, bg_error *err);

/* Enforced dtype and shape, as the server would check them; `what` names the field. */
bg_status bg_array_spec_check(const bg_array_spec *spec, const char *label, const char *what,
                              const bg_ndarray *nd, bg_error *err);

#endif
