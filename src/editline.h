/*
** editline.h
** libedit, loaded on first use. Only the REPL on a terminal edits lines,
** so the host does not link libedit: ludp_editline_load() dlopens it the
** first time the line editor is set up and fills ludp_el with the address
** of every function of it that the REPL uses (repl_term.c). The macros at
** the end make those names go through the table, so that the file reads as
** code written against <histedit.h>.
** Only libedit's own interface is used, not its readline layer, whose
** callback mode corrupts the heap once a line passes 1 KB (repl_term.c).
*/

#ifndef LUDP_EDITLINE_H
#define LUDP_EDITLINE_H

#include <stdio.h>

#include <histedit.h>

/* X(name) for each symbol of libedit that the REPL uses. */
#define LUDP_EDITLINE_SYMBOLS(X) \
  X(el_cursor)                   \
  X(el_deletestr)                \
  X(el_init_fd)                  \
  X(el_resize)                   \
  X(el_source)                   \
  X(el_wget)                     \
  X(el_wgets)                    \
  X(el_winsertstr)               \
  X(el_wline)                    \
  X(el_wset)                     \
  X(history_w)                   \
  X(history_winit)

/* A pointer to each symbol, of the type histedit.h declares it with. */
#define LUDP_EDITLINE_FIELD(name) __typeof__(name) *name;
struct ludp_editline {
  LUDP_EDITLINE_SYMBOLS(LUDP_EDITLINE_FIELD)
};
#undef LUDP_EDITLINE_FIELD

extern struct ludp_editline ludp_el;

/* Loads libedit, once: returns NULL when ludp_el is filled, else why it
** could not be (dlerror's message), the same message at every call. */
const char *ludp_editline_load (void);

/* editline.c fills the table under the real names. */
#ifndef LUDP_EDITLINE_TABLE
#define el_cursor (*ludp_el.el_cursor)
#define el_deletestr (*ludp_el.el_deletestr)
#define el_init_fd (*ludp_el.el_init_fd)
#define el_resize (*ludp_el.el_resize)
#define el_source (*ludp_el.el_source)
#define el_wget (*ludp_el.el_wget)
#define el_wgets (*ludp_el.el_wgets)
#define el_winsertstr (*ludp_el.el_winsertstr)
#define el_wline (*ludp_el.el_wline)
#define el_wset (*ludp_el.el_wset)
#define history_w (*ludp_el.history_w)
#define history_winit (*ludp_el.history_winit)
#endif

#endif
