#include <stdlib.h>
#include <string.h>

#include "wire/arena.h"

/* Blocks grow geometrically, so a large request (a big JSON tree, a wide dataframe) costs a
 * handful of allocations, not one per node. */
struct bgi_arena_block {
  bgi_arena_block *next;
  size_t size, used;
  _Alignas(16) unsigned char data[];
};

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

void bgi_arena_init(bgi_arena *arena) {
  arena->head = NULL;
  arena->inline_used = 0;
}

void *bgi_arena_alloc(bgi_arena *arena, size_t size) {
  size = round16(size ? size : 1);
  if (size <= sizeof arena->inline_block - arena->inline_used) {
    void *p = arena->inline_block + arena->inline_used;
    arena->inline_used += size;
    memset(p, 0, size);
    return p;
  }
  bgi_arena_block *b = arena->head;
  if (!b || b->size - b->used < size) {
    size_t block = b ? b->size * 2 : 4096;
    if (block < size)
      block = size;
    b = malloc(sizeof *b + block);
    if (!b)
      return NULL;
    b->size = block;
    b->used = 0;
    b->next = arena->head;
    arena->head = b;
  }
  void *p = b->data + b->used;
  b->used += size;
  memset(p, 0, size);
  return p;
}

void bgi_arena_fini(bgi_arena *arena) {
  while (arena->head) {
    bgi_arena_block *next = arena->head->next;
    free(arena->head);
    arena->head = next;
  }
  arena->inline_used = 0;
}
