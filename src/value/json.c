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

#include "value/json_number.h"
#include "value/value_internal.h"

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
  size_t n = bgi_json_format_plain_short(buf, d);
  if (!n) {
    bgi_json_format_real(buf, BGI_JSON_REAL_MAX, d);
    n = strlen(buf);
  }
  return n;
}

void bgi_json_format_real(char *buf, size_t cap, double d) {
  if (cap >= BGI_JSON_REAL_MAX && bgi_json_format_plain_short(buf, d))
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
