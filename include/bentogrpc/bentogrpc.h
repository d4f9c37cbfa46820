/** @file bentogrpc.h
 * libbentogrpc — C client for model servers speaking BentoML's gRPC protocol.
 *
 * Include this one header; it includes all the others (common.h, value.h, options.h,
 * client.h, interceptor.h, log.h, async.h). Quick start:
 * @code{.c}
 *   bg_error err;
 *   bg_client *client = bg_client_from_url("localhost:3000", NULL, &err);
 *   if (!client) { fprintf(stderr, "%s\n", err.message); return 1; }
 *   float x[4] = {5.9f, 3.0f, 5.1f, 1.8f};
 *   int64_t shape[2] = {1, 4};
 *   bg_value *in = bg_ndarray_borrow(BG_DTYPE_FLOAT, shape, 2, x, 4, &err);
 *   bg_value *out = NULL;
 *   if (bg_client_call(client, "predict", in, &out, NULL, &err) != BG_OK)
 *     fprintf(stderr, "%s\n", err.message);
 *   bg_value_free(out);
 *   bg_value_free(in);
 *   bg_client_close(client);
 * @endcode
 *
 * Ownership rules are written beside each function: "borrowed" pointers must outlive the
 * use stated there, "copied" ones may be freed at once, and every handle a function returns
 * is the caller's to free with its matching *_free / *_close (all of which accept NULL). */
#ifndef BENTOGRPC_H
#define BENTOGRPC_H

#include "async.h"
#include "client.h"
#include "common.h"
#include "interceptor.h"
#include "log.h"
#include "options.h"
#include "value.h"

#endif
