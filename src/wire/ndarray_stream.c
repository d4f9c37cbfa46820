#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "error_internal.h"
#include "wire/ndarray_stream.h"
#include "wire/pb_raw.h"

/* A cursor over the slices of an uncompressed raw byte buffer. */
typedef struct reader {
  const grpc_slice *slices;
  size_t n_slices, slice, offset; /* position: slices[slice] at offset */
  size_t left;                    /* bytes left in the whole message */
} reader;

static bool read_byte(reader *r, uint8_t *b) {
  while (r->slice < r->n_slices && r->offset == GRPC_SLICE_LENGTH(r->slices[r->slice])) {
    r->slice++;
    r->offset = 0;
  }
  if (r->left == 0 || r->slice == r->n_slices)
    return false;
  *b = GRPC_SLICE_START_PTR(r->slices[r->slice])[r->offset++];
  r->left--;
  return true;
}

static bool read_varint(reader *r, uint64_t *v) {
  bgi_pb_varint acc = {0};
  for (;;) {
    uint8_t b;
    if (!read_byte(r, &b))
      return false;
    int done = bgi_pb_varint_push(&acc, b);
    if (done) {
      *v = acc.value;
      return done > 0;
    }
  }
}

/* Copies (or, with dst NULL, skips) n bytes, slice by slice. */
static bool read_bytes(reader *r, uint8_t *dst, size_t n) {
  if (n > r->left)
    return false;
  while (n > 0) {
    if (r->slice == r->n_slices)
      return false;
    size_t avail = GRPC_SLICE_LENGTH(r->slices[r->slice]) - r->offset;
    size_t take = avail < n ? avail : n;
    if (dst) {
      memcpy(dst, GRPC_SLICE_START_PTR(r->slices[r->slice]) + r->offset, take);
      dst += take;
    }
    r->offset += take;
    r->left -= take;
    n -= take;
    if (r->offset == GRPC_SLICE_LENGTH(r->slices[r->slice])) {
      r->slice++;
      r->offset = 0;
    }
  }
  return true;
}

typedef struct parsed {
  uint64_t dtype;
  int64_t shape[BG_NDARRAY_MAX_DIMS];
  size_t ndim;
  bg_dtype values_dtype; /* FLOAT or DOUBLE once the values field was seen */
  void *values;
  size_t count;
  bool in_caller_buffer; /* values == the caller's bgi_out_buffer: borrowed, never freed */
} parsed;

/* Large arrays go on 2 MiB-aligned memory the kernel may back with huge pages: a fresh
 * 64 MiB array otherwise costs ~16K page faults, more than the copy into it. */
#define HUGE_PAGE      (2u << 20)
#define HUGE_ARRAY_MIN (4u << 20)

