/* Response{dataframe} and Response{series} read straight from gRPC's slices, without
 * protobuf-c: each column's elements are copied once into one block per column (numbers as
 * they are on a little-endian host, bools one byte each, strings NUL-terminated one after the
 * other behind the column's pointer array), and a string column is checked for UTF-8 in one
 * pass over its block.
 *
 * Two passes. The first walks the whole message: it checks the wire format as protobuf-c
 * would (any doubt: BG_ERR_UNSUPPORTED, and protobuf-c decides), skips unknown fields, and
 * counts each column's elements per values field, packed and unpacked occurrences alike. Only
 * then are the columns built, with the tree-based decoder's checks and messages (mixed
 * fields, names, NUL bytes, UTF-8), so that a reply is refused for the same reason whichever
 * decoder reads it. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "error_internal.h"
#include "wire/byte_buffer.h"
#include "wire/pb_raw.h"
#include "wire/tabular_wire.h"

typedef enum { SCAN_OK, SCAN_UNSUPPORTED, SCAN_NO_MEMORY } scan_result;

/* ---- a cursor over the slices ---- */

typedef struct cursor {
  const uint8_t *p, *end; /* the unread bytes of the current slice */
  const grpc_slice *slices;
  size_t n_slices, next; /* the slice after the current one */
  size_t left;           /* unread bytes of the message, from p on */
} cursor;

/* Moves to the next slice with bytes in it; false at the end of the message. */
static bool refill(cursor *c) {
  while (c->p == c->end) {
    if (c->next == c->n_slices)
      return false;
    c->p = GRPC_SLICE_START_PTR(c->slices[c->next]);
    c->end = c->p + GRPC_SLICE_LENGTH(c->slices[c->next]);
    c->next++;
  }
  return true;
}

/* read_varint past the end of the current slice, or of more than one byte. */
static bool read_varint_slow(cursor *c, unsigned max, uint64_t *v) {
  uint64_t value = 0;
  for (unsigned i = 0, shift = 0; i < max; i++, shift += 7) {
    if (c->p == c->end && !refill(c))
      return false;
    uint8_t b = *c->p++;
    c->left--;
    value |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = value;
      return true;
    }
  }
  return false;
}

/* A varint of at most `max` bytes (protobuf-c: 5 for keys and lengths, 10 for values). */
static inline bool read_varint(cursor *c, unsigned max, uint64_t *v) {
  if (c->p < c->end && *c->p < 0x80) { /* most keys and lengths: one byte */
    *v = *c->p++;
    c->left--;
    return true;
  }
  return read_varint_slow(c, max, v);
}

/* read_bytes across slices. */
static void read_bytes_slow(cursor *c, uint8_t *dst, size_t n) {
  c->left -= n;
  while (n > 0) {
    if (!refill(c)) /* never: n was checked against the bytes left */
      return;
    size_t take = (size_t)(c->end - c->p) < n ? (size_t)(c->end - c->p) : n;
    if (dst) {
      memcpy(dst, c->p, take);
      dst += take;
    }
    c->p += take;
    n -= take;
  }
}

/* Copies (dst NULL: skips) n bytes; the caller has checked n <= c->left. */
static inline void read_bytes(cursor *c, uint8_t *dst, size_t n) {
  if ((size_t)(c->end - c->p) < n) {
    read_bytes_slow(c, dst, n);
    return;
  }
  if (dst)
    memcpy(dst, c->p, n);
  c->p += n;
  c->left -= n;
}

/* ---- pass 1: the wire format, and what each column holds ---- */

/* A string field's key (one byte), and the bytes a string column's block has past its last
 * string, so that a short string is copied as a fixed 16 bytes. */
enum { STRING_KEY = BGI_PB_TAG(BGI_PB_SERIES_STRING_VALUES, BGI_PB_LEN), STRING_SLACK = 16 };

/* A column's strings, copied and checked by pass 1 as it walks them (a second walk cost as
 * much as the copy): each NUL-terminated, back to back in `text`, which the Series' own length
 * bounds (a string of n bytes takes at least n + 2 on the wire) plus STRING_SLACK. */
typedef struct string_copy {
  char *text, *next; /* the block; where the next string goes */
  char **starts;     /* each string's first byte */
  size_t cap;        /* room in `starts` */
  bool refused;      /* a string failed the check (check_strings words why) */
} string_copy;

