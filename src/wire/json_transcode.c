/* JSON text <-> google.protobuf.Value wire bytes (json_transcode.h).
 *
 * Text -> bytes in one pass: every length prefix precedes what it measures, so the encoder
 * leaves one byte for each prefix and writes the length there once what it measures is
 * written; a length of 128 or more (its varint longer than that byte) moves what it measures
 * up by the bytes it lacks. Lengths are minimal varints, as protobuf-c writes them: the bytes
 * equal protobuf-c's packing of the same Value (the fuzzer fuzz_json_wire checks it against
 * the tree-based encoder). */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "utf8.h"
#include "value/json_number.h"
#include "value/value_internal.h"
#include "wire/json_transcode.h"
#include "wire/pb_raw.h"

/* google.protobuf.Value / Struct / ListValue / Struct.FieldsEntry field keys (PROTOCOL.md
 * §2.12); each is one byte on the wire. */
enum {
  K_NULL = BGI_PB_TAG(1, BGI_PB_VARINT),
  K_NUMBER = BGI_PB_TAG(2, BGI_PB_I64),
  K_STRING = BGI_PB_TAG(3, BGI_PB_LEN),
  K_BOOL = BGI_PB_TAG(4, BGI_PB_VARINT),
  K_STRUCT = BGI_PB_TAG(5, BGI_PB_LEN),
  K_LIST = BGI_PB_TAG(6, BGI_PB_LEN),
  K_FIELDS = BGI_PB_TAG(1, BGI_PB_LEN), /* Struct.fields, ListValue.values */
  K_ENTRY_KEY = BGI_PB_TAG(1, BGI_PB_LEN),
  K_ENTRY_VALUE = BGI_PB_TAG(2, BGI_PB_LEN)
};

#define MAX_SAFE_INTEGER 9007199254740992.0 /* 2^53 */

/* Bytes before a Value for its length prefix: a varint of up to 2^35 - 1. */
#define BGI_JSON_PREFIX_ROOM 5

/* ---- text -> bytes ---- */

/* A growable array that starts in caller-provided (stack) memory. */
typedef struct grow {
  void *data;
  size_t used, cap; /* in elements */
  bool heap;
} grow;

static __attribute__((noinline)) bool grow_reserve(grow *g, size_t more, size_t elem) {
  if (g->used + more <= g->cap)
    return true;
  size_t cap = g->cap ? g->cap : 16;
  while (cap < g->used + more) {
    if (cap > SIZE_MAX / 2 / elem)
      return false;
    cap *= 2;
  }
  void *p = g->heap ? realloc(g->data, cap * elem) : malloc(cap * elem);
  if (!p)
    return false;
  if (!g->heap && g->used)
    memcpy(p, g->data, g->used * elem);
  g->data = p;
  g->cap = cap;
  g->heap = true;
  return true;
}

static void grow_free(grow *g) {
  if (g->heap)
    free(g->data);
}

/* A key of an object being read: where its bytes are in the output. */
typedef struct key_at {
  size_t at, len;
} key_at;

typedef struct parser {
  const unsigned char *p, *end;
  int max_nesting;
  bool allow_nul;
  uint8_t *out; /* [BGI_JSON_PREFIX_ROOM][the Value being written] */
  size_t used, cap;
  grow keys; /* key_at: keys of the objects being read, ascending in the output */
  grow ints; /* size_t: output offsets of the integers' number tags, ascending */
  grow dec;  /* char: the last string with escapes, decoded */
  bool no_memory;
} parser;

static __attribute__((noinline)) bool grow_out(parser *ps, size_t n) {
  size_t cap = ps->cap;
  while (cap < ps->used + n) {
    if (cap > SIZE_MAX / 2) {
      ps->no_memory = true;
      return false;
    }
    cap *= 2;
  }
  uint8_t *grown = realloc(ps->out, cap);
  if (!grown) {
    ps->no_memory = true;
    return false;
  }
  ps->out = grown;
  ps->cap = cap;
  return true;
}

/* Room for n more output bytes. */
static inline bool room(parser *ps, size_t n) { return ps->used + n <= ps->cap || grow_out(ps, n); }

static inline bool is_ws(unsigned char c) {
  return c <= ' ' && (c == ' ' || c == '\n' || c == '\r' || c == '\t');
}

/* The first byte from p that is not JSON whitespace (or end): runs of spaces (indentation)
 * sixteen at a time with SSE2, other whitespace byte by byte. */
static __attribute__((noinline)) const unsigned char *ws_run(const unsigned char *p,
                                                             const unsigned char *end) {
  for (;;) {
#ifdef __SSE2__
    if (end - p >= 16) {
      __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
      unsigned other = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' '))) & 0xffff;
      if (!other) {
        p += 16;
        continue;
      }
      p += __builtin_ctz(other);
    }
#endif
    if (p == end || !is_ws(*p))
      return p;
    p++;
  }
}

/* Skips whitespace: none (most often) or one space (after ',' and ':' in most texts) without
 * a call, longer runs by ws_run. */
static inline void skip_ws(parser *ps) {
  const unsigned char *p = ps->p, *end = ps->end;
  if (p == end || *p > ' ')
    return;
  if (*p == ' ' && end - p >= 2 && p[1] > ' ') {
    ps->p = p + 1;
    return;
  }
  ps->p = ws_run(p, end);
}

/* Bytes a string copies as they are: printable ASCII other than '"' and '\\'. */
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
static const bool plain_bytes[256] = {[0x20] = 1,
                                      [0x21] = 1,
                                      [0x23] = 1,
                                      [0x24] = 1,
                                      [0x25] = 1,
                                      [0x26] = 1,
                                      [0x27] = 1,
                                      [0x28] = 1,
                                      [0x29] = 1,
                                      [0x2a] = 1,
                                      [0x2b] = 1,
                                      [0x2c] = 1,
                                      [0x2d] = 1,
                                      [0x2e] = 1,
                                      [0x2f] = 1,
                                      [0x30] = P16,
                                      [0x40] = P16,
                                      [0x50] = 1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      [0x5d] = 1,
                                      1,
                                      1,
                                      [0x60] = P16,
                                      [0x70] = P16};
#undef P16
#define plain(c) plain_bytes[(unsigned char)(c)]

/* Eight bytes at a time (little-endian loads; the encoder serves only little-endian hosts).
 * The masks are exact per byte (no borrow crosses bytes): bit 7 of each byte that matches. */
#define ONES  UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
#define LOWS  (~HIGHS)

