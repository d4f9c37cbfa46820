/* bg_text_escape: server-controlled text made safe for a terminal, shared by bgi_fail(). */
#include <stdbool.h>
#include <stdlib.h>

#include "error_internal.h"

/* Length of the valid UTF-8 sequence at s[0..n) (1..4), or 0 when s[0] does not start one
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_sequence(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t extra;
  unsigned min;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    extra = 1;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    extra = 2;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    extra = 3;
    min = 0x10000;
  } else {
    return 0;
  }
  if (n <= extra)
    return 0;
  unsigned cp = c & (0x3F >> extra);
  for (size_t k = 1; k <= extra; k++) {
    if ((s[k] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return extra + 1;
}

size_t bgi_escape_into(char *dst, size_t cap, const char *text, size_t len) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)text;
  size_t out = 0;
  size_t i = 0;
  while (i < len) {
    size_t seq = utf8_sequence(s + i, len - i);
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
