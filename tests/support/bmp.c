#include <string.h>

#include "bmp.h"

static void le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static size_t row_size(int w) { return ((size_t)w * 3 + 3) & ~(size_t)3; }

size_t bgt_bmp_size(int w, int h) { return 54 + row_size(w) * (size_t)h; }

size_t bgt_bmp(int w, int h, uint8_t seed, uint8_t *out) {
  size_t size = bgt_bmp_size(w, h);
  memset(out, 0, size);
  out[0] = 'B';
  out[1] = 'M';
  le32(out + 2, (uint32_t)size);
  le32(out + 10, 54); /* pixel data offset */
  le32(out + 14, 40); /* BITMAPINFOHEADER */
  le32(out + 18, (uint32_t)w);
  le32(out + 22, (uint32_t)h); /* bottom-up rows */
  out[26] = 1;                 /* planes */
  out[28] = 24;                /* bits per pixel */
  le32(out + 34, (uint32_t)(size - 54));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t *px = out + 54 + row_size(w) * (size_t)(h - 1 - y) + (size_t)x * 3;
      px[0] = (uint8_t)(seed + x + y); /* blue */
      px[1] = (uint8_t)(seed + y);     /* green */
      px[2] = (uint8_t)(seed + x);     /* red */
    }
  return size;
}