#ifndef __SSE2__
static inline uint64_t bytes_equal(uint64_t w, unsigned char c) {
  uint64_t x = w ^ (ONES * c);
  return ~(((x & LOWS) + LOWS) | x) & HIGHS;
}

/* Controls (below 0x20) among the bytes below 0x80. */
static inline uint64_t bytes_control(uint64_t w) {
  return ~(((w & LOWS) + ONES * 0x60) | w) & HIGHS;
}
#endif

/* The first byte from p that is not plain (end when all are): sixteen at a time with SSE2 (one
 * signed compare finds controls and non-ASCII bytes alike), else eight; then byte by byte
 * where fewer remain before `end`. */
static inline const unsigned char *plain_run(const unsigned char *p, const unsigned char *end) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                space = _mm_set1_epi8(' ');
  for (; end - p >= 16; p += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                               _mm_cmplt_epi8(v, space));
    unsigned m = (unsigned)_mm_movemask_epi8(hit);
    if (m)
      return p + __builtin_ctz(m);
  }
#else
  for (uint64_t w; end - p >= 8; p += 8) {
    memcpy(&w, p, 8);
    uint64_t m = ((w & HIGHS) | bytes_control(w) | bytes_equal(w, '"') | bytes_equal(w, '\\'));
    if (m)
      return p + (__builtin_ctzll(m) >> 3);
  }
#endif
  while (p < end && plain(*p))
    p++;
  return p;
}

static int hex4(const unsigned char *p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    int c = p[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return -1;
    v = v << 4 | d;
  }
  return v;
}

static bool dec_put(parser *ps, const void *s, size_t n) {
  if (!grow_reserve(&ps->dec, n, 1)) {
    ps->no_memory = true;
    return false;
  }
  memcpy((char *)ps->dec.data + ps->dec.used, s, n);
  ps->dec.used += n;
  return true;
}

/* The rest of a string with escapes, from the backslash at ps->p, decoded into `dec` (which
 * holds that string only). */
static bool string_escaped(parser *ps, const unsigned char *start) {
  ps->dec.used = 0;
  if (!dec_put(ps, start, (size_t)(ps->p - start)))
    return false;
  const unsigned char *p = ps->p, *end = ps->end;
  for (;;) {
    const unsigned char *run = p;
    p = plain_run(p, end);
    if (p > run && !dec_put(ps, run, (size_t)(p - run)))
      return false;
    if (p == end)
      return false;
    unsigned c = *p;
    if (c == '"') {
      ps->p = p + 1;
      break;
    }
    if (c >= 0x80) {
      size_t n = bgi_utf8_sequence(p, (size_t)(end - p));
      if (!n || !dec_put(ps, p, n))
        return false;
      p += n;
      continue;
    }
    if (c != '\\' || end - p < 2)
      return false; /* a control character, or the text ends */
    char out[4];
    size_t n = 1;
    switch (p[1]) {
    case '"': out[0] = '"'; break;
    case '\\': out[0] = '\\'; break;
    case '/': out[0] = '/'; break;
    case 'b': out[0] = '\b'; break;
    case 'f': out[0] = '\f'; break;
    case 'n': out[0] = '\n'; break;
    case 'r': out[0] = '\r'; break;
    case 't': out[0] = '\t'; break;
    case 'u': {
      int cp = end - p >= 6 ? hex4(p + 2) : -1;
      if (cp < 0 || (cp == 0 && !ps->allow_nul) || (cp >= 0xDC00 && cp <= 0xDFFF))
        return false; /* bad hex, \u0000 (jansson refuses NUL) or a lone low surrogate */
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        int low = end - p >= 12 && p[6] == '\\' && p[7] == 'u' ? hex4(p + 8) : -1;
        if (low < 0xDC00 || low > 0xDFFF)
          return false; /* a lone high surrogate */
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        p += 6;
      }
      if (cp < 0x80) {
        out[0] = (char)cp;
      } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
      } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
      } else {
        out[0] = (char)(0xF0 | cp >> 18);
        out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
      }
      p += 4;
      break;
    }
    default: return false;
    }
    if (!dec_put(ps, out, n))
      return false;
    p += 2;
  }
  return true;
}

/* The string from the opening quote at ps->p: its UTF-8 bytes in *s (in the text, or in `dec`
 * until the next string with escapes), *n of them. Always inline (GCC -O2 kept it a call): a
 * call per key and string cost ~30 instructions of the ~65 a short one takes. */
static inline __attribute__((always_inline)) bool read_string(parser *ps, const unsigned char **s,
                                                              size_t *n) {
  const unsigned char *start = ++ps->p, *p = start, *end = ps->end;
  for (;;) {
    p = plain_run(p, end);
    if (p == end)
      return false;
    if (*p == '"')
      break;
    if (*p >= 0x80) {
      size_t k = bgi_utf8_sequence(p, (size_t)(end - p));
      if (!k)
        return false;
      p += k;
      continue;
    }
    if (*p != '\\')
      return false; /* a control character */
    ps->p = p;
    if (!string_escaped(ps, start))
      return false;
    *s = ps->dec.data;
    *n = ps->dec.used;
    return true;
  }
  *s = start;
  *n = (size_t)(p - start);
  ps->p = p + 1;
  return true;
}

