/* Validation rules shared by the array-like descriptors, mirroring BentoML's server. */
#ifndef BGI_DESCRIPTORS_RULES_H
#define BGI_DESCRIPTORS_RULES_H

#include <jansson.h>
#include <stdbool.h>

#include "bentogrpc/value.h"

/* numpy's can_cast(from, to, casting="same_kind") for our dtypes: what the server casts
 * silently; anything else it refuses when the descriptor enforces its dtype. */
bool bgi_dtype_can_cast(bg_dtype from, bg_dtype to);

/* true when `shape` matches `expected` (same rank; -1 in `expected` matches any size). */
bool bgi_shape_matches(const int64_t *expected, size_t expected_ndim, const int64_t *shape,
                       size_t ndim);

/* numpy's tuple notation: "(2, 2)", "(4,)", "()". */
void bgi_shape_format(const int64_t *shape, size_t ndim, char *buf, size_t size);

/* Reads a spec's optional shape (list of whole doubles >= -1, or null). */
bool bgi_spec_read_shape(const json_t *value, int64_t *shape, size_t *ndim, bool *has_shape);

/* Reads a spec's dtype string; "null", JSON null and absence mean unset (dtype 0,
 * name ""). A dtype without a wire type (float16, ...) keeps its name with dtype 0. */
void bgi_spec_read_dtype(const json_t *value, char *name, size_t name_size, bg_dtype *dtype);

#endif
