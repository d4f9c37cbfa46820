/* The CLI's commands: one table of name, arguments, handler, the options meant for it (the
 * CLI_CMD_* bit that cli_options.h's list marks) and the summary --help prints. */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

#include <stddef.h>

#include "cli_settings.h"

typedef struct cli_command {
  const char *name;
  const char *args; /* as --help shows them, e.g. "URL API" */
  bool needs_api;   /* takes the API name as its third argument */
  unsigned bit;     /* CLI_CMD_*: the options whose COMMANDS hold it are meant for it */
  int (*run)(cli_settings *s, bg_options *options);
  const char *summary; /* --help's text; "\n" starts a continuation line */
} cli_command;

extern const cli_command cli_commands[];
extern const size_t cli_n_commands;

/* The command called `name`, or NULL. */
const cli_command *cli_command_find(const char *name);

#endif
