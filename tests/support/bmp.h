/* A tiny 24-bit BMP encoder for tests that send images. */
#ifndef BG_TEST_BMP_H
#define BG_TEST_BMP_H

#include <stddef.h>
#include <stdint.h>

/* Writes a w x h BMP whose pixel (x, y) has colour (r, g, b) = seed + (x, y, x + y) into
 * `out` (at least bg_test_bmp_size(w, h) bytes); returns the size. */
size_t bg_test_bmp_size(int w, int h);
size_t bg_test_bmp(int w, int h, uint8_t seed, uint8_t *out);

#endif
