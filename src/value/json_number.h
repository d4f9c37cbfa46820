/* The common case of printing a JSON number (value/json.c, bgi_json_format_real), inline: the
 * renderer of JSON values (wire/json_transcode.c) prints most numbers through it without a
 * call. */
#ifndef BGI_VALUE_JSON_NUMBER_H
#define BGI_VALUE_JSON_NUMBER_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static const double bgi_json_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                        1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

static const char bgi_json_digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930"
    "31323334353637383940414243444546474849505152535455565758596061"
    "62636465666768697071727374757677787980818283848586878889909192"
    "93949596979899";

/* The common case without printf or strtod: |d| in [1e-4, 1e15) (the plain layout) with at
 * most 15 significant digits. For q = 0, 1, ... fraction digits, m = round(|d| * 10^q) is the
 * only integer that can read back as |d| (any that does lies within |d| * 10^q * 2^-53 < 0.12
 * of the exact product, and the computed product within as much again), and m / 10^q, both
 * exact (m < 10^15 < 2^53, q <= 18 < 23), is one correctly rounded division: exactly what strtod
 * makes of the decimal. So the first q that reads back gives the shortest digits, which below
 * 16 significant digits are unique (see below): the same text as the general path. false when
 * the general path must decide (more digits, other magnitudes, 0, or a host whose double
 * arithmetic is not plain IEEE binary64). */
static inline size_t bgi_json_format_plain_short(char *buf, double d) {
#if FLT_EVAL_METHOD != 0
  (void)buf, (void)d;
  return 0;
#else
  double a = fabs(d);
  if (!(a >= 1e-4 && a < 1e15))
    return 0;
  /* q = 0 (an integral value) without the division: (double)(int64_t)a == a exactly when a is
   * an integer, which is when round(a) / 1 == a */
  int q = 0;
  int64_t whole = (int64_t)a;
  if ((double)whole != a) {
    for (q = 1;; q++) {
      if (q == (int)(sizeof bgi_json_pow10 / sizeof *bgi_json_pow10))
        return 0;
      double x = a * bgi_json_pow10[q];
      if (x >= 1e15)
        return 0; /* 16 or more significant digits */
      /* the nearest integer when one can read back; x + 0.5 < 2^63, so the signed conversions
       * (one instruction each way) give what unsigned ones would */
      double m = (double)(int64_t)(x + 0.5);
      if (m / bgi_json_pow10[q] == a) {
        whole = (int64_t)m;
        break;
      }
    }
  }
  uint64_t v = (uint64_t)whole;
  char *p = buf; /* BGI_JSON_REAL_MAX bytes: 16 copied at p stay within them */
  if (d < 0)
    *p++ = '-';
  if (v < 100 && q <= 2) {
    /* one or two digits, at most two after the point (most numbers people write: 7, 0.25,
     * 5.1): their pair ("07" for 7) placed directly. v >= 1 (|d| >= 1e-4 reads back). */
    const char *pair = bgi_json_digit_pairs + 2 * v;
    if (q == 0) { /* "7.0", "42.0" */
      if (v >= 10)
        *p++ = pair[0];
      *p = pair[1];
      memcpy(p + 1, ".0", 3);
      return (size_t)(p + 3 - buf);
    }
    if (q == 1) { /* "0.5", "5.1" (7.0 is q = 0) */
      p[0] = pair[0];
      p[1] = '.';
      p[2] = pair[1];
      p[3] = '\0';
      return (size_t)(p + 3 - buf);
    }
    memcpy(p, "0.", 2); /* "0.05", "0.25" */
    memcpy(p + 2, pair, 2);
    p[4] = '\0';
    return (size_t)(p + 4 - buf);
  }
  /* m's n digits (at most 15), two at a time from the right, end at digits + 16; the 16
   * bytes from any of them can be copied at once (fixed-size copies, no call) */
  char digits[32];
  memset(digits + 16, 0, 16); /* copied past the digits, never used */
  char *t = digits + 16;
  for (; v >= 100; v /= 100)
    memcpy(t -= 2, bgi_json_digit_pairs + 2 * (v % 100), 2);
  if (v >= 10)
    memcpy(t -= 2, bgi_json_digit_pairs + 2 * v, 2);
  else
    *--t = (char)('0' + v);
  int n = (int)(digits + 16 - t);
  if (n <= q) { /* 0.00ddd */
    *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < q - n; i++)
      *p++ = '0';
    memcpy(p, t, 16);
    p += n;
  } else {
    memcpy(p, t, 16);
    p += n - q;
    *p++ = '.';
    if (!q) {
      *p++ = '0';
    } else {
      memcpy(p, t + n - q, 16);
      p += q;
    }
  }
  *p = '\0';
  return (size_t)(p - buf);
#endif
}

#endif
