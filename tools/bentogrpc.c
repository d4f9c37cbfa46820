/* bentogrpc — command-line client for BentoML gRPC servers, built on the public API only.
 * The wiring: the options are declared once (cli_options.h) and parsed into a plain
 * cli_settings; cli_settings.c applies them to the library; the command table
 * (cli_commands.c) runs the command; cli_exit.c maps failures to exit codes and advice. */
#include <bentogrpc/bentogrpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_commands.h"
#include "cli_exit.h"
#include "cli_options.h"
#include "cli_settings.h"

/* The command's name and arguments checked, --plaintext's rewrite of a grpcs:// URL done;
 * -1 to run it, else the exit code. */
static int check_command(cli_settings *s, const cli_command **command) {
  if (!s->url) {
    if (s->json)
      return cli_usage_error("give a COMMAND and a URL");
    cli_print_usage(stderr);
    return CLI_EXIT_USAGE;
  }
  if (s->format && strcmp(s->format, "csv") == 0 && strcmp(s->command, "bench") != 0)
    return cli_usage_error("--format csv is for bench; %s takes text or json", s->command);
  if (s->plaintext && strncmp(s->url, "grpcs://", 8) == 0) { /* --plaintext wins */
    size_t size = strlen(s->url) - 8 + sizeof "grpc://";
    if (!(s->url_buf = malloc(size)))
      return cli_out_of_memory();
    snprintf(s->url_buf, size, "grpc://%s", s->url + 8);
    s->url = s->url_buf;
  }
  *command = cli_command_find(s->command);
  if (!*command) {
    char names[256] = "";
    for (size_t i = 0; i < cli_n_commands; i++)
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", cli_commands[i].name,
               i + 2 < cli_n_commands   ? ", "
               : i + 1 < cli_n_commands ? " or "
                                        : "");
    return cli_usage_error("unknown command '%s'; use %s", s->command, names);
  }
  return -1;
}

int main(int argc, char **argv) {
  /* gRPC Core logs handshake failures to stderr; the CLI reports them itself (--log/-v/BG_LOG
   * show them). */
  if (!getenv("BG_LOG"))
    setenv("GRPC_VERBOSITY", "NONE", 0);
  /* getopt_long reorders argv; advice that repeats the command line shows it as typed */
  char **as_typed = malloc(((size_t)argc + 1) * sizeof *as_typed);
  if (as_typed)
    memcpy(as_typed, argv, ((size_t)argc + 1) * sizeof *as_typed);
  cli_settings s = {0};
  bg_options *options = NULL;
  const cli_command *command = NULL;
  int rc = cli_parse_args(argc, argv, &s);
  if (rc < 0) {
    cli_settings_apply_log(&s);
    options = cli_settings_client_options(&s, &rc);
  }
  if (options)
    rc = check_command(&s, &command);
  if (command) {
    cli_set_command_line(s.command, s.url, as_typed ? argc : 0, as_typed);
    rc = command->run(&s, options);
  }
  /* Output that could not be written (a full disk, a closed pipe) is a failure too. */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "bentogrpc: cannot write the output to stdout\n");
    if (rc == CLI_EXIT_OK)
      rc = CLI_EXIT_OTHER;
  }
  cli_settings_free(&s);
  free(as_typed);
  bg_options_free(options);
  bg_log_set_handler(NULL, NULL);
  return rc;
}
