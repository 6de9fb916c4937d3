/*
** failmalloc.c
** An LD_PRELOAD shim that makes malloc, calloc and realloc fail, for
** spec/reliability_startup_spec.lua (which builds it): with FAILMALLOC_AT
** = N the N-th call fails (counted from the first call made after the
** shim's constructor ran), with FAILMALLOC_ALL set every call from the
** N-th on fails too. FAILMALLOC_COUNT=path writes the number of calls
** made to that file at exit. Not a test of its own: cmake/tests.cmake
** registers tests/c/test_*.c only.
**
** The calls go on to the next definition (libc's, or the sanitizer's in
** the ASan build, which must then run with verify_asan_link_order=0).
** dlsym may allocate before that definition is known: those calls get
** memory from a static arena, never freed.
*/

#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);

static long fail_at, calls;
static int fail_all, armed, resolving;

static _Alignas(max_align_t) char arena[16384];
static size_t arena_used;

static void *from_arena (size_t size) {
  size_t n = (size + 15) & ~(size_t)15;
  void *p;
  if (n > sizeof(arena) - arena_used) return NULL;
  p = arena + arena_used;
  arena_used += n;
  memset(p, 0, n);
  return p;
}

static int in_arena (const void *p) {
  return (const char *)p >= arena && (const char *)p < arena + sizeof(arena);
}

static void resolve (void) {
  if (next_free != NULL || resolving) return;
  resolving = 1;
  next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
  next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
  next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
  next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
  resolving = 0;
}

__attribute__((constructor)) static void start (void) {
  const char *at = getenv("FAILMALLOC_AT");
  resolve();
  fail_at = at != NULL ? atol(at) : 0;
  fail_all = getenv("FAILMALLOC_ALL") != NULL;
  armed = 1;
}

__attribute__((destructor)) static void finish (void) {
  const char *path = getenv("FAILMALLOC_COUNT");
  char line[32];
  int fd, n;
  if (path == NULL) return;
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return;
  n = snprintf(line, sizeof(line), "%ld\n", calls);
  if (write(fd, line, (size_t)n) != n) n = 0;
  close(fd);
}

/* Whether this call fails. */
static int refused (void) {
  if (!armed) return 0;
  calls++;
  return fail_at > 0 && (calls == fail_at || (fail_all && calls > fail_at));
}

void *malloc (size_t size) {
  resolve();
  if (next_malloc == NULL) return from_arena(size);
  return refused() ? NULL : next_malloc(size);
}

void *calloc (size_t count, size_t size) {
  resolve();
  if (next_calloc == NULL)
    return size != 0 && count > (size_t)-1 / size ? NULL
                                                  : from_arena(count * size);
  return refused() ? NULL : next_calloc(count, size);
}

void *realloc (void *ptr, size_t size) {
  resolve();
  if (in_arena(ptr)) { /* moves out of the arena */
    size_t left = (size_t)(arena + sizeof(arena) - (char *)ptr);
    void *p = malloc(size);
    if (p != NULL) memcpy(p, ptr, size < left ? size : left);
    return p;
  }
  if (next_realloc == NULL) return NULL;
  return refused() ? NULL : next_realloc(ptr, size);
}

void free (void *ptr) {
  if (ptr == NULL || in_arena(ptr)) return;
  resolve();
  if (next_free != NULL) next_free(ptr);
}
