/*
** libm.c
** Lua's calls into libm, with libm loaded on the first one. An echo
** server never makes one, and libm mapped at start-up costs every ludp
** process memory (its IFUNC resolvers, spread over its code, run at
** load) and its relocations. The link sends the calls of
** the Lua library linked in here (ld --wrap, see CMakeLists.txt); each
** looks its function up once, then calls through the pointer as a PLT
** would. frexp and ldexp are libc's too, and need no wrapper.
*/

#include <dlfcn.h>
#include <gnu/lib-names.h> /* LIBM_SO */
#include <stdio.h>
#include <stdlib.h>

/* Lua has no way to fail a math function: a libm that will not load is a
** broken system, said once, before the process ends. */
static void *find (const char *name) {
  static void *lib;
  void *f;
  if (lib == NULL) lib = dlopen(LIBM_SO, RTLD_NOW | RTLD_LOCAL);
  f = lib != NULL ? dlsym(lib, name) : NULL;
  if (f == NULL) {
    const char *e = dlerror();
    fprintf(stderr, "ludp: %s: %s\n", name, e ? e : LIBM_SO " not loaded");
    abort();
  }
  return f;
}

#define WRAP1(name)                            \
  double __wrap_##name(double x);              \
  double __wrap_##name(double x) {             \
    static double (*f)(double);                \
    if (f == NULL) *(void **)&f = find(#name); \
    return f(x);                               \
  }

#define WRAP2(name)                            \
  double __wrap_##name(double x, double y);    \
  double __wrap_##name(double x, double y) {   \
    static double (*f)(double, double);        \
    if (f == NULL) *(void **)&f = find(#name); \
    return f(x, y);                            \
  }

/* The list is LUDP_LIBM_WRAPS in CMakeLists.txt. */
WRAP1(acos)
WRAP1(asin)
WRAP1(cos)
WRAP1(cosh)
WRAP1(exp)
WRAP1(log)
WRAP1(log10)
WRAP1(log2)
WRAP1(sin)
WRAP1(sinh)
WRAP1(sqrt)
WRAP1(tan)
WRAP1(tanh)
WRAP2(atan2)
WRAP2(fmod)
WRAP2(pow)
