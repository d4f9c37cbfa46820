/* The CLI's options, declared once. CLI_OPTION_LIST below is the only place an option is named:
 * the option ids, getopt_long's table and short-option string, the --help text, the
 * --list-options listing, the man page's OPTIONS section and the bash completion (cli_docs.c,
 * made at build time) are all derived from it. Parsing fills a plain cli_settings (cli_settings.h)
 * and touches nothing else; cli_settings.c applies it to the library in one place. */
#ifndef CLI_OPTIONS_H
#define CLI_OPTIONS_H

#include <stdio.h>

#include "cli_settings.h"

/* The commands, as bits: which commands an option is meant for (--list-options shows it). */
enum {
  CLI_CMD_DESCRIBE = 1 << 0,
  CLI_CMD_HEALTH = 1 << 1,
  CLI_CMD_WAIT = 1 << 2,
  CLI_CMD_CALL = 1 << 3,
  CLI_CMD_BENCH = 1 << 4,
  CLI_CMD_CALLS = CLI_CMD_CALL | CLI_CMD_BENCH,
  CLI_CMD_HEALTHS = CLI_CMD_HEALTH | CLI_CMD_WAIT,
  CLI_CMD_ALL = CLI_CMD_DESCRIBE | CLI_CMD_HEALTHS | CLI_CMD_CALLS
};

/* Where an option's line goes in --help. */
typedef enum cli_group {
  CLI_GROUP_INPUT,  /* "call input" */
  CLI_GROUP_OUTPUT, /* "call output" */
  CLI_GROUP_GLOBAL, /* "global options" */
  CLI_GROUP_OTHER   /* "options" */
} cli_group;

typedef enum cli_arg { CLI_ARG_NONE, CLI_ARG_REQUIRED, CLI_ARG_OPTIONAL } cli_arg;

/* X(ID, LONG, SHORT, ARG, METAVAR, COMMANDS, GROUP, VALUES, HELP)
 *   LONG     the long name without "--", or NULL for a short-only option
 *   SHORT    the short letter, or 0
 *   METAVAR  the value's name in --help (NULL without a value)
 *   VALUES   the words the value may be (space-separated; bash completion offers them), "@file"
 *            for a path, or NULL
 *   HELP     --help's text; "\n" starts a continuation line (indented under the first) */
