/* JSON numbers as text: the shortest digits that read back as the same double. (JSON values
 * themselves are held as wire bytes: wire/json_value.c, wire/json_transcode.c.) */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value/value_internal.h"

static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                     1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

/* The common case without printf or strtod: |d| in [1e-4, 1e15) (the plain layout) with at
 * most 15 significant digits. For q = 0, 1, ... fraction digits, m = round(|d| * 10^q) is the
 * only integer that can read back as |d| (any that does lies within |d| * 10^q * 2^-53 < 0.12
 * of the exact product, and the computed product within as much again), and m / 10^q, both
 * exact (m < 10^15 < 2^53, q <= 18 < 23), is one correctly rounded division: exactly what strtod
 * makes of the decimal. So the first q that reads back gives the shortest digits, which below
 * 16 significant digits are unique (see below): the same text as the general path. false when
 * the general path must decide (more digits, other magnitudes, 0, or a host whose double
 * arithmetic is not plain IEEE binary64). */
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
                                  "31323334353637383940414243444546474849505152535455565758596061"
                                  "62636465666768697071727374757677787980818283848586878889909192"
                                  "93949596979899";

static size_t format_plain_short(char *buf, double d) {
#if FLT_EVAL_METHOD != 0
  (void)buf, (void)d;
  return 0;
#else
  double a = fabs(d);
  if (!(a >= 1e-4 && a < 1e15))
    return 0;
  for (int q = 0; q < (int)(sizeof exact_pow10 / sizeof *exact_pow10); q++) {
    double x = a * exact_pow10[q];
    if (x >= 1e15)
      return 0; /* 16 or more significant digits */
    /* the nearest integer when one can read back; x + 0.5 < 2^63, so the signed conversions
     * (one instruction each way) give what unsigned ones would */
    double m = (double)(int64_t)(x + 0.5);
    if (m / exact_pow10[q] != a)
      continue;
    /* m's n digits (at most 15), two at a time from the right, end at digits + 16; the 16
     * bytes from any of them can be copied at once (fixed-size copies, no call) */
    char digits[32];
    memset(digits + 16, 0, 16); /* copied past the digits, never used */
    char *t = digits + 16;
    uint64_t v = (uint64_t)(int64_t)m;
    for (; v >= 100; v /= 100)
      memcpy(t -= 2, digit_pairs + 2 * (v % 100), 2);
    if (v >= 10)
      memcpy(t -= 2, digit_pairs + 2 * v, 2);
    else
      *--t = (char)('0' + v);
    int n = (int)(digits + 16 - t);
    char *p = buf; /* BGI_JSON_REAL_MAX bytes: 16 copied at p stay within them */
    if (d < 0)
      *p++ = '-';
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
  }
  return 0;
#endif
}

/* The "C" locale for printing numbers: JSON wants '.', whatever locale the application set
 * (uselocale() changes only this thread, and only for the duration). */
static locale_t c_numeric;
static pthread_once_t c_numeric_once = PTHREAD_ONCE_INIT;
static void make_c_numeric(void) { c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

/* Writes d as the fewest significant digits that read back as the same double, laid out the
 * way a person (and Python's repr) writes it: plain digits for exponents -4..15 ("10.0",
 * "0.001", "1234567.0"), else scientific ("1e+16", "1.5e-05"). Integral values keep a ".0"
 * so they still read as numbers of the wire's double kind. */
size_t bgi_json_format_real_n(char *buf, double d) {
  size_t n = format_plain_short(buf, d);
  if (!n) {
    bgi_json_format_real(buf, BGI_JSON_REAL_MAX, d);
    n = strlen(buf);
  }
  return n;
}

void bgi_json_format_real(char *buf, size_t cap, double d) {
  if (cap >= BGI_JSON_REAL_MAX && format_plain_short(buf, d))
    return;
  if (!isfinite(d)) { /* JSON values never hold these (check() refuses them) */
    snprintf(buf, cap, "%s", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    return;
  }
  char sci[40];
  pthread_once(&c_numeric_once, make_c_numeric);
  locale_t previous = c_numeric ? uselocale(c_numeric) : (locale_t)0;
  /* The shortest digits that read back as d, in at most three tries instead of up to
   * seventeen: if any decimal of k <= 15 significant digits reads back as d, it is d rounded to
   * 15 digits (15-digit decimals lie over four doubles apart, so the one within half a double of
   * d is the nearest), i.e. what %.14e prints, shortest once its trailing zeros go (below).
   * Otherwise 16 digits, or 17, which always do. Subnormals have fewer bits, so doubles lie
   * further apart than 15-digit decimals there: they try every count. */
  for (int precision = fabs(d) < DBL_MIN ? 0 : 14; precision <= 16; precision++) {
    snprintf(sci, sizeof sci, "%.*e", precision, d);
    if (strtod(sci, NULL) == d)
      break;
  }
  if (previous)
    uselocale(previous);
  /* sci is "[-]D[.DDD]e(+|-)XX": split it into sign, digits and decimal exponent. */
  const char *p = sci;
  bool negative = *p == '-';
  if (negative)
    p++;
  char digits[24];
  int n = 0;
  for (; *p != 'e'; p++)
    if (*p != '.')
      digits[n++] = *p;
  int exponent = atoi(p + 1);
  while (n > 1 && digits[n - 1] == '0')
    n--;
  char text[64];
  int len = 0;
  if (negative)
    text[len++] = '-';
  if (exponent < -4 || exponent >= 16) {
    text[len++] = digits[0];
    if (n > 1) {
      text[len++] = '.';
      memcpy(text + len, digits + 1, (size_t)n - 1);
      len += n - 1;
    }
    len += snprintf(text + len, sizeof text - (size_t)len, "e%c%02d", exponent < 0 ? '-' : '+',
                    abs(exponent));
  } else if (exponent >= 0) {
    for (int i = 0; i <= exponent; i++)
      text[len++] = i < n ? digits[i] : '0';
    text[len++] = '.';
    if (n > exponent + 1) {
      memcpy(text + len, digits + exponent + 1, (size_t)(n - exponent - 1));
      len += n - exponent - 1;
    } else {
      text[len++] = '0';
    }
    text[len] = '\0';
  } else {
    text[len++] = '0';
    text[len++] = '.';
    for (int i = 0; i < -exponent - 1; i++)
      text[len++] = '0';
    memcpy(text + len, digits, (size_t)n);
    len += n;
    text[len] = '\0';
  }
  snprintf(buf, cap, "%s", text);
}
