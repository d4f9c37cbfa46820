/* A tiny 24-bit BMP encoder for tests that send images. */
#ifndef BGT_BMP_H
#define BGT_BMP_H

#include <stddef.h>
#include <stdint.h>

/* Writes a w x h BMP whose pixel (x, y) has colour (r, g, b) = seed + (x, y, x + y) into
 * `out` (at least bgt_bmp_size(w, h) bytes); returns the size. */
size_t bgt_bmp_size(int w, int h);
size_t bgt_bmp(int w, int h, uint8_t seed, uint8_t *out);

#endif
