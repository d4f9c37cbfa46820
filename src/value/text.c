/* Text values (UTF-8) and the UTF-8 check shared with the codecs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "utf8.h"
#include "value/value_internal.h"

/* The one-pass C-string check below reads whole aligned 16-byte blocks with SSE2 (x86-64's
 * baseline). Sanitizers see the bytes such a block holds past the string's NUL as overflows
 * (they are not: an aligned block never crosses a page, as glibc's strlen relies on), so their
 * builds, and other hosts, take the portable path. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define BGI_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BGI_SANITIZED 1
#endif
#if defined(__SSE2__) && !defined(BGI_SANITIZED)
#include <emmintrin.h>
#define BGI_CSTRING_SSE2 1
#endif

/* A shift DFA for strict UTF-8 without NUL bytes (the rules of bgi_utf8_sequence): one table
 * load, one shift per byte. The state is a multiple of 6 (a state's number times 6); the
 * table's entry for a byte holds, at bits [6s, 6s + 6), the state after that byte in state s.
 * An invalid byte leads to DFA_ERROR, which no byte leaves; a string is valid when it ends in
 * DFA_ACCEPT. */
enum {
  DFA_ACCEPT, /* between characters */
  DFA_ERROR,
  DFA_TAIL1, /* 1, 2, 3 continuation bytes (80..BF) to come */
  DFA_TAIL2,
  DFA_TAIL3,
  DFA_E0, /* after E0: A0..BF (no overlong), then 1 more */
  DFA_ED, /* after ED: 80..9F (no surrogate), then 1 more */
  DFA_F0, /* after F0: 90..BF (no overlong), then 2 more */
  DFA_F4, /* after F4: 80..8F (nothing above U+10FFFF), then 2 more */
};
/* The entry of a byte that leads state s to `next`, and every other state to DFA_ERROR. */
#define DFA_TO(s, next) ((uint64_t)(6 * (next)) << (6 * (s)))
#define DFA_ALL_ERROR                                                                              \
  (DFA_TO(DFA_ACCEPT, DFA_ERROR) | DFA_TO(DFA_ERROR, DFA_ERROR) | DFA_TO(DFA_TAIL1, DFA_ERROR) |   \
   DFA_TO(DFA_TAIL2, DFA_ERROR) | DFA_TO(DFA_TAIL3, DFA_ERROR) | DFA_TO(DFA_E0, DFA_ERROR) |       \
   DFA_TO(DFA_ED, DFA_ERROR) | DFA_TO(DFA_F0, DFA_ERROR) | DFA_TO(DFA_F4, DFA_ERROR))
/* DFA_ALL_ERROR with state s leading to `next` instead */
#define DFA_LEAD(s, next) ((DFA_ALL_ERROR & ~((uint64_t)63 << (6 * (s)))) | DFA_TO(s, next))
/* a continuation byte: what each state waiting for one makes of it */
#define DFA_CONT(e0, ed, f0, f4)                                                                   \
  (DFA_TO(DFA_ACCEPT, DFA_ERROR) | DFA_TO(DFA_ERROR, DFA_ERROR) | DFA_TO(DFA_TAIL1, DFA_ACCEPT) |  \
   DFA_TO(DFA_TAIL2, DFA_TAIL1) | DFA_TO(DFA_TAIL3, DFA_TAIL2) | DFA_TO(DFA_E0, e0) |              \
   DFA_TO(DFA_ED, ed) | DFA_TO(DFA_F0, f0) | DFA_TO(DFA_F4, f4))

static const uint64_t utf8_dfa[256] = {
    [0x00] = DFA_ALL_ERROR, /* NUL */
    [0x01 ... 0x7f] = DFA_LEAD(DFA_ACCEPT, DFA_ACCEPT),
    [0x80 ... 0x8f] = DFA_CONT(DFA_ERROR, DFA_TAIL1, DFA_ERROR, DFA_TAIL2),
    [0x90 ... 0x9f] = DFA_CONT(DFA_ERROR, DFA_TAIL1, DFA_TAIL2, DFA_ERROR),
    [0xa0 ... 0xbf] = DFA_CONT(DFA_TAIL1, DFA_ERROR, DFA_TAIL2, DFA_ERROR),
    [0xc0 ... 0xc1] = DFA_ALL_ERROR, /* overlong */
    [0xc2 ... 0xdf] = DFA_LEAD(DFA_ACCEPT, DFA_TAIL1),
    [0xe0] = DFA_LEAD(DFA_ACCEPT, DFA_E0),
    [0xe1 ... 0xec] = DFA_LEAD(DFA_ACCEPT, DFA_TAIL2),
    [0xed] = DFA_LEAD(DFA_ACCEPT, DFA_ED),
    [0xee ... 0xef] = DFA_LEAD(DFA_ACCEPT, DFA_TAIL2),
    [0xf0] = DFA_LEAD(DFA_ACCEPT, DFA_F0),
    [0xf1 ... 0xf3] = DFA_LEAD(DFA_ACCEPT, DFA_TAIL3),
    [0xf4] = DFA_LEAD(DFA_ACCEPT, DFA_F4),
    [0xf5 ... 0xff] = DFA_ALL_ERROR, /* above U+10FFFF, or not UTF-8 at all */
};

