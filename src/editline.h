/*
** editline.h
** libedit, loaded on first use. Only the REPL on a terminal edits lines,
** so the host does not link libedit: ludp_editline_load() dlopens it the
** first time the line editor is set up and fills ludp_el with the address
** of every function and variable of it that the REPL uses (repl_term.c,
** repl_history.c). The macros at the end make those names go through the
** table, so that those files read as code written against
** <editline/readline.h>.
*/

#ifndef LUDP_EDITLINE_H
#define LUDP_EDITLINE_H

#include <stdio.h>

#include <editline/readline.h>

/* X(name) for each symbol of libedit that the REPL uses. */
#define LUDP_EDITLINE_SYMBOLS(X)        \
  X(add_history)                        \
  X(rl_add_defun)                       \
  X(rl_attempted_completion_function)   \
  X(rl_attempted_completion_over)       \
  X(rl_basic_word_break_characters)     \
  X(rl_callback_handler_install)        \
  X(rl_callback_handler_remove)         \
  X(rl_callback_read_char)              \
  X(rl_catch_signals)                   \
  X(rl_catch_sigwinch)                  \
  X(rl_completer_word_break_characters) \
  X(rl_completion_append_character)     \
  X(rl_done)                            \
  X(rl_end)                             \
  X(rl_forced_update_display)           \
  X(rl_get_screen_size)                 \
  X(rl_initialize)                      \
  X(rl_insert_text)                     \
  X(rl_instream)                        \
  X(rl_line_buffer)                     \
  X(rl_outstream)                       \
  X(rl_parse_and_bind)                  \
  X(rl_point)                           \
  X(rl_readline_name)                   \
  X(rl_resize_terminal)                 \
  X(using_history)

/* A pointer to each symbol, of the type readline.h declares it with. */
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
#define add_history (*ludp_el.add_history)
#define rl_add_defun (*ludp_el.rl_add_defun)
#define rl_attempted_completion_function \
  (*ludp_el.rl_attempted_completion_function)
#define rl_attempted_completion_over (*ludp_el.rl_attempted_completion_over)
#define rl_basic_word_break_characters (*ludp_el.rl_basic_word_break_characters)
#define rl_callback_handler_install (*ludp_el.rl_callback_handler_install)
#define rl_callback_handler_remove (*ludp_el.rl_callback_handler_remove)
#define rl_callback_read_char (*ludp_el.rl_callback_read_char)
#define rl_catch_signals (*ludp_el.rl_catch_signals)
#define rl_catch_sigwinch (*ludp_el.rl_catch_sigwinch)
#define rl_completer_word_break_characters \
  (*ludp_el.rl_completer_word_break_characters)
#define rl_completion_append_character (*ludp_el.rl_completion_append_character)
#define rl_done (*ludp_el.rl_done)
#define rl_end (*ludp_el.rl_end)
#define rl_forced_update_display (*ludp_el.rl_forced_update_display)
#define rl_get_screen_size (*ludp_el.rl_get_screen_size)
#define rl_initialize (*ludp_el.rl_initialize)
#define rl_insert_text (*ludp_el.rl_insert_text)
#define rl_instream (*ludp_el.rl_instream)
#define rl_line_buffer (*ludp_el.rl_line_buffer)
#define rl_outstream (*ludp_el.rl_outstream)
#define rl_parse_and_bind (*ludp_el.rl_parse_and_bind)
#define rl_point (*ludp_el.rl_point)
#define rl_readline_name (*ludp_el.rl_readline_name)
#define rl_resize_terminal (*ludp_el.rl_resize_terminal)
#define using_history (*ludp_el.using_history)
#endif

#endif