static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;
static void make_c_numeric(void) { c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

/* The correctly rounded double of a JSON number's text (what jansson's strtod gives). */
static bool slow_strtod(const unsigned char *s, size_t n, double *out, bool *no_memory) {
  char small[64];
  char *copy = n < sizeof small ? small : malloc(n + 1);
  if (!copy) {
    *no_memory = true;
    return false;
  }
  memcpy(copy, s, n);
  copy[n] = '\0';
  pthread_once(&c_numeric_once, make_c_numeric);
  if (!c_numeric) {
    if (copy != small)
      free(copy);
    *no_memory = true;
    return false;
  }
  locale_t previous = uselocale(c_numeric); /* this thread only, for this call */
  *out = strtod(copy, NULL);
  uselocale(previous);
  if (copy != small)
    free(copy);
  return true;
}

/* A number at ps->p (JSON's grammar exactly). Integers within +-2^53 and finite reals;
 * anything else is refused (jansson says "too big integer", check() "beyond +-2^53", jansson
 * "real number overflow"). */
static bool read_number(parser *ps, double *out, bool *is_integer) {
  const unsigned char *s = ps->p, *p = s, *end = ps->end;
  if (end - s >= 24) {
    /* The common short number without bound checks: at most 15 digits in all (their value
     * below 2^53), an optional fraction, no exponent; it ends before s + 19. Anything else
     * (more digits, an exponent, a leading zero before a digit, a bad fraction) is left to
     * the general reading below, which decides as before. Same values: the integer exactly,
     * the fraction as one division of two exact doubles (Clinger), as below. */
    const unsigned char *digits = s + (*s == '-'), *q = digits;
    uint64_t m = 0;
    int budget = 15; /* digits left */
    if (*q == '0') {
      q++;
      budget--;
    } else {
      for (; (unsigned)(*q - '0') < 10 && budget; q++, budget--)
        m = m * 10 + (uint64_t)(*q - '0');
    }
    bool whole = q > digits; /* the integer part has a digit */
    int fraction = 0;
    bool integer = *q != '.';
    if (!integer) {
      const unsigned char *f = ++q;
      for (; (unsigned)(*q - '0') < 10 && budget; q++, budget--)
        m = m * 10 + (uint64_t)(*q - '0');
      fraction = (int)(q - f);
    }
    unsigned c = *q;
    if (whole && (integer || fraction) && (c - '0') >= 10 && (c | 0x20) != 'e' && c != '.') {
      double d = (double)m;
      if (fraction)
        d /= exact_pow10[fraction];
      *out = integer && !m ? 0.0 : *s == '-' ? -d : d; /* "-0" is the integer 0 */
      *is_integer = integer;
      ps->p = q;
      return true;
    }
  }
  bool negative = p < end && *p == '-';
  if (negative)
    p++;
  if (p == end || *p < '0' || *p > '9')
    return false;
  uint64_t mantissa = 0;
  int digits = 0, dropped = 0; /* significant digits read into mantissa, and past 19 */
  int exponent = 0;
  if (*p == '0') {
    p++;
  } else {
    while (p < end && *p >= '0' && *p <= '9') {
      if (digits < 19) {
        mantissa = mantissa * 10 + (uint64_t)(*p - '0');
        digits++;
      } else {
        dropped++;
      }
      p++;
    }
  }
  bool integer = true;
  if (p < end && *p == '.') {
    integer = false;
    p++;
    if (p == end || *p < '0' || *p > '9')
      return false;
    while (p < end && *p >= '0' && *p <= '9') {
      if (mantissa == 0 && *p == '0') {
        exponent--; /* a leading zero of the fraction */
      } else if (digits < 19) {
        mantissa = mantissa * 10 + (uint64_t)(*p - '0');
        digits++;
        exponent--;
      } else {
        dropped++; /* the slow path reads the text again */
      }
      p++;
    }
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    integer = false;
    p++;
    bool eneg = false;
    if (p < end && (*p == '+' || *p == '-'))
      eneg = *p++ == '-';
    if (p == end || *p < '0' || *p > '9')
      return false;
    int e = 0;
    while (p < end && *p >= '0' && *p <= '9') {
      if (e < 100000)
        e = e * 10 + (*p - '0');
      p++;
    }
    exponent += eneg ? -e : e;
  }
  double d;
  if (integer) {
    if (dropped || mantissa > (uint64_t)MAX_SAFE_INTEGER)
      return false;
    d = negative ? -(double)mantissa : (double)mantissa; /* "-0" is the integer 0 */
    if (mantissa == 0)
      d = 0.0;
  } else if (!dropped && digits <= 15 && exponent >= -22 && exponent <= 22) {
    /* Both operands exact: one correctly rounded operation, strtod's result (Clinger). */
    d = exponent < 0 ? (double)mantissa / exact_pow10[-exponent]
                     : (double)mantissa * exact_pow10[exponent];
    if (negative)
      d = -d;
  } else {
    if (!slow_strtod(s, (size_t)(p - s), &d, &ps->no_memory))
      return false;
    if (!isfinite(d))
      return false;
  }
  *out = d;
  *is_integer = integer;
  ps->p = p;
  return true;
}

/* Copies n bytes: short ones (most keys and strings) without a call. */
static inline uint8_t *put_bytes(uint8_t *p, const void *from, size_t n) {
  const uint8_t *s = from;
  if (n >= 8 && n <= 16) { /* two 8-byte copies that may overlap */
    memcpy(p, s, 8);
    memcpy(p + n - 8, s + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    memcpy(p, s, 4);
    memcpy(p + n - 4, s + n - 4, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; i++)
      p[i] = s[i];
  } else {
    memcpy(p, s, n);
  }
  return p + n;
}

/* Writes a varint of v at p (room for 10 bytes); the one-byte length without the loop. */
static inline uint8_t *put_len(uint8_t *p, size_t v) {
  if (v < 0x80) {
    *p = (uint8_t)v;
    return p + 1;
  }
  return p + bgi_pb_put_varint(p, v);
}

/* Length prefixes: open_len leaves one byte at the end of the output and returns where;
 * close_len writes there the length of what followed it. A length of 128 or more needs a
 * longer varint: what it measures moves up by the bytes missing, and so do the recorded
 * offsets (keys, integers) beyond the prefix — always the last ones of their lists. */
static inline size_t open_len(parser *ps) { return ps->used++; }

static __attribute__((noinline)) bool close_long_len(parser *ps, size_t at, size_t len) {
  size_t k = bgi_pb_varint_size(len);
  if (!room(ps, k - 1))
    return false;
  memmove(ps->out + at + k, ps->out + at + 1, len);
  bgi_pb_put_varint(ps->out + at, len);
  ps->used += k - 1;
  size_t *ints = ps->ints.data;
  for (size_t i = ps->ints.used; i > 0 && ints[i - 1] > at; i--)
    ints[i - 1] += k - 1;
  key_at *keys = ps->keys.data;
  for (size_t i = ps->keys.used; i > 0 && keys[i - 1].at > at; i--)
    keys[i - 1].at += k - 1;
  return true;
}

static inline bool close_len(parser *ps, size_t at) {
  size_t len = ps->used - at - 1;
  if (len < 0x80) {
    ps->out[at] = (uint8_t)len;
    return true;
  }
  return close_long_len(ps, at, len);
}

typedef struct key_ref {
  const unsigned char *s;
  size_t n;
} key_ref;

static int compare_keys(const void *a, const void *b) {
  const key_ref *x = a, *y = b;
  int c = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
  return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* true when the object whose keys are keys[base..used) has no key twice. */
static bool keys_unique(parser *ps, size_t base) {
  size_t n = ps->keys.used - base;
  const key_at *keys = (const key_at *)ps->keys.data + base;
  if (n < 2)
    return true;
  if (n <= 12) {
    for (size_t i = 0; i < n; i++) {
      for (size_t j = i + 1; j < n; j++) {
        if (keys[i].len != keys[j].len)
          continue;
        const unsigned char *x = ps->out + keys[i].at, *y = ps->out + keys[j].at;
        if (keys[i].len == 0 || (x[0] == y[0] && memcmp(x, y, keys[i].len) == 0))
          return false;
      }
    }
    return true;
  }
  key_ref *refs = malloc(n * sizeof *refs);
  if (!refs) {
    ps->no_memory = true;
    return false;
  }
  for (size_t i = 0; i < n; i++)
    refs[i] = (key_ref){ps->out + keys[i].at, keys[i].len};
  qsort(refs, n, sizeof *refs, compare_keys);
  bool unique = true;
  for (size_t i = 1; i < n && unique; i++)
    unique = compare_keys(&refs[i - 1], &refs[i]) != 0;
  free(refs);
  return unique;
}

/* A container being read. */
typedef struct frame {
  bool object;
  size_t body;      /* the prefix of its Struct/ListValue bytes */
  size_t entry;     /* the prefix of the item (Struct.fields / ListValue.values) being read */
  size_t value;     /* object: the prefix of that member's value (FieldsEntry.value) */
  size_t keys_base; /* object: its first entry in `keys` */
} frame;

/* A member's key and ':', and the bytes before its value: Struct.fields' tag and prefix, the
 * key (left out when empty, as proto3 leaves out empty strings), FieldsEntry.value's tag and
 * prefix. Always inline, as read_string (one call fewer per member). */
static inline __attribute__((always_inline)) bool member_key(parser *ps, frame *f) {
  skip_ws(ps);
  const unsigned char *s;
  size_t n;
  if (ps->p == ps->end || *ps->p != '"' || !read_string(ps, &s, &n))
    return false;
  if (!room(ps, n + 16) ||
      (ps->keys.used == ps->keys.cap && !grow_reserve(&ps->keys, 1, sizeof(key_at)))) {
    ps->no_memory = true;
    return false;
  }
  ps->out[ps->used++] = K_FIELDS;
  f->entry = open_len(ps);
  uint8_t *o = ps->out + ps->used;
  if (n) {
    *o++ = K_ENTRY_KEY;
    o = put_len(o, n);
  }
  ((key_at *)ps->keys.data)[ps->keys.used++] = (key_at){(size_t)(o - ps->out), n};
  o = put_bytes(o, s, n);
  *o++ = K_ENTRY_VALUE;
  ps->used = (size_t)(o - ps->out);
  f->value = open_len(ps);
  skip_ws(ps);
  if (ps->p == ps->end || *ps->p != ':')
    return false;
  ps->p++;
  return true;
}

/* The bytes before a list's item: ListValue.values' tag and prefix. */
static inline bool list_item(parser *ps, frame *f) {
  if (!room(ps, 2))
    return false;
  ps->out[ps->used++] = K_FIELDS;
  f->entry = open_len(ps);
  return true;
}

static inline bool literal(parser *ps, const char *word, size_t n, uint8_t key, uint8_t v) {
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
    return false;
  ps->p += n;
  ps->out[ps->used++] = key;
  ps->out[ps->used++] = v;
  return true;
}

/* A scalar's Value at ps->p, written. */
static inline bool scalar(parser *ps) {
  switch (*ps->p) {
  case '"': {
    const unsigned char *s;
    size_t n;
    if (!read_string(ps, &s, &n) || !room(ps, n + 11))
      return false;
    uint8_t *o = ps->out + ps->used;
    *o++ = K_STRING;
    o = put_len(o, n);
    ps->used = (size_t)(put_bytes(o, s, n) - ps->out);
    return true;
  }
  case 't': return literal(ps, "true", 4, K_BOOL, 1);
  case 'f': return literal(ps, "false", 5, K_BOOL, 0);
  case 'n': return literal(ps, "null", 4, K_NULL, 0);
  default: {
    double d;
    bool integer;
    if (!read_number(ps, &d, &integer))
      return false;
    if (integer) {
      if (ps->ints.used == ps->ints.cap && !grow_reserve(&ps->ints, 1, sizeof(size_t))) {
        ps->no_memory = true;
        return false;
      }
      ((size_t *)ps->ints.data)[ps->ints.used++] = ps->used;
    }
    ps->out[ps->used++] = K_NUMBER;
    memcpy(ps->out + ps->used, &d, 8); /* little-endian hosts only (see the encoder) */
    ps->used += 8;
    return true;
  }
  }
}

/* Reads the whole text, writing its Value after BGI_JSON_PREFIX_ROOM bytes; false when it is
 * not JSON this encoder takes. */
static bool encode(parser *ps) {
  frame stack[BGI_JSON_TEXT_MAX_NESTING + 1];
  int max =
      ps->max_nesting < BGI_JSON_TEXT_MAX_NESTING ? ps->max_nesting : BGI_JSON_TEXT_MAX_NESTING;
  int depth = 0;
  for (;;) {
    skip_ws(ps);
    if (ps->p == ps->end || !room(ps, 16)) /* a tag, a prefix; a number, a literal */
      return false;
    if (*ps->p == '{' || *ps->p == '[') {
      bool object = *ps->p == '{';
      if (depth == max)
        return false; /* nested deeper than max_nesting */
      ps->out[ps->used++] = object ? K_STRUCT : K_LIST;
      size_t body = open_len(ps);
      ps->p++;
      skip_ws(ps);
      if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
        ps->p++;
        ps->out[body] = 0; /* empty */
      } else {
        frame *f = &stack[depth++];
        *f = (frame){.object = object, .body = body, .keys_base = ps->keys.used};
        if (!(object ? member_key(ps, f) : list_item(ps, f)))
          return false;
        continue; /* the first item's value */
      }
    } else if (!scalar(ps)) {
      return false;
    }
    /* a value is complete: close its item, then what ends here */
    for (;;) {
      if (depth == 0) {
        skip_ws(ps);
        return ps->p == ps->end;
      }
      frame *f = &stack[depth - 1];
      if ((f->object && !close_len(ps, f->value)) || !close_len(ps, f->entry))
        return false;
      skip_ws(ps);
      if (ps->p == ps->end)
        return false;
      if (*ps->p == ',') {
        ps->p++;
        if (!(f->object ? member_key(ps, f) : list_item(ps, f)))
          return false;
        break; /* the next item's value */
      }
      if (*ps->p != (f->object ? '}' : ']'))
        return false;
      ps->p++;
      if (f->object) {
        if (!keys_unique(ps, f->keys_base))
          return false;
        ps->keys.used = f->keys_base;
      }
      if (!close_len(ps, f->body))
        return false;
      depth--;
    }
  }
}

bgi_json_result bgi_json_encode_text(const char *text, size_t len, int max_nesting, bool allow_nul,
                                     bgi_json_wire *out) {
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || FLT_EVAL_METHOD != 0
  (void)text, (void)len, (void)max_nesting, (void)allow_nul, (void)out;
  return BGI_JSON_REFUSED; /* the tree-based encoder serves other hosts */
#else
  key_at keys_inline[64];
  size_t ints_inline[64];
  char dec_inline[512];
  /* the bytes are about as long as the text; more grows the block */
  size_t cap = len < SIZE_MAX / 4 ? len + len / 2 + 64 : SIZE_MAX / 2;
  parser ps = {.p = (const unsigned char *)text,
               .end = (const unsigned char *)text + len,
               .max_nesting = max_nesting,
               .allow_nul = allow_nul,
               .out = malloc(cap),
               .used = BGI_JSON_PREFIX_ROOM,
               .cap = cap,
               .keys = {keys_inline, 0, sizeof keys_inline / sizeof *keys_inline, false},
               .ints = {ints_inline, 0, sizeof ints_inline / sizeof *ints_inline, false},
               .dec = {dec_inline, 0, sizeof dec_inline, false}};
  bgi_json_result result = BGI_JSON_NO_MEMORY;
  if (ps.out && encode(&ps)) {
    /* [room for the length prefix][the Value][the integers' offsets], one block */
    size_t size = ps.used - BGI_JSON_PREFIX_ROOM, prefix = bgi_pb_varint_size(size);
    size_t ints_at = (ps.used + sizeof(size_t) - 1) / sizeof(size_t) * sizeof(size_t);
    size_t block_size = ints_at + ps.ints.used * sizeof(size_t);
    uint8_t *block = realloc(ps.out, block_size); /* mostly a shrink */
    if (block) {
      ps.out = NULL;
      size_t *ints = (size_t *)(block + ints_at);
      for (size_t i = 0; i < ps.ints.used; i++) /* offsets in the Value */
        ints[i] = ((const size_t *)ps.ints.data)[i] - BGI_JSON_PREFIX_ROOM;
      uint8_t *bytes = block + BGI_JSON_PREFIX_ROOM;
      bgi_pb_put_varint(bytes - prefix, size);
      *out = (bgi_json_wire){.block = block,
                             .bytes = bytes,
                             .size = size,
                             .prefix = prefix,
                             .ints = (const size_t *)(block + ints_at),
                             .n_ints = ps.ints.used};
      result = BGI_JSON_DONE;
    }
  } else if (ps.out && !ps.no_memory) {
    result = BGI_JSON_REFUSED;
  }
  free(ps.out);
  grow_free(&ps.keys);
  grow_free(&ps.ints);
  grow_free(&ps.dec);
  return result;
#endif
}

/* ---- a server's bytes: checked ---- */

/* A varint of at most 10 bytes whose tenth carries no more than bit 63. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *value) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 70 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    if (shift == 63 && b > 1)
      return false;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *value = v;
      return true;
    }
  }
  return false;
}

/* A length prefix as protobuf-c reads one: at most 5 bytes, below 2^32, within the message. */
static bool read_length_long(const uint8_t **p, const uint8_t *end, size_t *n) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 35 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (v > UINT32_MAX || v > (uint64_t)(end - *p))
        return false;
      *n = (size_t)v;
      return true;
    }
  }
  return false;
}

