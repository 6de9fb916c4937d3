/*
** alloc.c
** The host's allocators: its Lua state's, and the realloc it gives libuv
** (at the end). Every datagram makes short-lived objects (the message
** string, the rinfo table and its fields) that the collector frees in
** bursts; glibc's per-thread cache holds only a few blocks per size, so
** most frees took its slow path. Here blocks up to 2 kB (a datagram's
** string of up to ~2000 bytes included) come from per-size free lists,
** which makes both allocation and release a few instructions. Larger
** blocks go to malloc. Under the sanitizers every block goes to malloc,
** so that ASan and valgrind see each one; built with LUDP_MIMALLOC,
** malloc is mimalloc's and every block goes to it.
**
** The free lists do not shrink as blocks are freed: after a burst (a
** large table, thousands of sockets) they would hold its peak for ever.
** collectgarbage() (a full collection, "collect") therefore ends with
** ludp_alloc_trim: the chunks whose blocks are all free go back to
** malloc, and malloc gives its free pages back to the system.
*/

#include <stddef.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#if defined(LUDP_MIMALLOC)
#include <mimalloc.h>
#endif

#include "ludp.h"

#define CLASS_SIZE 16 /* sizes are rounded to this */
#define SMALL_MAX 2048
#define NCLASSES (SMALL_MAX / CLASS_SIZE)
#define CHUNK_BYTES (64 * 1024) /* refills come in chunks */
#define TRIM_MIN (1024 * 1024)  /* free bytes in the lists worth a trim */

/* A free block; the max_align_t member only gives blocks its alignment. */
typedef union block {
  union block *next;
  max_align_t align; /* cppcheck-suppress unusedStructMember */
} block;

static block *free_list[NCLASSES + 1];
static char *bump,
  *bump_end; /* new blocks of every class, one after the other */

/* Every chunk, for the trim: its bytes handed out (a chunk left for a new
** one loses its tail), and during a trim the bytes of it that are free. */
typedef struct {
  char *base;
  size_t used, free;
} chunk_info;
static chunk_info *chunks;
static size_t nchunks, chunks_cap;
static size_t cur = (size_t)-1; /* the chunk bump is in, if any */

#if defined(LUDP_MIMALLOC) /* malloc is mimalloc's: it does all of this */
#define LUDP_POOL 0
#elif defined(__SANITIZE_ADDRESS__)
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

/* Starts a new chunk; 0 when there is no memory for it. */
static int new_chunk (void) {
  char *chunk;
  if (nchunks == chunks_cap) {
    size_t cap = chunks_cap ? 2 * chunks_cap : 64;
    chunk_info *grown = realloc(chunks, cap * sizeof *chunks);
    if (grown == NULL) return 0;
    chunks = grown;
    chunks_cap = cap;
  }
  chunk = malloc(CHUNK_BYTES);
  if (chunk == NULL) return 0;
  if (cur < nchunks) /* the old one's tail is lost */
    chunks[cur].used = (size_t)(bump - chunks[cur].base);
  cur = nchunks++;
  chunks[cur].base = chunk;
  chunks[cur].used = CHUNK_BYTES;
  bump = chunk;
  bump_end = chunk + CHUNK_BYTES;
  return 1;
}

/* Takes a block of class 'c' from its free list, else a fresh one from
** the chunk all classes share, by bumping a pointer: a page is touched
** only when a block on it is first used, and no class holds a page of
** its own half empty. */
static void *small_alloc (size_t size) {
  size_t c = class_of(size), bsize = c * CLASS_SIZE;
  block *b = free_list[c];
  char *p;
  if (b != NULL) {
    free_list[c] = b->next;
    return b;
  }
  if ((bump == NULL || (size_t)(bump_end - bump) < bsize) && !new_chunk())
    return NULL;
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

/* ------------------------------------------------------------------ trim */

static int by_base (const void *a, const void *b) {
  const char *x = ((const chunk_info *)a)->base;
  const char *y = ((const chunk_info *)b)->base;
  return (x > y) - (x < y);
}

/* The chunk of pool block 'p' (chunks sorted by base). */
static chunk_info *chunk_of (const void *p) {
  size_t lo = 0, hi = nchunks;
  while (hi - lo > 1) { /* the last base at or below p */
    size_t mid = lo + (hi - lo) / 2;
    if ((const char *)p >= chunks[mid].base)
      lo = mid;
    else
      hi = mid;
  }
  return &chunks[lo];
}

/* Gives the chunks whose blocks are all free back to malloc: their
** blocks leave the free lists. Only when the lists hold TRIM_MIN or more,
** so that a script that collects often does not pay for it. */
static void pool_trim (void) {
  size_t c, i, kept = 0, free_bytes = 0;
  const char *cur_base;
  block *b, **link;
  for (c = 1; c <= NCLASSES; c++)
    for (b = free_list[c]; b != NULL; b = b->next)
      free_bytes += c * CLASS_SIZE;
  if (free_bytes < TRIM_MIN || nchunks == 0) return;
  cur_base = NULL;
  if (cur < nchunks) {
    chunks[cur].used = (size_t)(bump - chunks[cur].base);
    cur_base = chunks[cur].base;
  }
  qsort(chunks, nchunks, sizeof *chunks, by_base);
  for (i = 0; i < nchunks; i++)
    chunks[i].free = 0;
  for (c = 1; c <= NCLASSES; c++)
    for (b = free_list[c]; b != NULL; b = b->next)
      chunk_of(b)->free += c * CLASS_SIZE;
  for (c = 1; c <= NCLASSES; c++)
    for (link = &free_list[c]; (b = *link) != NULL;) {
      const chunk_info *k = chunk_of(b);
      if (k->free == k->used)
        *link = b->next; /* its chunk goes */
      else
        link = &b->next;
    }
  cur = (size_t)-1;
  for (i = 0; i < nchunks; i++) {
    if (chunks[i].free == chunks[i].used) {
      if (chunks[i].base == cur_base) bump = bump_end = NULL;
      free(chunks[i].base);
      continue;
    }
    if (chunks[i].base == cur_base) cur = kept;
    chunks[kept++] = chunks[i];
  }
  nchunks = kept;
}

void ludp_alloc_trim (void) {
  if (use_pool) pool_trim();
#if defined(LUDP_MIMALLOC)
  mi_collect(1);
#elif defined(__GLIBC__)
  malloc_trim(0);
#endif
}

/*
** collectgarbage: Lua's own, and after a full collection ("collect", the
** default) the trim. Its arguments are checked here as Lua checks them,
** so that an error names collectgarbage, as Lua's own would.
*/
static int collect_and_trim (lua_State *L) {
  static const char *const opts[] = {"stop",        "restart",   "collect",
                                     "count",       "step",      "setpause",
                                     "setstepmul",  "isrunning", "generational",
                                     "incremental", NULL};
  static const int nargs[] = {0, 0, 0, 0, 1, 1, 1, 0, 2, 3};
  int o = luaL_checkoption(L, 1, "collect", opts), k, n = lua_gettop(L);
  for (k = 2; k <= 1 + nargs[o]; k++)
    (void)luaL_optinteger(L, k, 0);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, n, LUA_MULTRET);
  if (strcmp(opts[o], "collect") == 0) ludp_alloc_trim();
  return lua_gettop(L);
}

void ludp_alloc_open (lua_State *L) {
  lua_getglobal(L, "collectgarbage");
  lua_pushcclosure(L, collect_and_trim, 1);
  lua_setglobal(L, "collectgarbage");
}


/* ----------------------------------------------------------------- state */

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
