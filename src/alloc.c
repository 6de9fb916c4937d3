/*
** alloc.c
** The host's allocators: its Lua state's, and the realloc it gives libuv
** (at the end). Every datagram makes short-lived objects (the message
** string, the rinfo table and its fields) that the collector frees in
** bursts; glibc's per-thread cache holds only a few blocks per size, so
** most frees took its slow path. Here blocks up to 2 kB (a datagram's
** string of up to ~2000 bytes included) come from per-size free lists
** that never shrink, which makes both allocation and release a few
** instructions. Larger blocks go to malloc. Under the sanitizers every
** block goes to malloc, so that ASan and valgrind see each one.
*/

#include <stddef.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "ludp.h"

#define CLASS_SIZE 16 /* sizes are rounded to this */
#define SMALL_MAX 2048
#define NCLASSES (SMALL_MAX / CLASS_SIZE)
#define CHUNK_BYTES (64 * 1024) /* refills come in chunks */

/* A free block; the max_align_t member only gives blocks its alignment. */
typedef union block {
  union block *next;
  max_align_t align; /* cppcheck-suppress unusedStructMember */
} block;

static block *free_list[NCLASSES + 1];
static char *bump,
  *bump_end; /* new blocks of every class, one after the other */

#if defined(__SANITIZE_ADDRESS__)
#define LUDP_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LUDP_POOL 0
#endif
#endif
#ifndef LUDP_POOL
#define LUDP_POOL 1
#endif

/* Under valgrind too every block goes to malloc, so that memcheck sees
** each one (decided once, when the state is made). */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif
static int use_pool = LUDP_POOL;

static size_t class_of (size_t size) {
  return (size + CLASS_SIZE - 1) / CLASS_SIZE;
}

/* Takes a block of class 'c' from its free list, else a fresh one from
** the chunk all classes share, by bumping a pointer: a page is touched
** only when a block on it is first used, and no class holds a page of
** its own half empty. Chunks are never freed: they hold the program's
** peak of small objects. */
static void *small_alloc (size_t size) {
  size_t c = class_of(size), bsize = c * CLASS_SIZE;
  block *b = free_list[c];
  char *p;
  if (b != NULL) {
    free_list[c] = b->next;
    return b;
  }
  if (bump == NULL || (size_t)(bump_end - bump) < bsize) {
    char *chunk = malloc(CHUNK_BYTES); /* the old one's tail is lost */
    if (chunk == NULL) return NULL;
    bump = chunk;
    bump_end = chunk + CHUNK_BYTES;
  }
  p = bump;
  bump += bsize;
  return p;
}

static void small_free (void *p, size_t size) {
  block *b = p;
  size_t c = class_of(size);
  b->next = free_list[c];
  free_list[c] = b;
}

/* A block changes size: in place when its class stays, else moved. */
static void *pool_realloc (void *ptr, size_t osize, size_t nsize) {
  void *n;
  if (osize > SMALL_MAX && nsize > SMALL_MAX) return realloc(ptr, nsize);
  if (nsize <= SMALL_MAX && class_of(osize) == class_of(nsize))
    return ptr; /* same block fits */
  n = nsize <= SMALL_MAX ? small_alloc(nsize) : malloc(nsize);
  if (n == NULL) return NULL;
  memcpy(n, ptr, osize < nsize ? osize : nsize);
  if (osize <= SMALL_MAX)
    small_free(ptr, osize);
  else
    free(ptr);
  return n;
}

/* lua_Alloc: osize is the block's size when ptr is not NULL. New and
** freed small blocks, what every datagram asks, are tested first. */
static void *ludp_alloc (void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (!use_pool) {
    if (nsize == 0) {
      free(ptr);
      return NULL;
    }
    return realloc(ptr, nsize);
  }
  if (ptr == NULL) {
    if (nsize == 0) return NULL;
    return nsize <= SMALL_MAX ? small_alloc(nsize) : malloc(nsize);
  }
  if (nsize == 0) {
    if (osize <= SMALL_MAX)
      small_free(ptr, osize);
    else
      free(ptr);
    return NULL;
  }
  return pool_realloc(ptr, osize, nsize);
}

static int panic (lua_State *L) {
  const char *msg = lua_tostring(L, -1);
  fprintf(stderr, "ludp: unprotected error: %s\n", msg ? msg : "?");
  return 0; /* Lua then aborts */
}

lua_State *ludp_newstate (void) {
  lua_State *L;
  if (RUNNING_ON_VALGRIND) use_pool = 0;
  L = lua_newstate(ludp_alloc, NULL);
  if (L != NULL) lua_atpanic(L, panic);
  return L;
}


/* ---------------------------------------------------------------- libuv */

/*
** libuv aborts the process when it cannot grow a loop's array of
** watchers (a realloc in uv__io_start), and making the loop is the first
** thing to grow it; its other allocations that fail give ENOMEM. So the
** host gives libuv a realloc that, the first time the system refuses,
** hands over a reserve block taken when the host started (libuv frees it
** as any other). Making the loop then fails with ENOMEM or works, and
** does not abort.
*/
#define RESERVE_BYTES 4096 /* the watchers of 500 descriptors */
static void *reserve;

static void *uv_realloc_reserve (void *ptr, size_t size) {
  void *p = realloc(ptr, size); /* a refused one leaves ptr as it was */
  size_t old;
  if (p != NULL || size == 0 || size > RESERVE_BYTES || reserve == NULL)
    return p;
  p = reserve;
  reserve = NULL;
  if (ptr != NULL) {
    old = malloc_usable_size(ptr);
    memcpy(p, ptr, old < size ? old : size);
    free(ptr);
  }
  return p;
}

void ludp_uv_allocator (void) {
  reserve = malloc(RESERVE_BYTES); /* without it, libuv's own way */
  uv_replace_allocator(malloc, uv_realloc_reserve, calloc, free);
}