#define CLI_OPTION_LIST(X)                                                                         \
  X(NDARRAY, "ndarray", 0, CLI_ARG_REQUIRED, "JSON", CLI_CMD_CALLS, CLI_GROUP_INPUT, NULL,         \
    "nested lists, e.g. '[[1,2],[3,4]]'")                                                          \
  X(SERIES, "series", 0, CLI_ARG_REQUIRED, "JSON", CLI_CMD_CALLS, CLI_GROUP_INPUT, NULL,           \
    "a list, e.g. '[1,2,3]'")                                                                      \
  X(DATAFRAME, "dataframe", 0, CLI_ARG_REQUIRED, "JSON", CLI_CMD_CALLS, CLI_GROUP_INPUT, NULL,     \
    "columns, e.g. '{\"age\": [3, 29], \"height\": [94, 170]}'")                                   \
  X(DTYPE, "dtype", 0, CLI_ARG_REQUIRED, "T", CLI_CMD_CALLS, CLI_GROUP_INPUT,                      \
    "float32 float64 bool int32 int64 uint32 uint64 str",                                          \
    "element type for the above: float32 float64 bool int32 int64\n"                               \
    "uint32 uint64 str (default: inferred like numpy)")                                            \
  X(JSON, "json", 0, CLI_ARG_REQUIRED, "TEXT", CLI_CMD_CALLS, CLI_GROUP_INPUT, NULL,               \
    "a JSON document")                                                                             \
  X(TEXT, "text", 0, CLI_ARG_REQUIRED, "TEXT", CLI_CMD_CALLS, CLI_GROUP_INPUT, NULL, "UTF-8 text") \
  X(FILE, "file", 0, CLI_ARG_REQUIRED, "PATH", CLI_CMD_CALLS, CLI_GROUP_INPUT, "@file",            \
    "a file or image (MIME type: --mime, else the API's)")                                         \
  X(MIME, "mime", 0, CLI_ARG_REQUIRED, "T", CLI_CMD_CALLS, CLI_GROUP_INPUT, NULL,                  \
    "the MIME type of --file (default: the API's)")                                                \
  X(BYTES, "bytes", 0, CLI_ARG_REQUIRED, "PATH", CLI_CMD_CALLS, CLI_GROUP_INPUT, "@file",          \
    "raw serialized_bytes, read from PATH")                                                        \
  X(PART, "part", 0, CLI_ARG_REQUIRED, "NAME=KIND:VALUE", CLI_CMD_CALLS, CLI_GROUP_INPUT, NULL,    \
    "a multipart part (repeatable); KIND is one of ndarray,\n"                                     \
    "series, dataframe, json, text (VALUE inline) or file, bytes\n"                                \
    "(VALUE a path, - for stdin), e.g. --part meta=text:hi\n"                                      \
    "--part img=file:a.bmp")                                                                       \
  X(OUTPUT, NULL, 'o', CLI_ARG_REQUIRED, "PATH", CLI_CMD_CALL, CLI_GROUP_OUTPUT, "@file",          \
    "write a file, text or JSON output to PATH, byte for byte\n"                                   \
    "(multipart: file parts to PATH.PART); -o - writes the raw\n"                                  \
    "bytes to stdout")                                                                             \
  X(FORMAT, "format", 0, CLI_ARG_REQUIRED, "text|json", CLI_CMD_ALL, CLI_GROUP_GLOBAL,             \
    "text json csv",                                                                               \
    "json: every command prints one JSON document on stdout,\n"                                    \
    "errors too ({\"error\": {...}}); NaN and infinite floats\n"                                   \
    "as the strings \"NaN\", \"Infinity\", \"-Infinity\" (strict\n"                                \
    "JSON, as grpcurl prints them); bench also takes csv")                                         \
  X(VERBOSE, "verbose", 'v', CLI_ARG_NONE, NULL, CLI_CMD_ALL, CLI_GROUP_GLOBAL, NULL,              \
    "request metadata, response headers and trailers, status and\n"                                \
    "timing on stderr (single calls), and the library's log at\n"                                  \
    "info (load runs too)")                                                                        \
  X(LOG, "log", 0, CLI_ARG_REQUIRED, "LEVEL", CLI_CMD_ALL, CLI_GROUP_GLOBAL,                       \
    "debug info warn error",                                                                       \
    "the library's and gRPC Core's log on stderr: debug, info,\n"                                  \
    "warn or error (same as BG_LOG=LEVEL)")                                                        \
  X(VERSION, "version", 0, CLI_ARG_NONE, NULL, CLI_CMD_ALL, CLI_GROUP_GLOBAL, NULL,                \
    "versions of bentogrpc, libbentogrpc and gRPC Core")                                           \
  X(CONCURRENCY, "concurrency", 0, CLI_ARG_REQUIRED, "N", CLI_CMD_CALLS, CLI_GROUP_OTHER, NULL,    \
    "call: keep N calls in flight on the async client ...\n"                                       \
    "bench: calls in flight (default 50)")                                                         \
  X(COUNT, "count", 0, CLI_ARG_REQUIRED, "M", CLI_CMD_CALLS, CLI_GROUP_OTHER, NULL,                \
    "... and make M calls in all; prints successes, failures and\n"                                \
    "calls per second instead of the output (bench: default 1000)")                                \
  X(DURATION, "duration-s", 0, CLI_ARG_REQUIRED, "S", CLI_CMD_CALLS, CLI_GROUP_OTHER, NULL,        \
    "a load run of S seconds instead of --count calls")                                            \
  X(RPS, "rps", 0, CLI_ARG_REQUIRED, "N", CLI_CMD_CALLS, CLI_GROUP_OTHER, NULL,                    \
    "a load run starts at most N calls per second")                                                \
  X(WARMUP, "warmup-s", 0, CLI_ARG_REQUIRED, "S", CLI_CMD_CALLS, CLI_GROUP_OTHER, NULL,            \
    "a load run first makes uncounted calls for S seconds")                                        \
  X(NO_VALIDATE, "no-validate", 0, CLI_ARG_NONE, NULL, CLI_CMD_CALLS, CLI_GROUP_OTHER, NULL,       \
    "skip client-side checks against the API's descriptor")                                        \
  X(RAW, "raw", 0, CLI_ARG_NONE, NULL, CLI_CMD_CALLS, CLI_GROUP_OTHER, NULL,                       \
    "call without descriptors (unknown descriptors, v1alpha1):\n"                                  \
    "the request field follows the input kind; no discovery;\n"                                    \
    "call, --concurrency/--count and bench alike (a load run\n"                                    \
    "first waits for the connection, as discovery would,\n"                                        \
    "unless --wait-for-ready lets the calls wait)")                                                \
  X(DEADLINE, "deadline-ms", 0, CLI_ARG_REQUIRED, "N", CLI_CMD_CALLS, CLI_GROUP_OTHER, NULL,       \
    "call deadline in milliseconds")                                                               \
  X(WAIT_FOR_READY, "wait-for-ready", 0, CLI_ARG_NONE, NULL, CLI_CMD_CALLS, CLI_GROUP_OTHER, NULL, \
    "let a call wait for the server instead of failing at once")                                   \
  X(HEADER, NULL, 'H', CLI_ARG_REQUIRED, "'key: value'", CLI_CMD_CALLS, CLI_GROUP_OTHER, NULL,     \
    "add request metadata (repeatable; the key is lower-cased)")                                   \
  X(LB, "lb", 0, CLI_ARG_REQUIRED, "POLICY", CLI_CMD_ALL, CLI_GROUP_OTHER,                         \
    "pick_first round_robin",                                                                      \
    "load balancing over the addresses a name resolves to:\n"                                      \
    "pick_first (default) or round_robin")                                                         \
  X(RETRIES, "retries", 0, CLI_ARG_REQUIRED, "N", CLI_CMD_ALL, CLI_GROUP_OTHER, NULL,              \
    "retry UNAVAILABLE up to N more times (backoff 100 ms x2 up\n"                                 \
    "to 1 s)")                                                                                     \
  X(HEALTH_CHECK, "health-check", 0, CLI_ARG_OPTIONAL, "SERVICE", CLI_CMD_ALL, CLI_GROUP_OTHER,    \
    NULL, "gRPC client-side health checking (with --lb round_robin)")                              \
  X(SERVICE, "service", 0, CLI_ARG_REQUIRED, "NAME", CLI_CMD_HEALTH, CLI_GROUP_OTHER, NULL,        \
    "health: service name to check ('' = whole server)")                                           \
  X(TIMEOUT, "timeout-ms", 0, CLI_ARG_REQUIRED, "N", CLI_CMD_HEALTHS, CLI_GROUP_OTHER, NULL,       \
    "health/wait: how long to wait (default 5000 / 30000;\n"                                       \
    "health --watch: until Ctrl-C)")                                                               \
  X(WATCH, "watch", 0, CLI_ARG_NONE, NULL, CLI_CMD_HEALTH, CLI_GROUP_OTHER, NULL,                  \
    "health: print the status and each change (Health/Watch)\n"                                    \
    "until Ctrl-C or --timeout-ms")                                                                \
  X(INTERVAL, "interval-ms", 0, CLI_ARG_REQUIRED, "N", CLI_CMD_WAIT, CLI_GROUP_OTHER, NULL,        \
    "wait: pause between checks (default 500)")                                                    \
  X(PROTOCOL_VERSION, "protocol-version", 0, CLI_ARG_REQUIRED, "V", CLI_CMD_ALL, CLI_GROUP_OTHER,  \
    "v1 v1alpha1", "v1 (default) or v1alpha1 (no discovery: calls go --raw)")                      \
  X(CACERT, "cacert", 0, CLI_ARG_REQUIRED, "PATH", CLI_CMD_ALL, CLI_GROUP_OTHER, "@file",          \
    "CA certificates (PEM) that verify the server; implies TLS")                                   \
  X(CERT, "cert", 0, CLI_ARG_REQUIRED, "PATH", CLI_CMD_ALL, CLI_GROUP_OTHER, "@file",              \
    "client certificate (PEM) for mutual TLS, with --key")                                         \
  X(KEY, "key", 0, CLI_ARG_REQUIRED, "PATH", CLI_CMD_ALL, CLI_GROUP_OTHER, "@file",                \
    "the client certificate's private key (PEM), with --cert")                                     \
  X(AUTHORITY, "authority", 0, CLI_ARG_REQUIRED, "NAME", CLI_CMD_ALL, CLI_GROUP_OTHER, NULL,       \
    ":authority and the name the server certificate must carry")                                   \
  X(TLS, "tls", 0, CLI_ARG_NONE, NULL, CLI_CMD_ALL, CLI_GROUP_OTHER, NULL,                         \
    "TLS with the system's root certificates")                                                     \
  X(PLAINTEXT, "plaintext", 0, CLI_ARG_NONE, NULL, CLI_CMD_ALL, CLI_GROUP_OTHER, NULL,             \
    "no TLS, even for grpcs:// (default for host:port)")                                           \
  X(ALLOW_INSECURE_CREDENTIALS, "allow-insecure-credentials", 0, CLI_ARG_NONE, NULL, CLI_CMD_ALL,  \
    CLI_GROUP_OTHER, NULL,                                                                         \
    "send credentials (-H 'authorization: ...') without TLS to a\n"                                \
    "loopback or unix: server (localhost, 127.0.0.0/8, [::1]);\n"                                  \
    "without it they are refused, and to any other server\n"                                       \
    "they are refused without TLS even with it")                                                   \
  X(COMPRESS, "compress", 0, CLI_ARG_REQUIRED, "ALG", CLI_CMD_CALLS, CLI_GROUP_OTHER,              \
    "gzip deflate none", "compress requests: gzip, deflate or none")                               \
  X(MAX_RECV, "max-recv-bytes", 0, CLI_ARG_REQUIRED, "N", CLI_CMD_ALL, CLI_GROUP_OTHER, NULL,      \
    "largest reply accepted (default: no limit)")                                                  \
  X(DISCOVERY_TIMEOUT, "discovery-timeout-ms", 0, CLI_ARG_REQUIRED, "N", CLI_CMD_ALL,              \
    CLI_GROUP_OTHER, NULL,                                                                         \
    "how long connecting + ServiceMetadata may take (default 10000;\n"                             \
    "a --raw load run: how long connecting may take)")                                             \
  X(HELP, "help", 'h', CLI_ARG_NONE, NULL, CLI_CMD_ALL, CLI_GROUP_OTHER, NULL, "this text")        \
  X(LIST_OPTIONS, "list-options", 0, CLI_ARG_NONE, NULL, 0, CLI_GROUP_OTHER, NULL, NULL)           \
  X(PRINT_MAN_OPTIONS, "print-man-options", 0, CLI_ARG_NONE, NULL, 0, CLI_GROUP_OTHER, NULL, NULL) \
  X(PRINT_COMPLETION, "print-completion", 0, CLI_ARG_NONE, NULL, 0, CLI_GROUP_OTHER, NULL, NULL)