static inline bool read_length(const uint8_t **p, const uint8_t *end, size_t *n) {
  if (*p < end && **p < 0x80) { /* the common one-byte length */
    size_t v = *(*p)++;
    if (v > (size_t)(end - *p))
      return false;
    *n = v;
    return true;
  }
  return read_length_long(p, end, n);
}

static __attribute__((noinline)) bool utf8_ok_slow(const uint8_t *s, size_t n, bool nul_allowed) {
  for (size_t i = 0, k; i < n; i += k) {
    if (s[i] < 0x80) {
      k = 1;
      if (!s[i] && !nul_allowed)
        return false;
      continue;
    }
    if (!(k = bgi_utf8_sequence(s + i, n - i)))
      return false;
  }
  return true;
}

/* UTF-8 (and, unless nul_allowed, no NUL): ASCII eight bytes at a time, 4 to 7 left as two
 * fours that may overlap, then byte by byte; the first non-ASCII byte (or NUL) hands the rest
 * to utf8_ok_slow. */
static inline bool utf8_ok(const uint8_t *s, size_t n, bool nul_allowed) {
  size_t i = 0;
  for (uint64_t w; i + 8 <= n; i += 8) {
    memcpy(&w, s + i, 8);
    if ((w | (nul_allowed ? 0 : (w - ONES) & ~w)) & HIGHS)
      return utf8_ok_slow(s + i, n - i, nul_allowed);
  }
  if (n - i >= 4) { /* 4 to 7 left: two fours that may overlap */
    uint32_t a, b;
    memcpy(&a, s + i, 4);
    memcpy(&b, s + n - 4, 4);
    uint32_t ones = (uint32_t)ONES, highs = (uint32_t)HIGHS;
    if (!((a | b | (nul_allowed ? 0 : ((a - ones) & ~a) | ((b - ones) & ~b))) & highs))
      return true;
  }
  for (; i < n; i++)
    if ((uint8_t)(s[i] - 1) >= 0x7f) /* NUL or not ASCII */
      return utf8_ok_slow(s + i, n - i, nul_allowed);
  return true;
}

