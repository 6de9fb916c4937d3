/*
** repl_internal.h
** What the C files of the REPL's terminal side (the module ludp.replio)
** share. repl.c is the module: it owns the session (the Lua callbacks, its
** start and stop) and drives the other files, one concern each. None of
** this is seen outside them (ludp.h declares only luaopen_ludp_replio).
*/

#ifndef LUDP_REPL_INTERNAL_H
#define LUDP_REPL_INTERNAL_H

#include "ludp.h"

/* --------------------------------------------------- repl.c: the session */

/* Calls the session's on_line(line), nil for a NULL line (the end of the
** input), through the loop's one protected call. Nothing once stopped. */
void repl_deliver (const char *line, size_t len);

/* Calls on_interrupt(): Ctrl-C cancelled the line being typed. */
void repl_interrupt (void);

/* Calls candidates(before) in protected mode: returns the session's state
** with the list on top, or NULL (nothing pushed) when the call failed or
** gave no table. */
lua_State *repl_candidates (const char *before, size_t len);

/* Whether the session has stopped (replio.stop): no more lines. */
int repl_stopped (void);

/* -------------------------------------------------- repl_term.c: libedit */

/* Loads libedit: whether it is there; if not, says why on stderr. */
int repl_term_load (void);

/* Sets libedit up (once per process) and starts watching fd 0 and the
** signals of the terminal; -1 if fd 0 cannot be watched. */
int repl_term_start (void);

/* Shows 'prompt' and collects a new line. */
void repl_term_prompt (const char *prompt);

/* Clears the prompt and the partial input from the screen before output;
** the loop draws them again before it blocks. */
void repl_term_hide (void);

/* Tells whether the last output ended a line. */
void repl_term_wrote (int at_line_start);

/* Removes the prompt (the terminal's mode is restored) and closes the
** handles. */
void repl_term_stop (void);

/* Whether libedit is set up (lines may be added to its history). */
int repl_term_ready (void);

/* --------------------------------------------- repl_plain.c: plain lines */

/* Starts reading lines from fd 0 (the end of the input is delivered too,
** or at once if fd 0 cannot be read). */
void repl_plain_start (void);

/* Cancels the read in flight and forgets what was not a line yet. */
void repl_plain_stop (void);

/* ------------------------------------------------- repl_sigint.c: Ctrl-C */

/* Puts our SIGINT handler in front of the one in place (libuv's, when the
** loop watches SIGINT: 'loop_watches'); its hooks are set on 'L'. */
void repl_sigint_install (lua_State *L, int loop_watches);

/* Puts the handler we found back. */
void repl_sigint_restore (void);

/* Around a line run by replio.docall: a Ctrl-C meanwhile interrupts it. */
void repl_sigint_line_begin (void);
void repl_sigint_line_end (void);

/* The loop took a Ctrl-C: returns whether a hook already spent it on
** interrupting a callback that kept the loop busy (then the line being
** typed must not be cancelled too). */
int repl_sigint_reached_loop (void);

/* ----------------------------------------------- repl_history.c: history */

/* replio.history_add(line), replio.history_append(path, line),
** replio.history_write(path, lines): see repl_history.c. */
int repl_history_add (lua_State *L);
int repl_history_append (lua_State *L);
int repl_history_write (lua_State *L);

#endif
