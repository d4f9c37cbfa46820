#include <stdlib.h>
#include <string.h>

#include "wire/arena.h"

struct bg_arena_block {
  bg_arena_block *next;
  _Alignas(16) unsigned char data[];
};

static size_t round16(size_t n) { return (n + 15) & ~(size_t)15; }

void bg_arena_init(bg_arena *arena) {
  arena->head = NULL;
  arena->inline_used = 0;
}

void *bg_arena_alloc(bg_arena *arena, size_t size) {
  size = round16(size ? size : 1);
  if (size <= sizeof arena->inline_block - arena->inline_used) {
    void *p = arena->inline_block + arena->inline_used;
    arena->inline_used += size;
    memset(p, 0, size);
    return p;
  }
  /* Larger or later allocations get a block each; requests hold few of them. */
  bg_arena_block *block = calloc(1, sizeof *block + size);
  if (!block)
    return NULL;
  block->next = arena->head;
  arena->head = block;
  return block->data;
}

void bg_arena_release(bg_arena *arena) {
  while (arena->head) {
    bg_arena_block *next = arena->head->next;
    free(arena->head);
    arena->head = next;
  }
  arena->inline_used = 0;
}
