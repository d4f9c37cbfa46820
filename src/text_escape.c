/* bg_text_escape: server-controlled text made safe for a terminal, shared by bgi_fail(); and
 * bg_string_free, which frees it and every other string the library returns (the shared files
 * use it too, so it lives here rather than in the value layer). */
#include <stdbool.h>
#include <stdlib.h>

#include <bentogrpc/value.h>

#include "error_internal.h"
#include "utf8.h"

size_t bgi_escape_into(char *dst, size_t cap, const char *text, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)text;
  size_t out = 0;
  size_t i = 0;
  while (i < len) {
    size_t seq = bgi_utf8_sequence(s + i, len - i);
    bool c0 = seq == 1 && (s[i] < 0x20 || s[i] == 0x7f) && s[i] != '\t' && s[i] != '\n';
    bool c1 = seq == 2 && s[i] == 0xC2 && s[i + 1] <= 0x9F; /* U+0080..U+009F */
    bool escaped = seq == 0 || c0 || c1;
    size_t raw = seq == 0 ? 1 : seq; /* input bytes in this unit */
    size_t need = escaped ? 4 * raw : raw;
    /* Whole units only: never half an escape or half a character. */
    if (dst && out + need >= cap)
      break;
    for (size_t k = 0; dst && k < raw; k++) {
      unsigned b = s[i + k];
      if (!escaped) {
        dst[out + k] = (char)b;
        continue;
      }
      dst[out + 4 * k] = '\\';
      dst[out + 4 * k + 1] = 'x';
      dst[out + 4 * k + 2] = hex[b >> 4];
      dst[out + 4 * k + 3] = hex[b & 0xF];
    }
    out += need;
    i += raw;
  }
  if (dst && cap > 0)
    dst[out] = '\0';
  return out;
}

BG_API char *bg_text_escape(const char *text, size_t len) {
  if (!text)
    len = 0;
  size_t n = bgi_escape_into(NULL, 0, text, len);
  char *copy = malloc(n + 1);
  if (!copy)
    return NULL;
  bgi_escape_into(copy, n + 1, text, len);
  return copy;
}

BG_API void bg_string_free(char *text) { free(text); }