/* The option ids (CLI_OPT_NDARRAY, ...), in the list's order. */
typedef enum cli_option_id {
#define CLI_OPTION_ID(id, ...) CLI_OPT_##id,
  CLI_OPTION_LIST(CLI_OPTION_ID)
#undef CLI_OPTION_ID
      CLI_OPT_COUNT_
} cli_option_id;

/* One row of the list. An option with HELP NULL is hidden from --help (--list-options). */
typedef struct cli_option {
  cli_option_id id;
  const char *name;
  char short_name;
  cli_arg arg;
  const char *metavar;
  unsigned commands;
  cli_group group;
  const char *values;
  const char *help;
} cli_option;

extern const cli_option cli_options[CLI_OPT_COUNT_];

/* Parses argv into `s` (zeroed by the caller) without touching the library. Returns -1 when the
 * command should run, else the exit code (--help, --version, --list-options print and return 0;
 * a usage error is printed by cli_usage_error and returns CLI_EXIT_USAGE). */
int cli_parse_args(int argc, char **argv, cli_settings *s);

/* --help: the usage text, built from the command table and the option list. */
void cli_print_usage(FILE *out);

/* --list-options: one line per option, tab-separated: --long (or -), -s (or -), the argument
 * (none, required, optional), the commands it is for (comma-separated) and its VALUES (or -).
 * The `cli` test compares the man page and the bash completion with it. */
void cli_print_option_list(FILE *out);

/* --print-man-options: the man page's OPTIONS section (roff), every visible option with its
 * value, the commands that take it and its help (cli_docs.c; the build puts it into
 * bentogrpc.1). */
void cli_print_man_options(FILE *out);

/* --print-completion: the bash completion script: every visible option, the values of those
 * with VALUES, paths after those taking a file (cli_docs.c; the build installs it). */
void cli_print_completion(FILE *out);

#endif