static bool valid_value(const uint8_t *p, const uint8_t *end, int depth);

/* A Value that is not a Struct or ListValue, checked without a call (always inline: GCC -O2
 * kept it one): 1 valid, 0 not, -1 a container (valid_value judges it). */
static inline __attribute__((always_inline)) int valid_scalar(const uint8_t *p,
                                                              const uint8_t *end) {
  if (p == end)
    return 1; /* no member: null */
  uint8_t k = *p++;
  uint64_t v;
  size_t n;
  double d;
  switch (k) {
  case K_NUMBER:
    if (end - p != 8)
      return 0;
    memcpy(&d, p, 8);
    return isfinite(d);
  case K_STRING: return read_length(&p, end, &n) && p + n == end && utf8_ok(p, n, true);
  case K_NULL:
  case K_BOOL: return read_varint(&p, end, &v) && p == end;
  case K_STRUCT:
  case K_LIST: return -1;
  default: return 0;
  }
}

/* Depths as struct_json.c counts them: a Value at d holds its Struct or ListValue at d + 1
 * and their Values at d + 2; a Value or Struct past the limit is refused there (a ListValue
 * itself is not, only its items). */
static bool valid_struct(const uint8_t *p, const uint8_t *end, int depth) {
  if (depth > BGI_JSON_WIRE_MAX_DEPTH)
    return false;
  bool deep = depth + 1 > BGI_JSON_WIRE_MAX_DEPTH; /* no member value can be valid */
  while (p < end) {
    size_t n;
    if (*p++ != K_FIELDS || !read_length(&p, end, &n))
      return false;
    const uint8_t *q = p, *entry_end = p + n;
    size_t kl = n >= 4 ? q[1] : 0;
    if (n >= 4 && q[0] == K_ENTRY_KEY && kl < 0x80 && kl + 4 <= n && q[2 + kl] == K_ENTRY_VALUE &&
        q[3 + kl] == n - 4 - kl) { /* key, then value, one-byte lengths: most entries */
      if (deep || !utf8_ok(q + 2, kl, false))
        return false;
      int ok = valid_scalar(q + 4 + kl, entry_end);
      if (!ok || (ok < 0 && !valid_value(q + 4 + kl, entry_end, depth + 1)))
        return false;
      p = entry_end;
      continue;
    }
    bool key = false, value = false;
    while (q < entry_end) {
      uint8_t k = *q++;
      size_t m;
      if ((k != K_ENTRY_KEY && k != K_ENTRY_VALUE) || !read_length(&q, entry_end, &m))
        return false;
      if (k == K_ENTRY_KEY) {
        if (key || !utf8_ok(q, m, false))
          return false;
        key = true;
      } else {
        if (value || deep)
          return false;
        int ok = valid_scalar(q, q + m);
        if (!ok || (ok < 0 && !valid_value(q, q + m, depth + 1)))
          return false;
        value = true;
      }
      q += m;
    }
    p = entry_end;
  }
  return true;
}

