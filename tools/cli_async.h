/* `bentogrpc call ... --concurrency N --count M`: many calls of one API on one async client. */
#ifndef BG_TOOLS_CLI_ASYNC_H
#define BG_TOOLS_CLI_ASYNC_H

#include <bentogrpc/bentogrpc.h>
#include <stdio.h>

/* Calls `api` at `url` `count` times with `input`, keeping `concurrency` calls in flight on
 * one async client (one channel), and prints to `out` how many succeeded and failed (per
 * status, with the first error message), the elapsed time and the calls per second.
 * `input`, `options` and `call_options` (the latter two may be NULL) are borrowed for the
 * duration. Returns the CLI exit code: 0 when every call succeeded, 2 for bad arguments,
 * otherwise the code of the first failure's status (3 unavailable, 4 deadline, 5 server
 * error or unknown API, 6 other). Connection errors go to stderr. */
int bg_cli_call_concurrent(const char *url, const char *api, const bg_value *input,
                           const bg_options *options, const bg_call_options *call_options,
                           int concurrency, long count, FILE *out);

#endif
