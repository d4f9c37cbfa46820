/* Text values (UTF-8) and the UTF-8 check shared with the codecs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "utf8.h"
#include "value/value_internal.h"

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF; NUL refused
 * unless `allow_nul` (a server's text may carry one; ours travels as a C string).
 * ASCII runs are checked 8 bytes at a time (no byte with its high bit set and, unless allowed,
 * no zero byte); everything else sequence by sequence. A byte at a time cost ~16 instructions
 * per byte, the largest part of a 4 KB Text call's client CPU (bench/RESULTS.md). */
static bool utf8_valid(const char *s, size_t n, bool allow_nul) {
  const unsigned char *p = (const unsigned char *)s;
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  for (size_t i = 0; i < n;) {
    uint64_t w;
    while (n - i >= 8 && (memcpy(&w, p + i, 8), (w & highs) == 0)) {
      if (!allow_nul && ((w - ones) & ~w & highs) != 0) /* a zero byte among the 8 */
        return false;
      i += 8;
    }
    if (i == n)
      break;
    size_t seq = bgi_utf8_sequence(p + i, n - i);
    if (seq == 0 || (p[i] == 0 && !allow_nul))
      return false;
    i += seq;
  }
  return true;
}

bool bgi_utf8_valid(const char *s, size_t n) { return utf8_valid(s, n, false); }

static bg_value *text_adopt(char *utf8, size_t length, bool allow_nul, bg_error *err) {
  if (!utf8_valid(utf8, length, allow_nul)) {
    free(utf8);
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0,
             "text is not valid UTF-8 (or contains a NUL byte); Text carries UTF-8 only");
    return NULL;
  }
  bg_value *v = bgi_value_alloc(BG_VALUE_TEXT, err);
  if (!v) {
    free(utf8);
    return NULL;
  }
  v->as.text.utf8 = utf8;
  v->as.text.length = length;
  return v;
}

bg_value *bgi_text_adopt(char *utf8, size_t length, bg_error *err) {
  return text_adopt(utf8, length, false, err);
}

bg_value *bgi_text_adopt_reply(char *utf8, size_t length, bg_error *err) {
  return text_adopt(utf8, length, true, err);
}

BG_API bg_value *bg_text_new(const char *utf8, size_t len, bg_error *err) {
  BGI_ERROR_SINK(err);
  if (!utf8 && len > 0) {
    bgi_fail(err, BG_ERR_INVALID_ARGUMENT, 0, "text: utf8 is NULL");
    return NULL;
  }
  if (len == (size_t)-1)
    len = utf8 ? strlen(utf8) : 0;
  char *copy = malloc(len + 1);
  if (!copy) {
    BGI_FAIL_NOMEM(err);
    return NULL;
  }
  if (len)
    memcpy(copy, utf8, len);
  copy[len] = '\0';
  return bgi_text_adopt(copy, len, err);
}

BG_API const char *bg_text_data(const bg_value *value) {
  return value && value->kind == BG_VALUE_TEXT ? value->as.text.utf8 : NULL;
}

BG_API size_t bg_text_length(const bg_value *value) {
  return value && value->kind == BG_VALUE_TEXT ? value->as.text.length : 0;
}
