/* Series and DataFrame values <-> bentoml.grpc.v1.Series / DataFrame. */
#ifndef BGI_WIRE_TABULAR_WIRE_H
#define BGI_WIRE_TABULAR_WIRE_H

#include "value/value_internal.h"
#include "wire/arena.h"
#include "wire/proto.h"

/* A Series message in `arena` pointing at the series' elements (bools widened). */
bg_status bgi_series_to_proto(const bg_ndarray *series, bgi_arena *arena,
                              Bentoml__Grpc__V1__Series **out, bg_error *err);

/* A series value from a decoded message, taking its array. Exactly one values field may be
 * non-empty; when all are empty the series is empty with dtype `empty_dtype`. */
bg_status bgi_series_from_proto(Bentoml__Grpc__V1__Series *msg, bg_dtype empty_dtype,
                                bg_value **out, bg_error *err);

/* A DataFrame message for `dataframe` with column names `names` (one per column). */
bg_status bgi_dataframe_to_proto(const bg_value *dataframe, const char *const *names,
                                 bgi_arena *arena, Bentoml__Grpc__V1__DataFrame **out,
                                 bg_error *err);

/* A dataframe value from a decoded message (columns taken over). */
bg_status bgi_dataframe_from_proto(Bentoml__Grpc__V1__DataFrame *msg, bg_value **out,
                                   bg_error *err);

#endif