/* Strings up to this long take the DFA; longer ones utf8_valid, whose ASCII words are cheaper. */
enum { DFA_MAX = 64 };

static inline bool dfa_valid(const unsigned char *p, size_t n) {
  uint64_t state = 6 * DFA_ACCEPT; /* the low 6 bits: 6 * the state; x86's shift reads only those */
  for (size_t i = 0; i < n; i++)
    state = utf8_dfa[p[i]] >> (state & 63);
  return (state & 63) == 6 * DFA_ACCEPT;
}

bool bgi_utf8_valid_string(const char *s, size_t n) {
  if (n > DFA_MAX)
    return bgi_utf8_valid(s, n);
  return dfa_valid((const unsigned char *)s, n);
}

/* Only the bytes from the first to the last with its high bit set need the DFA: those around
 * them are ASCII (and not NUL), which a character can neither start in nor run into. */
static inline bool valid_high(const char *s, unsigned high) {
  unsigned first = (unsigned)__builtin_ctz(high), last = 31u - (unsigned)__builtin_clz(high);
  const unsigned char *p = (const unsigned char *)s + first;
  if (last == first + 1) /* one two-byte character (most accented Latin letters) */
    return p[0] >= 0xc2 && p[0] <= 0xdf && (p[1] & 0xc0) == 0x80;
  return dfa_valid(p, last + 1 - first);
}

bool bgi_utf8_valid_high(const char *s, unsigned high) { return !high || valid_high(s, high); }

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

/* What cstring() returns for a string that is not valid UTF-8 (no string is that long). */
#define CSTRING_BAD SIZE_MAX

/* A string longer than the two blocks cstring() looks at, or any without SSE2: its length, or
 * CSTRING_BAD. */
static size_t __attribute__((noinline)) cstring_long(const char *s) {
  size_t len = strlen(s);
  return bgi_utf8_valid_string(s, len) ? len : CSTRING_BAD;
}

/* The length of a valid C string, or CSTRING_BAD (a return value, not a pointer, so that the
 * length stays in a register). SSE2: the aligned 16-byte block holding s[0] and, when it has
 * no NUL from s on, the next one, their NULs and bytes with the high bit set found together: an
 * ASCII string that ends there is done in ~15 instructions, a non-ASCII one gets the DFA from
 * its first to its last such byte. */
static inline size_t cstring(const char *s) {
#ifdef BGI_CSTRING_SSE2
  const __m128i zeros = _mm_setzero_si128();
  unsigned skew = (unsigned)((uintptr_t)s & 15);
  const char *block = s - skew;
  __m128i v = _mm_load_si128((const __m128i *)(const void *)block);
  unsigned zero = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zeros)) >> skew;
  unsigned high = (unsigned)_mm_movemask_epi8(v) >> skew;
  if (!zero) {
    v = _mm_load_si128((const __m128i *)(const void *)(block + 16));
    zero = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zeros)) << (16 - skew);
    high |= (unsigned)_mm_movemask_epi8(v) << (16 - skew);
    if (!zero)
      return cstring_long(s);
  }
  /* the high bits before the first NUL: zero - 1 keeps zero's bits above its lowest and sets
   * those below it, and no NUL has its high bit set */
  high &= zero - 1;
  return !high || valid_high(s, high) ? (unsigned)__builtin_ctz(zero) : CSTRING_BAD;
#else
  return cstring_long(s);
#endif
}

/* bgi_utf8_cstrings, with `keep` (lengths not NULL) a constant in each copy: the loop tests
 * neither it nor a pointer to the length. */
static inline size_t cstrings(const char *const *strings, size_t count, size_t *lengths, bool keep,
                              size_t *total, size_t *longest) {
  size_t sum = 0, max = 0;
  for (size_t i = 0; i < count; i++) {
    size_t len;
    if (!strings[i] || (len = cstring(strings[i])) == CSTRING_BAD)
      return i;
    if (keep)
      lengths[i] = len;
    sum += len;
    max = len > max ? len : max;
  }
  if (total)
    *total = sum;
  if (longest)
    *longest = max;
  return count;
}

size_t bgi_utf8_cstrings(const char *const *strings, size_t count, size_t *lengths, size_t *total,
                         size_t *longest) {
  return lengths ? cstrings(strings, count, lengths, true, total, longest)
                 : cstrings(strings, count, NULL, false, total, longest);
}

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