typedef struct column_scan {
  cursor at;                   /* its first byte */
  size_t end;                  /* `left` at its end */
  size_t len;                  /* its bytes */
  size_t n[BGI_SERIES_FIELDS]; /* elements per values field */
  size_t string_bytes;         /* bytes of all its strings */
  string_copy str;             /* its strings (owned until build_series takes them) */
} column_scan;

static void column_scan_free(column_scan *s) {
  free(s->str.text);
  free(s->str.starts);
  s->str.text = NULL;
  s->str.starts = NULL;
}

typedef struct name_scan {
  cursor at;
  size_t len;
} name_scan;

typedef struct frame_scan {
  column_scan *columns;
  size_t n_columns, cap_columns;
  name_scan *names;
  size_t n_names, cap_names;
} frame_scan;

static bool grow(void **array, size_t *cap, size_t n, size_t size) {
  if (n < *cap)
    return true;
  size_t cap2 = *cap ? *cap * 2 : 8;
  void *a = realloc(*array, cap2 * size);
  if (!a)
    return false;
  *array = a;
  *cap = cap2;
  return true;
}

/* Bytes left before `end` (a `left` value); 0 once a key or length has run past it. */
static inline size_t room(const cursor *c, size_t end) { return c->left > end ? c->left - end : 0; }

/* A key: field number >= 1 and a wire type protobuf-c reads. */
static inline bool read_key(cursor *c, unsigned *field, unsigned *wire) {
  uint64_t key;
  if (!read_varint(c, 5, &key) || key >> 32 || (key >> 3) == 0)
    return false;
  *field = (unsigned)(key >> 3);
  *wire = (unsigned)(key & 7);
  return true;
}

/* A length prefix that fits before `end` (as protobuf-c: at most 5 bytes, at most INT_MAX). */
static inline bool read_length(cursor *c, size_t end, size_t *len) {
  uint64_t n;
  if (!read_varint(c, 5, &n) || n > INT_MAX || n > room(c, end))
    return false;
  *len = (size_t)n;
  return true;
}

/* Skips an unknown field's value. */
static bool skip_value(cursor *c, unsigned wire, size_t end) {
  uint64_t v;
  size_t n;
  switch (wire) {
  case BGI_PB_VARINT: return read_varint(c, 10, &v);
  case BGI_PB_I64:
  case BGI_PB_I32:
    n = wire == BGI_PB_I64 ? 8 : 4;
    if (room(c, end) < n)
      return false;
    read_bytes(c, NULL, n);
    return true;
  case BGI_PB_LEN:
    if (!read_length(c, end, &n))
      return false;
    read_bytes(c, NULL, n);
    return true;
  default: return false; /* groups, or no wire type at all */
  }
}

/* Counts the varints of a packed field of n bytes: each ends with a byte below 0x80 and takes
 * at most 10 bytes (protobuf-c refuses the message otherwise). Eight bytes at a time: the
 * terminators are the bytes without their high bit (a popcount); a run of continuation bytes
 * is the one at a word's end (high zero bytes of the mask) carried into the next word's start. */
static bool count_varints(cursor *c, size_t n, size_t *count) {
  const uint64_t highs = 0x8080808080808080u;
  size_t run = 0, found = 0;
  c->left -= n;
  while (n > 0) {
    if (!refill(c)) /* never: n was checked against the bytes left */
      return false;
    size_t take = (size_t)(c->end - c->p) < n ? (size_t)(c->end - c->p) : n;
    size_t i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; take - i >= 8; i += 8) {
      uint64_t w;
      memcpy(&w, c->p + i, 8);
      uint64_t ends = ~w & highs; /* 0x80 where a varint ends */
      if (!ends) {
        if ((run += 8) >= 10)
          return false;
        continue;
      }
      if (run + (size_t)__builtin_ctzll(ends) / 8 >= 10)
        return false;
      found += (size_t)(((ends >> 7) * 0x0101010101010101u) >> 56); /* sum of the 0/1 bytes */
      run = (size_t)__builtin_clzll(ends) / 8; /* continuation bytes after the last end */
    }
#endif
    for (; i < take; i++) {
      if (c->p[i] & 0x80) {
        if (++run == 10)
          return false;
      } else {
        run = 0;
        found++;
      }
    }
    c->p += take;
    n -= take;
  }
  *count += found;
  return run == 0;
}

