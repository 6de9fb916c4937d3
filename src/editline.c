/*
** editline.c
** libedit, loaded on first use (see editline.h). Linked, libedit and the
** libraries it pulls in (libtinfo, libbsd, libmd) cost every ludp process
** their memory and relocations at start-up (bench/README.md), though only
** the REPL on a terminal uses them.
*/

#define LUDP_EDITLINE_TABLE /* the real names here, not the macros */

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "editline.h"

/* Debian's libedit2 */
#define EDITLINE_LIB "libedit.so.2"

struct ludp_editline ludp_el;

static int state; /* 0 not tried yet, 1 loaded, -1 failed */
static char why[512];
static void *lib; /* never closed: the REPL calls libedit until exit */

/* Keeps dlerror's message, forgets a half-filled table. */
static const char *load_failed (void) {
  const char *e = dlerror();
  snprintf(why, sizeof why, "%s", e ? e : EDITLINE_LIB ": unknown error");
  if (lib != NULL) dlclose(lib);
  lib = NULL;
  memset(&ludp_el, 0, sizeof ludp_el);
  state = -1;
  return why;
}

const char *ludp_editline_load (void) {
  if (state != 0) return state > 0 ? NULL : why;
  lib = dlopen(EDITLINE_LIB, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) return load_failed();
#define LOAD_SYMBOL(name) \
  if ((ludp_el.name = dlsym(lib, #name)) == NULL) return load_failed();
  LUDP_EDITLINE_SYMBOLS(LOAD_SYMBOL)
#undef LOAD_SYMBOL
  state = 1;
  return NULL;
}
