/*
** repl_internal.h
** What the C files of the REPL's terminal side (the module ludp.replio)
** share. repl.c is the module: it owns the session (the Lua callbacks, its
** start and stop) and drives the other files, one concern each. None of
** this is seen outside them (ludp.h declares only luaopen_ludp_replio).
*/

#ifndef LUDP_REPL_INTERNAL_H
#define LUDP_REPL_INTERNAL_H

#include <stddef.h>
#include <wchar.h>

#include "ludp.h"

struct editline; /* libedit's EditLine (histedit.h) */

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

/* Adds a line to the history the arrow keys go through. */
void repl_term_history_add (const char *line, size_t len);

/* The terminal's columns. */
int repl_term_columns (void);

/* Moves the terminal's cursor to a line of its own under the input, for
** output that the input stays above (the matches of Tab). */
void repl_term_below (struct editline *el);

/* Draws the prompt and the input again from the cursor's line down. */
void repl_term_redraw (struct editline *el);

/* ------------------------------------------ repl_complete.c: Tab's matches */

/* Tab: inserts what the matches of the word before the cursor share, or,
** on a second Tab in a row ('again') that added nothing, lists them.
** Returns what libedit is to do (CC_REFRESH, CC_NORM, CC_ERROR: a beep). */
unsigned char repl_complete (struct editline *el, int again);

/* ------------------------------------ repl_text.c: bytes and characters */

/* What a prompt's \1 ... \1 (readline's \1 ... \2) encloses is printed
** as it is and takes no columns: the terminal's controls (colours). */
#define REPL_PROMPT_IGNORE 1

/* Decodes the UTF-8 character at s (n > 0 bytes there) into *wc: returns
** its length, or 0 when the n bytes are the valid beginning of a longer
** one. A byte that begins no valid character is decoded alone, as the
** character U+DC00 + its value. */
size_t repl_text_decode (const char *s, size_t n, wchar_t *wc);

/* The n bytes of s as a NUL-terminated string of characters (malloc'd;
** NULL when out of memory). 'shown' (a prompt, never read back): a byte
** that is not UTF-8 becomes U+FFFD ('?' where the locale cannot show it)
** rather than U+DCxx, which libedit would not show at all there. */
wchar_t *repl_text_widen (const char *s, size_t n, int shown);

/* The n characters of w as a NUL-terminated string of bytes (malloc'd;
** NULL when out of memory), U+DCxx back to the byte xx; *len its length. */
char *repl_text_narrow (const wchar_t *w, size_t n, size_t *len);

/* A place on the screen, in rows and columns from where the prompt began. */
struct repl_pos {
  int row, col;
};

/* Moves 'at' over the n characters of w as libedit draws them on a screen
** 'cols' wide: a prompt's (wide characters, the \1 regions) or the line's
** (a tab to the next stop, control characters as ^X, others as \U+XXXX). */
void repl_text_advance (struct repl_pos *at, const wchar_t *w, size_t n,
                        int prompt, int cols);

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
