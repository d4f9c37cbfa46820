/* The man page's option reference and the bash completion, made from the option list
 * (cli_options.h) and the command table: the build runs `bentogrpc --print-man-options` and
 * `bentogrpc --print-completion` (cmake/CliDocs.cmake), so neither can name an option the CLI
 * lacks or miss one it has. */
#include <string.h>

#include "cli_commands.h"
#include "cli_options.h"

/* roff text: '-' as \-, '\' as \e, a line never starting with '.' or '\''. */
static void put_roff(FILE *out, const char *text, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = text[i];
    if (c == '-')
      fputs("\\-", out);
    else if (c == '\\')
      fputs("\\e", out);
    else
      fputc(c, out);
  }
}

/* The help text as one roff paragraph: its "\n" continuation breaks become spaces. */
static void put_roff_help(FILE *out, const char *help) {
  if (*help == '.' || *help == '\'')
    fputs("\\&", out);
  for (const char *line = help; line;) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    put_roff(out, line, n);
    fputc(nl ? ' ' : '\n', out);
    line = nl ? nl + 1 : NULL;
  }
}

static void put_roff_str(FILE *out, const char *s) { put_roff(out, s, strlen(s)); }

void cli_print_man_options(FILE *out) {
  fputs(".SH OPTIONS\n"
        "Every option, as \\fB\\-\\-help\\fR lists it; the commands that take it in brackets.\n",
        out);
  for (size_t i = 0; i < CLI_OPT_COUNT_; i++) {
    const cli_option *o = &cli_options[i];
    if (!o->help)
      continue; /* hidden */
    fputs(".TP\n.B ", out);
    if (o->short_name)
      fprintf(out, "\\-%c%s", o->short_name, o->name ? ", " : "");
    if (o->name) {
      fputs("\\-\\-", out);
      put_roff_str(out, o->name);
    }
    if (o->arg == CLI_ARG_REQUIRED) {
      fputs(" \\fI", out);
      put_roff_str(out, o->metavar);
      fputs("\\fR", out);
    } else if (o->arg == CLI_ARG_OPTIONAL) {
      fputs("[=\\fI", out);
      put_roff_str(out, o->metavar);
      fputs("\\fR]", out);
    }
    fputs(" (", out);
    const char *sep = "";
    for (size_t c = 0; c < cli_n_commands; c++)
      if (o->commands & cli_commands[c].bit) {
        fprintf(out, "%s%s", sep, cli_commands[c].name);
        sep = ", ";
      }
    fputs(")\n", out);
    put_roff_help(out, o->help);
  }
}

/* "--name" or "-s" of each visible option, space-separated. */
static void put_option_words(FILE *out) {
  const char *sep = "";
  for (size_t i = 0; i < CLI_OPT_COUNT_; i++) {
    const cli_option *o = &cli_options[i];
    if (!o->help)
      continue;
    if (o->name)
      fprintf(out, "%s--%s", sep, o->name);
    if (o->short_name)
      fprintf(out, "%s-%c", o->name ? " " : sep, o->short_name);
    sep = " ";
  }
}

/* The option as typed: "--name", else "-s". */
static void put_flag(FILE *out, const cli_option *o) {
  if (o->name)
    fprintf(out, "--%s", o->name);
  else
    fprintf(out, "-%c", o->short_name);
}

/* The `case $prev` branches: the words of each option with VALUES, then one branch completing
 * paths after every option whose value is a file ("@file"). */
static void put_value_cases(FILE *out) {
  for (size_t i = 0; i < CLI_OPT_COUNT_; i++) {
    const cli_option *o = &cli_options[i];
    if (!o->help || !o->values || strcmp(o->values, "@file") == 0)
      continue;
    fputs("  ", out);
    put_flag(out, o);
    fprintf(out, ") mapfile -t COMPREPLY < <(compgen -W \"%s\" -- \"$cur\"); return ;;\n",
            o->values);
  }
  const char *sep = "  ";
  for (size_t i = 0; i < CLI_OPT_COUNT_; i++) {
    const cli_option *o = &cli_options[i];
    if (!o->help || !o->values || strcmp(o->values, "@file") != 0)
      continue;
    fputs(sep, out);
    put_flag(out, o);
    sep = " | ";
  }
  if (strcmp(sep, " | ") == 0)
    fputs(") mapfile -t COMPREPLY < <(compgen -f -- \"$cur\"); return ;;\n", out);
}

void cli_print_completion(FILE *out) {
  fputs("# bash completion for bentogrpc, made by `bentogrpc --print-completion` from the CLI's\n"
        "# option table (installed to share/bash-completion/completions/bentogrpc)\n"
        "_bentogrpc() {\n"
        "  local cur prev\n"
        "  cur=${COMP_WORDS[COMP_CWORD]}\n"
        "  prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
        "  local opts=\"",
        out);
  put_option_words(out);
  fputs("\"\n  case $prev in\n", out);
  put_value_cases(out);
  fputs("  esac\n"
        "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
        "    mapfile -t COMPREPLY < <(compgen -W \"",
        out);
  for (size_t c = 0; c < cli_n_commands; c++)
    fprintf(out, "%s ", cli_commands[c].name);
  fputs("--help --version\" -- \"$cur\")\n"
        "  else\n"
        "    # shellcheck disable=SC2086\n"
        "    mapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")\n"
        "  fi\n"
        "}\n"
        "complete -F _bentogrpc bentogrpc\n",
        out);
}