static bool valid_list(const uint8_t *p, const uint8_t *end, int depth) {
  if (p < end && depth + 1 > BGI_JSON_WIRE_MAX_DEPTH)
    return false; /* no item can be valid */
  while (p < end) {
    if (end - p >= 11 && p[0] == K_FIELDS && p[1] == 9 && p[2] == K_NUMBER) { /* most items */
      double d;
      memcpy(&d, p + 3, 8);
      if (!isfinite(d))
        return false;
      p += 11;
      continue;
    }
    size_t n;
    if (*p++ != K_FIELDS || !read_length(&p, end, &n))
      return false;
    int ok = valid_scalar(p, p + n);
    if (!ok || (ok < 0 && !valid_value(p, p + n, depth + 1)))
      return false;
    p += n;
  }
  return true;
}

static bool valid_value(const uint8_t *p, const uint8_t *end, int depth) {
  if (depth > BGI_JSON_WIRE_MAX_DEPTH)
    return false;
  int ok = valid_scalar(p, end);
  if (ok >= 0)
    return ok;
  uint8_t k = *p++;
  size_t n;
  if (!read_length(&p, end, &n) || p + n != end) /* one member only */
    return false;
  return k == K_STRUCT ? valid_struct(p, end, depth + 1) : valid_list(p, end, depth + 1);
}

bool bgi_json_wire_valid(const uint8_t *bytes, size_t size) {
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  (void)bytes, (void)size;
  return false;
#else
  return valid_value(bytes, bytes + size, 0);
#endif
}

/* ---- bytes -> text ---- */

typedef struct member {
  const uint8_t *key, *value;
  uint64_t head; /* the key's first 8 bytes, big-endian, zero-padded: most orders at once */
  size_t key_len, value_len;
  size_t seq; /* order on the wire: of equal keys the last wins */
} member;

typedef struct renderer {
  const bgi_json_wire *wire;
  const uint8_t *end; /* of the wire bytes */
  char *buf;
  size_t len, cap;
  bool failed;
  int indent, level;
  grow members;     /* member */
  size_t ints_next; /* is_integer's guess: the first of wire->ints past the last number seen */
} renderer;

/* Rendering failed: nothing more is written (a zero cap sends every reservation to
 * grow_text, which refuses once failed). */
static void render_fail(renderer *r) {
  r->failed = true;
  r->cap = 0;
}

static __attribute__((noinline)) bool grow_text(renderer *r, size_t n) {
  if (r->failed)
    return false;
  size_t cap = r->cap ? r->cap : 64;
  while (cap < r->len + n + 1)
    cap *= 2;
  char *grown = realloc(r->buf, cap);
  if (!grown) {
    render_fail(r);
    return false;
  }
  r->buf = grown;
  r->cap = cap;
  return true;
}

/* Room for n more bytes and the NUL; false once anything failed (render_fail). */
static inline bool reserve(renderer *r, size_t n) {
  return r->len + n + 1 <= r->cap || grow_text(r, n);
}

static inline void put(renderer *r, const void *s, size_t n) {
  if (!reserve(r, n))
    return;
  memcpy(r->buf + r->len, s, n);
  r->len += n;
}

static inline void put_char(renderer *r, char c) {
  if (reserve(r, 1))
    r->buf[r->len++] = c;
}

static inline void newline(renderer *r) {
  if (!r->indent)
    return;
  size_t n = (size_t)r->indent * (size_t)r->level;
  if (!reserve(r, n + 1))
    return;
  r->buf[r->len++] = '\n';
  memset(r->buf + r->len, ' ', n);
  r->len += n;
}

static const char hex_digits[] = "0123456789abcdef";

/* Bytes a string renders escaped: controls, '"' and '\\' (UTF-8's bytes pass as they are). */
#define C8 1, 1, 1, 1, 1, 1, 1, 1
static const bool escaped_bytes[256] = {C8, C8, C8, C8, ['"'] = 1, ['\\'] = 1};
#undef C8

/* true when one of the 8 bytes of w is a control, '"' or '\\' (exact as a whole: a borrow can
 * only follow a byte that matched). Bytes >= 0x80 never match. */
static inline bool swar_needs_escape(uint64_t w) {
  uint64_t quote = w ^ (ONES * '"'), backslash = w ^ (ONES * '\\');
  return (((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) |
          ((backslash - ONES) & ~backslash)) &
         HIGHS;
}

#ifdef __SSE2__
/* The bytes of v a string renders escaped (controls, '"', '\\'), one bit each: what
 * escaped_bytes says, sixteen at a time. */
static inline unsigned escape_mask16(__m128i v) {
  __m128i hit = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
      _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v));
  return (unsigned)_mm_movemask_epi8(hit);
}
#endif

