/* A scratch arena for building one request message: many small allocations, one free. */
#ifndef BG_WIRE_ARENA_H
#define BG_WIRE_ARENA_H

#include <stddef.h>

typedef struct bg_arena_block bg_arena_block;

typedef struct bg_arena {
  bg_arena_block *head;
  /* The first block lives inline so a small request needs no allocation at all. */
  _Alignas(16) unsigned char inline_block[512];
  size_t inline_used;
} bg_arena;

void bg_arena_init(bg_arena *arena);
/* Zeroed, 16-byte aligned memory valid until bg_arena_release(); NULL when out of memory. */
void *bg_arena_alloc(bg_arena *arena, size_t size);
void bg_arena_release(bg_arena *arena);

#endif
