/* What ours_sync.c and ours_async.c share: the workload's input built with the public API,
 * as a performance-minded user would, and the reply read back. */
#ifndef BENCH_OURS_VALUES_H
#define BENCH_OURS_VALUES_H

#include <bentogrpc/bentogrpc.h>

#include "harness.h"

/* The input of one call: an ndarray borrowed over the workload's floats (no copy), the JSON
 * parsed from its text, the text copied into a Text value (bg_text_new copies), or a dataframe
 * whose columns are series borrowed over the workload's column buffers (no copy of the
 * values; strings too are borrowed, one pointer per row). NULL with `err` filled on failure. */
bg_value *bench_ours_input(const bench_workload *w, bg_error *err);

/* 0 when `out` is the echo of the workload's input: a few elements of the array, the JSON
 * text made, the text's bytes, or each column's name, type and a few rows. */
int bench_ours_check(const bench_workload *w, const bg_value *out);

#endif