static bool varint_field(unsigned field) {
  return field == BGI_PB_SERIES_BOOL_VALUES || field == BGI_PB_SERIES_INT32_VALUES ||
         field == BGI_PB_SERIES_INT64_VALUES;
}

static size_t fixed_width(unsigned field) {
  return field == BGI_PB_SERIES_FLOAT_VALUES ? 4 : field == BGI_PB_SERIES_DOUBLE_VALUES ? 8 : 0;
}

/* Room for string start k (and the text block, from the first string on); false when memory
 * runs out. Called when k reaches the room there is. The starts double from 8 (sized up front
 * from the first string, they saved the reallocs' copies, ~0.03 M instructions for df10k, but
 * cost ~12 more page faults per call, which take more CPU than that). */
static bool __attribute__((noinline)) string_room(column_scan *s, size_t k) {
  if (k < s->str.cap)
    return true;
  if (!s->str.text) { /* the first string: the block, sized by the Series */
    if (s->len > SIZE_MAX - STRING_SLACK || !(s->str.text = malloc(s->len + STRING_SLACK)))
      return false;
    s->str.next = s->str.text;
  }
  return grow((void **)&s->str.starts, &s->str.cap, k, sizeof *s->str.starts);
}

/* One Series of `len` bytes at c: its wire format checked, its elements counted, its strings
 * copied and checked. */
static scan_result scan_series(cursor *c, size_t len, column_scan *s) {
  memset(s, 0, sizeof *s);
  s->at = *c;
  s->end = c->left - len;
  s->len = len;
  while (c->left > s->end) {
    /* a run of short strings within the slice and the Series, copied at once */
    const uint8_t *p = c->p, *q = p;
    size_t avail = (size_t)(c->end - p), limit = room(c, s->end);
    const uint8_t *max = p + (limit < avail ? limit : avail);
    size_t k = s->n[BGI_PB_SERIES_STRING_VALUES];
    bool refused = false;
    if (max - p >= 2 && p[0] == STRING_KEY && k == s->str.cap && !string_room(s, k))
      return SCAN_NO_MEMORY; /* the text block, with the first string; or more starts */
    char *text = s->str.next;
#ifdef __SSE2__
    /* strings of up to 16 bytes that start at least 18 bytes before the end of the Series in
     * this slice (`max`: so the key, the length and a fixed 16-byte move all fit, and the block
     * has room for the move), as many as `starts` has room for (a string takes at least 2
     * bytes): their NULs and high bits at hand for the check */
    const __m128i zeros = _mm_setzero_si128();
    while (max - q >= 18 && k < s->str.cap) {
      const uint8_t *last = max - 18, *end18 = last;
      size_t fit = s->str.cap - k; /* starts q..q + 2 * (fit - 1) fit */
      if ((size_t)(last - q) / 2 >= fit)
        last = q + 2 * (fit - 1);
      char **starts = s->str.starts;
      size_t n16;
      while (q <= last && q[0] == STRING_KEY && (n16 = q[1]) <= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(q + 2));
        _mm_storeu_si128((__m128i *)(void *)text, v);
        unsigned mask = (1u << n16) - 1;
        unsigned zero = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zeros));
        unsigned high = (unsigned)_mm_movemask_epi8(v);
        if ((zero | high) & mask) /* not all ASCII without NUL: the full check */
          refused |= (zero & mask) || !bgi_utf8_valid_high(text, high & mask);
        starts[k++] = text;
        text[n16] = '\0';
        text += n16 + 1;
        q += 2 + n16;
      }
      if (q <= last || last == end18) /* a string this loop does not take, or the end */
        break;
      if (k == s->str.cap && !string_room(s, k))
        return SCAN_NO_MEMORY;
    }
