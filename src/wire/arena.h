/* A scratch arena for building one request message: many small allocations, one free. */
#ifndef BGI_WIRE_ARENA_H
#define BGI_WIRE_ARENA_H

#include <stddef.h>

typedef struct bgi_arena_block bgi_arena_block;

typedef struct bgi_arena {
  bgi_arena_block *head;
  /* The first block lives inline so a small request needs no allocation at all. */
  _Alignas(16) unsigned char inline_block[512];
  size_t inline_used;
} bgi_arena;

void bgi_arena_init(bgi_arena *arena);
/* Zeroed, 16-byte aligned memory valid until bgi_arena_fini(); NULL when out of memory. */
void *bgi_arena_alloc(bgi_arena *arena, size_t size);
void bgi_arena_fini(bgi_arena *arena);

#endif
