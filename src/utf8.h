/* UTF-8 decoding shared by the value model's validation and the escaping of server text. */
#ifndef BGI_UTF8_H
#define BGI_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s[0..n) (1..4), or 0 when s[0] does not start one
 * (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static inline size_t bgi_utf8_sequence(const unsigned char *s, size_t n) {
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

#endif
