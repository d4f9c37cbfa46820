/* The CLI's exit codes and its --format json error document: one table for every command and
 * for both the single call (tools/bentogrpc.c) and the load runs (tools/cli_async.c); --help,
 * bentogrpc(1) and the README list the same codes. */
#ifndef CLI_EXIT_H
#define CLI_EXIT_H

#include <bentogrpc/bentogrpc.h>
#include <stdbool.h>
#include <stdio.h>

enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_NOT_SERVING = 1, /* health: the server answered, but not SERVING */
  CLI_EXIT_USAGE = 2,       /* bad command line or input */
  CLI_EXIT_UNAVAILABLE = 3, /* nothing answered at the address */
  CLI_EXIT_DEADLINE = 4,    /* deadline exceeded, or wait timed out */
  CLI_EXIT_SERVER = 5,      /* the server answered with an error status (or no such API) */
  CLI_EXIT_OTHER = 6        /* protocol error, unsupported descriptor, internal error */
};

/* The exit code for a failure with status `st` (CLI_EXIT_OK for BG_OK). */
int cli_exit_code(bg_status st);

/* The CLI's advice to print after a library failure whose remedy is one of the CLI's flags,
 * chosen by the failure's bg_error_reason() from one table (the library's messages name its
 * functions, never the CLI's flags; the message is never read), e.g. the refusal to send
 * credentials over plaintext, or a server without ServiceMetadata (BentoML before 1.0.12:
 * `call` and `bench` get their own command line again with --raw or --protocol-version
 * v1alpha1); "" when there is none. The text lives in static storage until the next call (the
 * CLI has one thread). */
const char *cli_error_advice(bg_status code, bg_reason reason);

/* The command (describe, call, ...), URL and whole command line, for advice that repeats it;
 * the strings are borrowed until exit. Without it the advice names the flags only. */
void cli_set_command_line(const char *command, const char *url, int argc, char **argv);

/* Whether errors are also printed as a JSON document on stdout (--format json). */
void cli_set_json_errors(bool on);

/* Prints a usage error ("bentogrpc: MESSAGE" and a pointer to --help on stderr; with JSON errors
 * also {"error": {"status": "usage", ...}} on stdout) and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a library failure with the CLI's advice (cli_error_advice) and returns its exit code;
 * never 0 (a failure without a code or message is reported as an internal error). */
int cli_report(const bg_error *err);

/* Prints that memory ran out and returns CLI_EXIT_OTHER. */
int cli_out_of_memory(void);

/* Writes {"error": {"status", "grpc_status", "grpc_status_name", "message", "exit_code"}} and a
 * newline to `out`: one compact JSON document (RFC 8259; text that is not UTF-8 escaped as by
 * bg_text_escape). `status` is a bg_status name or "usage"; `grpc_status` 0 gives a null name. */
void cli_print_json_error(FILE *out, const char *status, int grpc_status, const char *message,
                          int exit_code);

#endif