static char *put_escape(char *o, unsigned c) {
  *o++ = '\\';
  switch (c) {
  case '"': *o++ = '"'; break;
  case '\\': *o++ = '\\'; break;
  case '\n': *o++ = 'n'; break;
  case '\r': *o++ = 'r'; break;
  case '\t': *o++ = 't'; break;
  case '\b': *o++ = 'b'; break;
  case '\f': *o++ = 'f'; break;
  default:
    memcpy(o, "u00", 3);
    o[3] = hex_digits[c >> 4];
    o[4] = hex_digits[c & 15];
    o += 5;
  }
  return o;
}

/* A string of at most 4 KiB: one reservation for the worst case (every byte \u00XX). With
 * SSE2, sixteen bytes at a time are copied and searched for bytes to escape (read up to the
 * end of the wire bytes, past the string: what lies beyond it is not used); else eight. */
static void put_short_string(renderer *r, const uint8_t *s, size_t n) {
  if (!reserve(r, 6 * n + 2 + 16))
    return;
  char *o = r->buf + r->len;
  *o++ = '"';
  size_t i = 0;
#ifdef __SSE2__
  while (i < n && r->end - (s + i) >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    _mm_storeu_si128((__m128i *)(void *)o, v);
    unsigned m = escape_mask16(v);
    size_t k = m ? (size_t)__builtin_ctz(m) : 16;
    if (k >= n - i) { /* nothing to escape in the rest */
      o += n - i;
      i = n;
      break;
    }
    o += k;
    i += k;
    if (k < 16)
      o = put_escape(o, s[i++]);
  }
#else
  for (uint64_t w; i + 8 <= n && (memcpy(&w, s + i, 8), !swar_needs_escape(w)); i += 8) {
    memcpy(o, &w, 8);
    o += 8;
  }
#endif
  for (; i < n; i++) {
    unsigned c = s[i];
    if (!escaped_bytes[c])
      *o++ = (char)c;
    else
      o = put_escape(o, c);
  }
  *o++ = '"';
  r->len = (size_t)(o - r->buf);
}

static __attribute__((noinline)) void put_long_string(renderer *r, const uint8_t *s, size_t n) {
  put_char(r, '"');
  for (size_t i = 0; i < n;) {
    size_t run = i;
    uint64_t w;
    while (i + 8 <= n && (memcpy(&w, s + i, 8), !swar_needs_escape(w)))
      i += 8;
    while (i < n && !escaped_bytes[s[i]])
      i++;
    if (i > run)
      put(r, s + run, i - run);
    if (i == n)
      break;
    char esc[8];
    put(r, esc, (size_t)(put_escape(esc, s[i++]) - esc));
  }
  put_char(r, '"');
}

/* A string: most are short (one call), and most of those (keys, labels) 1 to 16 bytes with
 * nothing to escape: one 16-byte load, test and store, without the call (read up to the end of
 * the wire bytes, as put_short_string; written within the room reserved, 18 bytes and the NUL). */
static inline void put_string(renderer *r, const uint8_t *s, size_t n) {
#ifdef __SSE2__
  if (n - 1 < 16 && r->end - s >= 16 && r->len + 19 <= r->cap) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    if (!(escape_mask16(v) & ((1u << n) - 1))) {
      char *o = r->buf + r->len;
      o[0] = '"';
      _mm_storeu_si128((__m128i *)(void *)(o + 1), v);
      o[1 + n] = '"';
      r->len += n + 2;
      return;
    }
  }
#endif
  if (n <= 4096)
    put_short_string(r, s, n);
  else
    put_long_string(r, s, n);
}

/* Whether the number at `offset` was an integer in the text. The walk meets numbers mostly in
 * ascending offsets (only members are reordered), so the first integer past the last one
 * asked about (r->ints_next) answers most questions; else a binary search does. */
static bool is_integer(renderer *r, size_t offset) {
  const size_t *ints = r->wire->ints;
  size_t n = r->wire->n_ints, next = r->ints_next;
  if ((next == n || ints[next] >= offset) && (next == 0 || ints[next - 1] < offset)) {
    bool found = next < n && ints[next] == offset;
    r->ints_next = next + found;
    return found;
  }
  size_t lo = 0, hi = n; /* the first at or past offset */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ints[mid] < offset)
      lo = mid + 1;
    else
      hi = mid;
  }
  bool found = lo < n && ints[lo] == offset;
  r->ints_next = lo + found;
  return found;
}

/* A number: inline in its list or member (most values), the common case without a call. */
static inline __attribute__((always_inline)) void put_number(renderer *r, const uint8_t *tag) {
  double d;
  memcpy(&d, tag + 1, 8);
  char buf[BGI_JSON_REAL_MAX];
  size_t offset = (size_t)(tag - r->wire->bytes);
  if (!r->wire->n_ints || !is_integer(r, offset)) {
    if (reserve(r, BGI_JSON_REAL_MAX)) {
      size_t n = bgi_json_format_plain_short(r->buf + r->len, d); /* most numbers, inline */
      r->len += n ? n : bgi_json_format_real_n(r->buf + r->len, d);
    }
    return;
  }
  /* an integer of the text, within +-2^53: its digits, as jansson printed them */
  char *end = buf + sizeof buf, *p = end;
  uint64_t m = (uint64_t)fabs(d);
  do
    *--p = (char)('0' + m % 10);
  while (m /= 10);
  if (d < 0)
    *--p = '-';
  put(r, p, (size_t)(end - p));
}

static void render_value(renderer *r, const uint8_t *p, const uint8_t *end);

/* An item of a list or the value of a member: numbers and short strings (most of them)
 * without the call render_value is, the rest by it. */
static inline void render_item(renderer *r, const uint8_t *p, const uint8_t *end) {
  size_t n = (size_t)(end - p);
  if (n == 9 && *p == K_NUMBER)
    put_number(r, p);
  else if (n >= 2 && *p == K_STRING && p[1] == n - 2) /* a one-byte length: below 128 */
    put_string(r, p + 2, n - 2);
  else
    render_value(r, p, end);
}

static void render_list(renderer *r, const uint8_t *p, const uint8_t *end) {
  put_char(r, '[');
  r->level++;
  bool any = false;
  while (p < end) {
    size_t n;
    if (*p++ != K_FIELDS || !read_length(&p, end, &n)) {
      render_fail(r);
      return;
    }
    if (any)
      put_char(r, ',');
    any = true;
    newline(r);
    render_item(r, p, p + n);
    p += n;
  }
  r->level--;
  if (any)
    newline(r);
  put_char(r, ']');
}

