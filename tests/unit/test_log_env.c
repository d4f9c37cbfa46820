/* The BG_LOG environment variable (src/log.c), read once at the library's first log use. ctest
 * runs this with BG_LOG set (tests/CMakeLists.txt) and names the level it must lead to and the
 * words stderr must then hold:
 *   test_log_env LEVEL WORDS...   LEVEL: debug, info, warn, error or off
 * "warning" is taken for warn; an unknown word logs at info and says so on stderr. Exits 0
 * when the level matches, exactly the levels from it on are enabled, and stderr holds each of
 * WORDS (a line logged at the level included: with no handler, BG_LOG logs to stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log_internal.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_log_env debug|info|warn|error|off [WORDS...]\n");
    return 2;
  }
  bg_log_level want = BG_LOG_OFF;
  for (int l = BG_LOG_DEBUG; l <= BG_LOG_OFF; l++)
    if (strcasecmp(argv[1], bg_log_level_name((bg_log_level)l)) == 0)
      want = (bg_log_level)l;
  /* stderr into a file, read back at the end */
  FILE *captured = tmpfile();
  int saved = dup(STDERR_FILENO);
  if (!captured || saved < 0 || dup2(fileno(captured), STDERR_FILENO) < 0)
    return 2;
  bg_log_level got = bg_log_get_level(); /* reads BG_LOG */
  int failed = 0;
  char why[512] = "";
  if (got != want) {
    snprintf(why, sizeof why, "BG_LOG led to level %s, not %s", bg_log_level_name(got),
             bg_log_level_name(want));
    failed = 1;
  }
  for (int l = BG_LOG_DEBUG; !failed && l < BG_LOG_OFF; l++)
    if (bgi_log_enabled((bg_log_level)l) != (l >= (int)want)) {
      snprintf(why, sizeof why, "level %s is %s at %s", bg_log_level_name((bg_log_level)l),
               bgi_log_enabled((bg_log_level)l) ? "on" : "off", bg_log_level_name(want));
      failed = 1;
    }
  if (want != BG_LOG_OFF)
    bgi_log(want, "a line at the chosen level");
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  char text[4096] = "";
  rewind(captured);
  size_t n = fread(text, 1, sizeof text - 1, captured);
  text[n] = '\0';
  for (int i = 2; !failed && i < argc; i++)
    if (!strstr(text, argv[i])) {
      snprintf(why, sizeof why, "stderr lacks '%s'", argv[i]);
      failed = 1;
    }
  if (failed)
    fprintf(stderr, "FAIL: %s; stderr was:\n%s", why, text);
  return failed;
}
