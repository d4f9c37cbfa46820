/* Assertions the integration tests share (include after <cmocka.h>). */
#ifndef BGT_ASSERT_H
#define BGT_ASSERT_H

#include <string.h>

#define assert_contains(haystack, needle)                                                          \
  do {                                                                                             \
    if (!strstr((haystack), (needle)))                                                             \
      fail_msg("'%s' does not contain '%s'", (haystack), (needle));                                \
  } while (0)

#endif