#endif
    /* the strings the loop above does not take (longer, or near the end), or all of them */
    while (max - q >= 2 && q[0] == STRING_KEY && q[1] < 0x80 && q[1] <= (size_t)(max - q) - 2) {
      size_t n = q[1];
#ifdef __SSE2__
      if (n <= 16 && max - q >= 18 && q != p)
        break; /* the loop above's, next turn */
#endif
      if (k == s->str.cap && !string_room(s, k))
        return SCAN_NO_MEMORY;
      memcpy(text, q + 2, n);
      refused |= !bgi_utf8_valid_string(text, n);
      s->str.starts[k++] = text;
      text[n] = '\0';
      text += n + 1;
      q += 2 + n;
    }
    if (q != p) {
      size_t strings = k - s->n[BGI_PB_SERIES_STRING_VALUES];
      s->n[BGI_PB_SERIES_STRING_VALUES] = k;
      s->string_bytes += (size_t)(q - p) - 2 * strings; /* all but the keys and lengths */
      s->str.next = text;
      s->str.refused |= refused;
      c->left -= (size_t)(q - p);
      c->p = q;
      continue;
    }
    unsigned field, wire;
    size_t n;
    if (!read_key(c, &field, &wire))
      return SCAN_UNSUPPORTED;
    if (varint_field(field)) {
      uint64_t v;
      if (wire == BGI_PB_VARINT) {
        if (!read_varint(c, 10, &v))
          return SCAN_UNSUPPORTED;
        s->n[field]++;
      } else if (wire != BGI_PB_LEN || !read_length(c, s->end, &n) ||
                 !count_varints(c, n, &s->n[field])) {
        return SCAN_UNSUPPORTED;
      }
    } else if (fixed_width(field)) {
      size_t width = fixed_width(field);
      if (wire == BGI_PB_LEN) {
        if (!read_length(c, s->end, &n) || n % width != 0)
          return SCAN_UNSUPPORTED;
        s->n[field] += n / width;
      } else if (wire == (width == 4 ? BGI_PB_I32 : BGI_PB_I64) && room(c, s->end) >= width) {
        n = width;
        s->n[field]++;
      } else {
        return SCAN_UNSUPPORTED;
      }
      read_bytes(c, NULL, n);
    } else if (field == BGI_PB_SERIES_STRING_VALUES) { /* long, or across slices */
      if (wire != BGI_PB_LEN || !read_length(c, s->end, &n))
        return SCAN_UNSUPPORTED;
      if (k == s->str.cap && !string_room(s, k))
        return SCAN_NO_MEMORY;
      text = s->str.next;
      read_bytes(c, (uint8_t *)text, n);
      s->str.refused |= !bgi_utf8_valid_string(text, n);
      s->str.starts[k] = text;
      text[n] = '\0';
      s->str.next = text + n + 1;
      s->n[field]++;
      s->string_bytes += n;
    } else if (!skip_value(c, wire, s->end)) {
      return SCAN_UNSUPPORTED;
    }
    if (c->left < s->end) /* a value running past the Series */
      return SCAN_UNSUPPORTED;
  }
  return SCAN_OK;
}

static scan_result scan_dataframe(cursor *c, size_t len, frame_scan *f) {
  size_t end = c->left - len;
  while (c->left > end) {
    unsigned field, wire;
    size_t n;
    if (!read_key(c, &field, &wire))
      return SCAN_UNSUPPORTED;
    if (field == BGI_PB_DATAFRAME_COLUMN_NAMES || field == BGI_PB_DATAFRAME_COLUMNS) {
      if (wire != BGI_PB_LEN || !read_length(c, end, &n))
        return SCAN_UNSUPPORTED;
      if (field == BGI_PB_DATAFRAME_COLUMN_NAMES) {
        if (!grow((void **)&f->names, &f->cap_names, f->n_names, sizeof *f->names))
          return SCAN_NO_MEMORY;
        f->names[f->n_names++] = (name_scan){*c, n};
        read_bytes(c, NULL, n);
      } else {
        if (!grow((void **)&f->columns, &f->cap_columns, f->n_columns, sizeof *f->columns))
          return SCAN_NO_MEMORY;
        scan_result r = scan_series(c, n, &f->columns[f->n_columns++]);
        if (r != SCAN_OK)
          return r;
      }
    } else if (!skip_value(c, wire, end)) {
      return SCAN_UNSUPPORTED;
    }
    if (c->left < end)
      return SCAN_UNSUPPORTED;
  }
  return SCAN_OK;
}

