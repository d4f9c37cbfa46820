/* Text values (UTF-8) and the UTF-8 check shared with the codecs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "utf8.h"
#include "value/value_internal.h"

/* Bytes before the first one with its high bit set among the 8 of `w` (read from memory
 * with memcpy): 8 when there is none. Big-endian hosts take the slow path (0 unless all 8 are
 * ASCII). */
static size_t ascii_prefix(uint64_t high) {
  if (!high)
    return 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return (size_t)__builtin_ctzll(high) / 8;
#else
  return 0;
#endif
}

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF; NUL refused
 * unless `allow_nul` (a server's text may carry one; ours travels as a C string).
 * ASCII is skipped 8 bytes at a time: the bytes before the first with its high bit set need
 * no more than "no NUL among them" (the lowest byte flagged by the zero-byte test is the first
 * zero byte); the rest is checked sequence by sequence. Short ASCII texts (a column's strings)
 * take a shortcut: up to 16 bytes as two words, under 8 byte by byte, then the full check only
 * if that finds a byte outside 1..0x7f. A byte at a time cost ~16
 * instructions per byte, the larger part of a 4 KB Text call's client CPU (bench/RESULTS.md). */
static bool utf8_valid(const char *s, size_t n, bool allow_nul) {
  const unsigned char *p = (const unsigned char *)s;
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  if (n >= 8 && n <= 16) { /* short: two words that overlap */
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + n - 8, 8);
    if (!((a | b) & highs) && (allow_nul || !((((a - ones) & ~a) | ((b - ones) & ~b)) & highs)))
      return true;
  } else if (n < 8) { /* shorter: bytes 1..0x7f one by one */
    size_t i = 0;
    while (i < n && p[i] - 1u < 0x7fu)
      i++;
    if (i == n)
      return true;
  }
  for (size_t i = 0; i < n;) {
    while (n - i >= 8) {
      uint64_t w;
      memcpy(&w, p + i, 8);
      size_t ascii = ascii_prefix(w & highs);
      uint64_t zero = (w - ones) & ~w & highs;
      if (!allow_nul && zero && ascii_prefix(zero) < ascii)
        return false;
      i += ascii;
      if (ascii < 8)
        break;
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

/* utf8_valid with NUL bytes allowed and counted: a NUL is ASCII, so no sequence spans one, and
 * the block is `count` valid strings exactly when it is valid UTF-8 holding `count` NULs. The
 * ASCII words count their zero bytes exactly (no borrow between bytes) among those before the
 * first non-ASCII byte. */
bool bgi_utf8_valid_strings(const char *block, size_t n, size_t count) {
  const unsigned char *p = (const unsigned char *)block;
  const uint64_t highs = 0x8080808080808080u, low7 = 0x7f7f7f7f7f7f7f7fu;
  size_t nuls = 0;
  for (size_t i = 0; i < n;) {
    while (n - i >= 8) {
      uint64_t w;
      memcpy(&w, p + i, 8);
      size_t ascii = ascii_prefix(w & highs);
      uint64_t zero = ~(((w & low7) + low7) | w | low7); /* 0x80 where a byte is 0 */
      if (ascii < 8)
        zero &= ((uint64_t)1 << (8 * ascii)) - 1; /* little-endian: the first `ascii` bytes */
      nuls += (size_t)(((zero >> 7) * 0x0101010101010101u) >> 56); /* sum of the 0/1 bytes */
      i += ascii;
      if (ascii < 8)
        break;
    }
    if (i == n)
      break;
    size_t seq = bgi_utf8_sequence(p + i, n - i);
    if (seq == 0)
      return false;
    nuls += p[i] == 0;
    i += seq;
  }
  return nuls == count;
}

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