static void *alloc_values(size_t n) {
  if (n < HUGE_ARRAY_MIN)
    return malloc(n ? n : 1); /* malloc alignment suits float and double */
  void *p = NULL;
  if (posix_memalign(&p, HUGE_PAGE, (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1)) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  madvise(p, n, MADV_HUGEPAGE); /* advice only: without THP it changes nothing */
#endif
  return p; /* released with free() like any other value buffer */
}

static void drop_values(parsed *p) {
  if (!p->in_caller_buffer)
    free(p->values);
  p->values = NULL;
}

static bg_status malformed(bg_error *err) {
  return bgi_fail(err, BG_ERR_PROTOCOL, 0,
                  "the server's ndarray reply is not valid protobuf (truncated or corrupt)");
}

/* Parses the NDArray body (`len` bytes). Returns BG_ERR_UNSUPPORTED for anything but the
 * fields the fast path handles, each at most once. */
static bg_status parse_ndarray(reader *r, uint64_t len, const bgi_out_buffer *into, parsed *p,
                               bg_error *err) {
  size_t end = r->left - len;
  while (r->left > end) {
    uint64_t tag, n, v;
    if (!read_varint(r, &tag))
      return malformed(err);
    unsigned field = (unsigned)(tag >> 3), wire = (unsigned)(tag & 7);
    if (field == BGI_PB_NDARRAY_DTYPE && wire == BGI_PB_VARINT) {
      if (!read_varint(r, &p->dtype))
        return malformed(err);
    } else if (field == BGI_PB_NDARRAY_SHAPE && wire == BGI_PB_LEN && p->ndim == 0) { /* packed */
      if (!read_varint(r, &n) || n > r->left)
        return malformed(err);
      size_t shape_end = r->left - n;
      while (r->left > shape_end) {
        if (p->ndim == BG_NDARRAY_MAX_DIMS || !read_varint(r, &v))
          return BG_ERR_UNSUPPORTED;
        if (r->left < shape_end) /* a varint running past the field */
          return malformed(err);
        p->shape[p->ndim++] = (int32_t)v; /* int32 on the wire; negative caught later */
      }
    } else if ((field == BGI_PB_NDARRAY_FLOAT_VALUES || field == BGI_PB_NDARRAY_DOUBLE_VALUES) &&
               wire == BGI_PB_LEN && !p->values) {
      size_t width = field == BGI_PB_NDARRAY_FLOAT_VALUES ? sizeof(float) : sizeof(double);
      if (!read_varint(r, &n) || n > r->left || n % width != 0)
        return bgi_fail(err, BG_ERR_PROTOCOL, 0, "ndarray in reply: a values field is cut short");
      if (into && into->data && n <= into->capacity) { /* no fresh pages to fault in */
        p->values = into->data;
        p->in_caller_buffer = true;
      } else if (!(p->values = alloc_values(n))) {
        return BGI_FAIL_NOMEM(err);
      }
      if (!read_bytes(r, p->values, n))
        return malformed(err);
      p->values_dtype = field == BGI_PB_NDARRAY_FLOAT_VALUES ? BG_DTYPE_FLOAT : BG_DTYPE_DOUBLE;
      p->count = n / width;
    } else {
      return BG_ERR_UNSUPPORTED;
    }
  }
  return r->left == end ? BG_OK : malformed(err);
}

bg_status bgi_ndarray_stream_decode(grpc_byte_buffer *buffer, const bgi_out_buffer *into,
                                    bg_value **out, bg_error *err) {
  *out = NULL;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (buffer->type != GRPC_BB_RAW || buffer->data.raw.compression != GRPC_COMPRESS_NONE)
    return BG_ERR_UNSUPPORTED;
  const grpc_slice_buffer *sb = &buffer->data.raw.slice_buffer;
  reader r = {.slices = sb->slices, .n_slices = sb->count, .left = sb->length};
  uint64_t tag, len;
  /* Response{ndarray = 1}: exactly one field, nothing after it. */
  if (!read_varint(&r, &tag) || tag != BGI_PB_TAG(BGI_PB_RESPONSE_NDARRAY, BGI_PB_LEN) ||
      !read_varint(&r, &len) || len != r.left)
    return BG_ERR_UNSUPPORTED;
  parsed p = {0};
  bg_status st = parse_ndarray(&r, len, into, &p, err);
  bool dtype_matches = p.values && (p.dtype == 0 || p.dtype == (uint64_t)p.values_dtype);
  if (st != BG_OK || !dtype_matches) {
    drop_values(&p);
    return st == BG_OK ? BG_ERR_UNSUPPORTED : st; /* e.g. dtype says int64: protobuf-c decides */
  }
  /* PROTOCOL.md §4.1 step 4: an empty shape means 1-D of all the values, as BentoML
   * reads it (it reshapes only to a non-empty shape). A 0-d value is sent that way
   * (empty shape, one value), so its echo comes back as shape [1]. */
  if (p.ndim == 0) {
    p.shape[0] = (int64_t)p.count;
    p.ndim = 1;
  }
  st = bgi_ndarray_check(p.values_dtype, p.shape, p.ndim, p.values, p.count, err);
  if (st != BG_OK) {
    drop_values(&p);
    err->code = BG_ERR_PROTOCOL;
    bgi_error_prefix(err, "ndarray in the server's reply is inconsistent");
    return BG_ERR_PROTOCOL;
  }
  *out = p.in_caller_buffer /* the caller's memory stays the caller's */
             ? bgi_array_borrow(BG_VALUE_NDARRAY, p.values_dtype, p.shape, p.ndim, p.values,
                                p.count, err)
             : bgi_ndarray_adopt(p.values_dtype, p.shape, p.ndim, p.values, p.count, false, err);
  return *out ? BG_OK : BG_ERR_NO_MEMORY;
#else
  (void)buffer;
  (void)into;
  (void)out;
  (void)err;
  return BG_ERR_UNSUPPORTED; /* the wire is little-endian: copy-free reinterpretation only here */
#endif
}