/* ---- pass 2: a column's value ---- */

/* The whole varints from p on while 10 bytes remain before `stop`, into out64 or out32
 * (the other NULL: a constant in each inlined copy, so the loop tests neither): one, two and
 * three bytes without a loop. Returns where it stopped. */
static inline __attribute__((always_inline)) const uint8_t *
whole_varints(const uint8_t *p, const uint8_t *stop, int64_t *out64, int32_t *out32, size_t *k) {
  size_t i = *k;
  while (stop - p >= 10) {
    uint64_t v = p[0];
    if (v < 0x80) {
      p++;
    } else if (p[1] < 0x80) {
      v = (v & 0x7f) | (uint64_t)p[1] << 7;
      p += 2;
    } else if (p[2] < 0x80) {
      v = (v & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7 | (uint64_t)p[2] << 14;
      p += 3;
    } else {
      v = (v & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7;
      unsigned at = 14;
      const uint8_t *q = p + 2;
      for (; *q & 0x80; q++, at += 7)
        v |= (uint64_t)(*q & 0x7f) << at;
      v |= (uint64_t)(*q & 0x7f) << at;
      p = q + 1;
    }
    if (out32)
      out32[i++] = (int32_t)(uint32_t)v;
    else
      out64[i++] = (int64_t)v;
  }
  *k = i;
  return p;
}

/* Decodes the varints of a packed field of n bytes into out[*k...] (checked by pass 1). A bool
 * is true when any of its value bits is set, as protobuf-c reads it (even bits past 64). */
static void read_packed_varints(cursor *c, size_t n, unsigned field, void *out, size_t *k) {
  uint64_t acc = 0, any = 0;
  unsigned shift = 0;
  size_t i = *k;
  c->left -= n;
  while (n > 0) {
    if (!refill(c)) /* never: n was checked against the bytes left */
      return;
    size_t take = (size_t)(c->end - c->p) < n ? (size_t)(c->end - c->p) : n;
    const uint8_t *p = c->p, *stop = p + take;
    if (field == BGI_PB_SERIES_BOOL_VALUES) {
      bool *b = out;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      /* eight one-byte varints at once (no byte with its high bit set): each is true when
       * not zero */
      const uint64_t highs = 0x8080808080808080u, low7 = 0x7f7f7f7f7f7f7f7fu;
      while (any == 0 && stop - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        if (w & highs)
          break;
        uint64_t ones = ((w + low7) & highs) >> 7; /* 1 where a byte is not zero */
        memcpy(b + i, &ones, 8);
        i += 8;
        p += 8;
      }
#endif
      for (; p < stop; p++) {
        any |= *p & 0x7f;
        if (!(*p & 0x80)) {
          b[i++] = any != 0;
          any = 0;
        }
      }
    } else {
      /* whole varints while one of 10 bytes surely fits (pass 1 checked each ends within 10
       * bytes), with no varint begun in an earlier slice */
      if (shift == 0) {
        if (field == BGI_PB_SERIES_INT32_VALUES)
          p = whole_varints(p, stop, NULL, (int32_t *)out, &i);
        else
          p = whole_varints(p, stop, (int64_t *)out, NULL, &i);
      }
      for (; p < stop; p++) {
        acc |= (uint64_t)(*p & 0x7f) << shift;
        shift += 7;
        if (!(*p & 0x80)) {
          if (field == BGI_PB_SERIES_INT32_VALUES)
            ((int32_t *)out)[i++] = (int32_t)(uint32_t)acc;
          else
            ((int64_t *)out)[i++] = (int64_t)acc;
          acc = 0;
          shift = 0;
        }
      }
    }
    c->p = stop;
    n -= take;
  }
  *k = i;
}

/* One unpacked varint value (wire type VARINT). */
static void read_one_varint(cursor *c, unsigned field, void *out, size_t *k) {
  uint64_t any = 0, acc = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (!refill(c)) /* never: pass 1 read this varint */
      return;
    uint8_t b = *c->p++;
    c->left--;
    any |= b & 0x7f;
    acc |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      break;
  }
  if (field == BGI_PB_SERIES_BOOL_VALUES)
    ((bool *)out)[(*k)++] = any != 0;
  else if (field == BGI_PB_SERIES_INT32_VALUES)
    ((int32_t *)out)[(*k)++] = (int32_t)(uint32_t)acc;
  else
    ((int64_t *)out)[(*k)++] = (int64_t)acc;
}

/* The strings of a column are in one block: `count` pointers, then the strings. The tree-based
 * decoder's checks, in its order, when the block's one-pass check fails. */
static bg_status check_strings(char **strings, size_t count, const char *block_end, bg_error *err) {
  const char *block = count ? strings[0] : block_end;
  if (bgi_utf8_valid_strings(block, (size_t)(block_end - block), count))
    return BG_OK;
  int64_t shape[1] = {(int64_t)count};
  bg_status st = bgi_ndarray_check(BG_DTYPE_STRING, shape, 1, strings, count, err);
  if (st != BG_OK)
    return st;
  for (size_t i = 0; i < count; i++) {
    const char *next = i + 1 < count ? strings[i + 1] : block_end;
    if (strlen(strings[i]) != (size_t)(next - strings[i]) - 1)
      return bgi_wire_string_nul_error(i, err);
  }
  return bgi_fail(err, BG_ERR_PROTOCOL, 0, "the strings in the server's reply are not UTF-8");
}

/* The column's value (bgi_series_from_proto's rules and messages). */
/* A string column from the strings pass 1 copied (its pointer array and text block taken,
 * `count` > 0). */
static bg_status build_strings(column_scan *s, size_t count, bg_value **out, bg_error *err) {
  char **strings = s->str.starts;
  char *block_end = s->str.next;
  if (s->str.refused) {
    bg_status st = check_strings(strings, count, block_end, err);
    if (st != BG_OK) {
      bgi_error_prefix(err, "a Series in the reply");
      return bgi_as_protocol(err, st);
    }
  }
  char *text = s->str.text;
  s->str.starts = NULL; /* the value's now, or freed by bgi_series_adopt */
  s->str.text = NULL;
  /* owns_strings false: the strings live in the text block, freed with it */
  *out = bgi_series_adopt(BG_DTYPE_STRING, strings, count, false, err);
  if (!*out) {
    free(text);
    return BG_ERR_NO_MEMORY;
  }
  (*out)->as.ndarray.owned_text = text;
  (*out)->as.ndarray.string_block = (size_t)(block_end - text); /* bg_series_string_block() */
  return BG_OK;
}

/* The column's value (bgi_series_from_proto's rules and messages). */
static bg_status build_series(column_scan *s, bg_dtype empty_dtype, bg_value **out, bg_error *err) {
  *out = NULL;
  unsigned field = 0;
  size_t non_empty = 0;
  for (unsigned f = 1; f < BGI_SERIES_FIELDS; f++)
    if (s->n[f] > 0) {
      field = f;
      non_empty++;
    }
  if (non_empty > 1)
    return bgi_series_mixed_error(non_empty, err);
  bg_dtype dtype = field ? bgi_series_dtype_of(field) : empty_dtype;
  size_t count = field ? s->n[field] : 0;
  if (dtype == BG_DTYPE_STRING && count > 0)
    return build_strings(s, count, out, err);
  size_t width = bg_dtype_size(dtype);
  if (width == 0 || count > SIZE_MAX / width)
    return BGI_FAIL_NOMEM(err);
  uint8_t *block = malloc(count ? count * width : 1);
  if (!block)
    return BGI_FAIL_NOMEM(err);
  cursor c = s->at;
  size_t k = 0;
  while (field && c.left > s->end) { /* checked by pass 1: every read fits */
    unsigned f = 0, wire = 0;
    size_t n = 0;
    read_key(&c, &f, &wire);
    if (f != field) {
      skip_value(&c, wire, s->end);
    } else if (wire == BGI_PB_LEN && fixed_width(field)) { /* packed float or double */
      read_length(&c, s->end, &n);
      read_bytes(&c, block + k * width, n);
      k += n / width;
    } else if (wire == BGI_PB_LEN) { /* packed varints */
      read_length(&c, s->end, &n);
      read_packed_varints(&c, n, field, block, &k);
    } else if (fixed_width(field)) {
      read_bytes(&c, block + k * width, width);
      k++;
    } else {
      read_one_varint(&c, field, block, &k);
    }
  }
  *out = bgi_series_adopt(dtype, block, count, false, err);
  return *out ? BG_OK : BG_ERR_NO_MEMORY;
}

/* ---- the reply ---- */

static bg_status build_dataframe(frame_scan *f, bg_value **out, bg_error *err) {
  if (f->n_names != f->n_columns)
    return bgi_frame_names_error(f->n_names, f->n_columns, err);
  size_t longest = 0;
  for (size_t i = 0; i < f->n_names; i++)
    longest = f->names[i].len > longest ? f->names[i].len : longest;
  char *name = malloc(longest + 1);
  if (!name)
    return BGI_FAIL_NOMEM(err);
  for (size_t i = 0; i < f->n_names; i++) {
    cursor c = f->names[i].at;
    read_bytes(&c, (uint8_t *)name, f->names[i].len);
    if (memchr(name, '\0', f->names[i].len)) {
      free(name);
      return bgi_frame_name_nul_error(i, err);
    }
  }
  bg_value *df = bg_dataframe_new(err);
  bg_status st = df ? BG_OK : BG_ERR_NO_MEMORY;
  for (size_t i = 0; st == BG_OK && i < f->n_columns; i++) {
    cursor c = f->names[i].at;
    read_bytes(&c, (uint8_t *)name, f->names[i].len);
    name[f->names[i].len] = '\0';
    bg_value *column;
    st = build_series(&f->columns[i], BG_DTYPE_DOUBLE, &column, err);
    if (st == BG_OK)
      st = bg_dataframe_add_column(df, name, column, err);
    if (st != BG_OK) {
      bgi_error_prefix(err, "DataFrame column %zu ('%s') in the reply", i, name);
      st = bgi_as_protocol(err, st);
    }
  }
  free(name);
  if (st != BG_OK) {
    bg_value_free(df);
    return st;
  }
  *out = df;
  return BG_OK;
}

bg_status bgi_tabular_reply_decode(grpc_byte_buffer *buffer, bgi_member member,
                                   bg_dtype empty_dtype, bg_value **out, bg_error *err) {
  *out = NULL;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if ((member != BGI_MEMBER_DATAFRAME && member != BGI_MEMBER_SERIES) ||
      buffer->type != GRPC_BB_RAW || buffer->data.raw.compression != GRPC_COMPRESS_NONE)
    return BG_ERR_UNSUPPORTED;
  const grpc_slice_buffer *sb = &buffer->data.raw.slice_buffer;
  cursor c = {.slices = sb->slices, .n_slices = sb->count, .left = sb->length};
  /* Response{<member>}: that one field, once, and nothing else */
  unsigned field =
      member == BGI_MEMBER_DATAFRAME ? BGI_PB_RESPONSE_DATAFRAME : BGI_PB_RESPONSE_SERIES;
  unsigned f, wire;
  size_t len;
  if (!read_key(&c, &f, &wire) || f != field || wire != BGI_PB_LEN || !read_length(&c, 0, &len) ||
      len != c.left)
    return BG_ERR_UNSUPPORTED;
  if (member == BGI_MEMBER_SERIES) {
    column_scan s;
    scan_result r = scan_series(&c, len, &s);
    bg_status st = r == SCAN_OK          ? build_series(&s, empty_dtype, out, err)
                   : r == SCAN_NO_MEMORY ? BGI_FAIL_NOMEM(err)
                                         : BG_ERR_UNSUPPORTED;
    column_scan_free(&s);
    return st;
  }
  frame_scan scan = {0};
  scan_result r = scan_dataframe(&c, len, &scan);
  bg_status st = r == SCAN_OK          ? build_dataframe(&scan, out, err)
                 : r == SCAN_NO_MEMORY ? BGI_FAIL_NOMEM(err)
                                       : BG_ERR_UNSUPPORTED;
  for (size_t i = 0; i < scan.n_columns; i++)
    column_scan_free(&scan.columns[i]);
  free(scan.names);
  free(scan.columns);
  return st;
#else
  (void)buffer;
  (void)member;
  (void)empty_dtype;
  (void)out;
  (void)err;
  return BG_ERR_UNSUPPORTED; /* the wire is little-endian: copy-free reinterpretation only here */
#endif
}