/* Heads that differ order their keys as memcmp then length does (at the first differing byte
 * either both keys have a byte, or the shorter one's padding 0 meets a byte above 0). */
static inline uint64_t key_head(const renderer *r, const uint8_t *key, size_t n) {
  uint64_t h = 0;
  if (!n)
    return 0; /* the key may be no_key, outside the wire bytes */
  if (n >= 8 || (size_t)(r->end - key) >= 8) {
    memcpy(&h, key, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    h = __builtin_bswap64(h); /* the first byte the most significant */
#endif
    if (n < 8)
      h &= ~(~UINT64_C(0) >> (8 * n));
  } else {
    for (size_t i = 0; i < n; i++)
      h |= (uint64_t)key[i] << (56 - 8 * i);
  }
  return h;
}

static inline int compare_members(const void *a, const void *b) {
  const member *x = a, *y = b;
  if (x->head != y->head)
    return x->head < y->head ? -1 : 1;
  size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = n ? memcmp(x->key, y->key, n) : 0;
  if (c)
    return c;
  if (x->key_len != y->key_len)
    return x->key_len < y->key_len ? -1 : 1;
  return (x->seq > y->seq) - (x->seq < y->seq);
}

static void render_struct(renderer *r, const uint8_t *p, const uint8_t *end) {
  static const uint8_t no_key[1];
  size_t base = r->members.used;
  for (size_t seq = 0; p < end; seq++) {
    size_t n;
    if (*p++ != K_FIELDS || !read_length(&p, end, &n) ||
        (r->members.used == r->members.cap && !grow_reserve(&r->members, 1, sizeof(member)))) {
      render_fail(r);
      return;
    }
    member m = {no_key, NULL, 0, 0, 0, seq};
    const uint8_t *q = p, *entry_end = p + n;
    size_t kl = n >= 4 ? q[1] : 0;
    if (n >= 4 && q[0] == K_ENTRY_KEY && kl < 0x80 && kl + 4 <= n && q[2 + kl] == K_ENTRY_VALUE &&
        q[3 + kl] == n - 4 - kl) { /* key, then value, one-byte lengths: most entries */
      m.key = q + 2;
      m.key_len = kl;
      m.value = q + 4 + kl;
      m.value_len = n - 4 - kl;
      q = entry_end;
    }
    while (q < entry_end) {
      uint8_t k = *q++;
      size_t len;
      if (!read_length(&q, entry_end, &len)) {
        render_fail(r);
        return;
      }
      if (k == K_ENTRY_KEY) {
        m.key = q;
        m.key_len = len;
      } else {
        m.value = q;
        m.value_len = len;
      }
      q += len;
    }
    m.head = key_head(r, m.key, m.key_len);
    ((member *)r->members.data)[r->members.used++] = m;
    p = entry_end;
  }
  size_t n = r->members.used - base;
  member *ms = (member *)r->members.data + base;
  /* keys whose heads rise strictly are in order and unique as they came (often so in text
   * written with sorted keys): no sort, no check for a repeated key. Unsorted keys mostly show
   * it at the first pairs. */
  size_t rising = 1;
  while (rising < n && ms[rising - 1].head < ms[rising].head)
    rising++;
  bool ascending = rising >= n;
  if (ascending) {
    /* already in order */
  } else if (n > 16) {
    qsort(ms, n, sizeof(member), compare_members);
  } else {
    for (size_t i = rising; i < n; i++) { /* insertion sort (mostly small objects) after the
                                             first members, already in order */
      member m = ms[i];
      size_t j = i;
      for (; j > 0 && compare_members(&ms[j - 1], &m) > 0; j--)
        ms[j] = ms[j - 1];
      ms[j] = m;
    }
  }
  put_char(r, '{');
  r->level++;
  bool any = false;
  for (size_t i = 0; i < n; i++) {
    /* index, not pointer: rendering a member's value may grow (move) the array */
    member m = ((member *)r->members.data)[base + i];
    if (!ascending && i + 1 < n) {
      const member *next = (member *)r->members.data + base + i + 1;
      if (next->head == m.head && next->key_len == m.key_len &&
          memcmp(next->key, m.key, m.key_len) == 0)
        continue; /* a later value for the same key replaces this one */
    }
    if (any)
      put_char(r, ',');
    any = true;
    newline(r);
    put_string(r, m.key, m.key_len);
    if (r->indent)
      put(r, ": ", 2);
    else
      put_char(r, ':');
    if (m.value)
      render_item(r, m.value, m.value + m.value_len);
    else
      put(r, "null", 4);
  }
  r->members.used = base;
  r->level--;
  if (any)
    newline(r);
  put_char(r, '}');
}

static void render_value(renderer *r, const uint8_t *p, const uint8_t *end) {
  if (r->failed)
    return;
  if (p == end) {
    put(r, "null", 4);
    return;
  }
  const uint8_t *tag = p++;
  uint64_t v;
  size_t n;
  switch (*tag) {
  case K_NULL: put(r, "null", 4); return;
  case K_BOOL:
    if (!read_varint(&p, end, &v))
      break;
    if (v)
      put(r, "true", 4);
    else
      put(r, "false", 5);
    return;
  case K_NUMBER:
    if (end - p < 8)
      break;
    put_number(r, tag);
    return;
  case K_STRING:
  case K_STRUCT:
  case K_LIST:
    if (!read_length(&p, end, &n))
      break;
    if (*tag == K_STRING)
      put_string(r, p, n);
    else if (*tag == K_STRUCT)
      render_struct(r, p, p + n);
    else
      render_list(r, p, p + n);
    return;
  default: break;
  }
  render_fail(r); /* not bytes of this module's making or checking */
}

char *bgi_json_render(const bgi_json_wire *wire, int indent) {
  member inline_members[32];
  renderer r = {
      .wire = wire,
      .end = wire->bytes + wire->size,
      .indent = indent,
      .members = {inline_members, 0, sizeof inline_members / sizeof *inline_members, false}};
  reserve(&r, wire->size + wire->size / 2 + 16); /* text is about as long as the bytes */
  render_value(&r, wire->bytes, wire->bytes + wire->size);
  grow_free(&r.members);
  if (r.failed) {
    free(r.buf);
    return NULL;
  }
  r.buf[r.len] = '\0';
  return r.buf;
}
