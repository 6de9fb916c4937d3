/*
** repl_term.c
** The REPL on a terminal, through libedit (loaded on first use:
** editline.c), driven from the libuv loop: a uv_poll_t on fd 0 reads the
** keys that are there and hands them to libedit's el_wgets in its
** unbuffered mode, one editing command per call, so sockets and timers
** keep running while the prompt waits. Output printed by callbacks hides
** the prompt first (repl_term_hide) and a prepare handle redraws it, with
** the partial input, before the loop blocks again.
** This is libedit's own interface (histedit.h). Its readline layer keeps
** rl_line_buffer pointing into a conversion buffer that it moves as a line
** grows past 1 KB, and writes through it in rl_callback_read_char: a long
** paste corrupted the heap. And its prompts and keys are decoded here
** (repl_text.c), not by libedit, which dereferences NULL for a prompt that
** is not valid in the locale and drops the bytes of a key that is not.
** Owns the prompt and its redisplay, the input (keys; Enter, Ctrl-D, the
** NUL key, Tab and Ctrl-Z are bound to functions here; Tab's matches are
** repl_complete.c's), the history list, and the loop's side of the
** terminal's signals: SIGINT (cancels the line being typed), SIGWINCH and
** SIGCONT (back from Ctrl-Z).
*/

#define _GNU_SOURCE /* fopencookie */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "editline.h"
#include "repl_internal.h"


/* Keys are read from fd 0 at most this many bytes at a time. */
#define READ_MAX 65536

/* How long the rest of a UTF-8 character that began is waited for before
** its bytes are taken one by one (a terminal sends a character at once). */
#define REST_WAIT_MS 100

/* The terminal: one per process, as the REPL runs once. */
static struct {
  EditLine *el;
  FILE *out; /* libedit's output, into draw (below) */
  HistoryW *hist;
  int ready;          /* el and hist are set up */
  int prompt_active;  /* libedit is collecting a line (its unbuffered mode) */
  int hidden;         /* the prompt was cleared from the screen by output */
  int at_col0;        /* output left the cursor at the start of a line */
  char *prompt_text;  /* the prompt as given (malloc'd) */
  wchar_t *prompt;    /* as shown (malloc'd) */
  int line_done, eof; /* set by the keys Enter and Ctrl-D */
  int fresh;          /* no key read since the prompt was installed */
  unsigned long keys; /* keys read so far; the count at the last Tab: */
  unsigned long tab_key;
  char *in; /* bytes read from fd 0, not yet handed to libedit */
  size_t in_pos, in_len, in_cap;
  uv_poll_t stdin_poll;
  uv_signal_t sigint, sigwinch, sigcont;
  uv_prepare_t redraw;
} term = {.at_col0 = 1};


/* What libedit draws. It flushes its output after every editing command:
** written to the terminal at once, the echo of a paste went out one write
** a key, for the terminal to read a byte at a time. It is kept here
** instead, and written out when the keys read are done, or before anything
** else is written. */
static struct {
  char *buf;
  size_t len, cap;
} draw;

static ssize_t draw_write (void *cookie, const char *s, size_t n) {
  (void)cookie;
  if (draw.cap - draw.len < n) {
    size_t cap = draw.cap ? draw.cap : 4096;
    char *p;
    while (cap - draw.len < n)
      cap *= 2;
    if ((p = realloc(draw.buf, cap)) == NULL) { /* the terminal, then */
      fwrite(draw.buf, 1, draw.len, stdout);
      draw.len = 0;
      return (ssize_t)fwrite(s, 1, n, stdout);
    }
    draw.buf = p;
    draw.cap = cap;
  }
  memcpy(draw.buf + draw.len, s, n);
  draw.len += n;
  return (ssize_t)n;
}

/* Writes what libedit drew to the terminal. */
static void draw_out (void) {
  if (term.out != NULL) fflush(term.out);
  if (draw.len > 0) fwrite(draw.buf, 1, draw.len, stdout);
  draw.len = 0;
  fflush(stdout);
}


/* ------------------------------------------------------------------ keys */

/* Reads what fd 0 has, waiting up to 'timeout' ms (-1: for ever) when it
** has nothing yet. Returns 1 when bytes came, 0 when none came in time,
** -1 when fd 0 is gone (readable with nothing to read: hung up). */
static int fill (int timeout) {
  struct pollfd pfd = {0, POLLIN, 0};
  int n = 0, r;
  ssize_t got;
  if (timeout != 0) {
    do
      r = poll(&pfd, 1, timeout);
    while (r < 0 && errno == EINTR);
    if (r <= 0) return r == 0 ? 0 : -1;
  }
  if (ioctl(0, FIONREAD, &n) != 0 || n <= 0) return -1;
  if (n > READ_MAX) n = READ_MAX;
  if (term.in_pos > 0) { /* what libedit took goes */
    memmove(term.in, term.in + term.in_pos, term.in_len - term.in_pos);
    term.in_len -= term.in_pos;
    term.in_pos = 0;
  }
  if (term.in_cap - term.in_len < (size_t)n) {
    size_t cap = term.in_len + (size_t)n;
    char *p = realloc(term.in, cap);
    if (p == NULL) return -1;
    term.in = p;
    term.in_cap = cap;
  }
  do
    got = read(0, term.in + term.in_len, (size_t)n);
  while (got < 0 && errno == EINTR);
  if (got <= 0) return -1;
  term.in_len += (size_t)got;
  return 1;
}

/* libedit's getc (EL_GETCFN): the next key, decoded here so that every
** byte typed reaches the line. Only an editing command of several keys (an
** escape sequence, Ctrl-V, Esc) waits here for the rest of them, as
** libedit's own getc would. 1: a key; 0: fd 0 is gone. */
static int read_key (EditLine *el, wchar_t *wc) {
  (void)el;
  for (;;) {
    size_t avail = term.in_len - term.in_pos, n;
    if (avail > 0) {
      n = repl_text_decode(term.in + term.in_pos, avail, wc);
      if (n == 0 && fill(REST_WAIT_MS) <= 0) { /* the rest does not come */
        unsigned char byte = (unsigned char)term.in[term.in_pos];
        *wc = (wchar_t)(0xDC00 + byte);
        n = 1;
      }
      if (n > 0) {
        term.in_pos += n;
        term.keys++;
        return 1;
      }
    }
    else if (fill(-1) < 0) {
      return 0;
    }
  }
}

/* Enter: the line is done; the cursor goes to its end, where the next
** output starts below it. */
static unsigned char key_enter (EditLine *el, wint_t c) {
  const LineInfoW *li = el_wline(el);
  (void)c;
  el_cursor(el, (int)(li->lastchar - li->cursor));
  term.line_done = 1;
  return CC_CURSOR;
}

/* Ctrl-D: the end of the input on an empty line; else deletes the
** character under the cursor (emacs's delete-char). */
static unsigned char key_ctrl_d (EditLine *el, wint_t c) {
  const LineInfoW *li = el_wline(el);
  (void)c;
  if (li->lastchar == li->buffer) {
    term.eof = 1;
    return CC_NORM;
  }
  if (li->cursor == li->lastchar) return CC_ERROR;
  el_cursor(el, 1);
  el_deletestr(el, 1);
  return CC_REFRESH;
}

/*
** The NUL key. A Ctrl-D typed while a line ran, in the terminal's cooked
** mode, is an end-of-file mark that reads as a NUL once libedit's mode is
** back: as the first key of a prompt it means Ctrl-D. Otherwise (Ctrl-Space)
** nothing.
*/
static unsigned char key_nul (EditLine *el, wint_t c) {
  const LineInfoW *li = el_wline(el);
  (void)c;
  if (term.fresh && li->lastchar == li->buffer) term.eof = 1;
  return CC_NORM;
}

static unsigned char key_tab (EditLine *el, wint_t c) {
  int again = term.keys == term.tab_key + 1;
  (void)c;
  term.tab_key = term.keys;
  return repl_complete(el, again);
}

/* Ctrl-Z, where the terminal does not make it a signal itself. */
static unsigned char key_suspend (EditLine *el, wint_t c) {
  (void)el;
  (void)c;
  kill(0, SIGTSTP);
  return CC_NORM;
}


/* -------------------------------------------------- prompt and redisplay */

static wchar_t *prompt_of (EditLine *el) {
  static wchar_t none[] = L"";
  (void)el;
  return term.prompt != NULL ? term.prompt : none;
}

int repl_term_columns (void) {
  int cols = 0;
  if (term.el != NULL) el_wget(term.el, EL_GETTC, "co", &cols);
  return cols > 0 ? cols : 80;
}

/* Where the cursor is, and where the input ends, from the prompt's start. */
static void input_pos (struct repl_pos *cursor, struct repl_pos *end) {
  const LineInfoW *li = el_wline(term.el);
  const wchar_t *prompt = prompt_of(term.el);
  int cols = repl_term_columns();
  struct repl_pos at = {0, 0};
  repl_text_advance(&at, prompt, wcslen(prompt), 1, cols);
  repl_text_advance(&at, li->buffer, (size_t)(li->cursor - li->buffer), 0,
                    cols);
  *cursor = at;
  repl_text_advance(&at, li->cursor, (size_t)(li->lastchar - li->cursor), 0,
                    cols);
  *end = at;
}

void repl_term_below (EditLine *el) {
  struct repl_pos cursor, end;
  int n;
  (void)el;
  draw_out();
  input_pos(&cursor, &end);
  for (n = end.row - cursor.row; n >= 0; n--)
    fputc('\n', stdout);
  fflush(stdout);
}

void repl_term_redraw (EditLine *el) {
  struct repl_pos cursor, end;
  int rows = 0, n;
  (void)el;
  draw_out();
  input_pos(&cursor, &end);
  el_wget(term.el, EL_GETTC, "li", &rows);
  /* libedit draws the input's rows (a screenful at most: its last) from
  ** here down, moving the cursor down a row at a time, which does not
  ** scroll at the bottom of the screen: room for them first */
  n = end.row < rows - 1 || rows <= 0 ? end.row : rows - 1;
  if (n > 0) {
    int i;
    for (i = 0; i < n; i++)
      fputc('\n', stdout);
    fprintf(stdout, "\033[%dA", n);
  }
  fflush(stdout);
  el_wset(term.el, EL_REFRESH);
  draw_out();
}

/* Clears the prompt and the partial input from the screen, leaving the
** cursor at the start of the line where the prompt began. */
void repl_term_hide (void) {
  struct repl_pos cursor, end;
  if (!term.prompt_active || term.hidden) return;
  draw_out();
  input_pos(&cursor, &end);
  fputc('\r', stdout);
  if (cursor.row > 0) fprintf(stdout, "\033[%dA", cursor.row);
  fputs("\033[J", stdout);
  fflush(stdout);
  term.hidden = 1;
  term.at_col0 = 1;
}

/* Draws the prompt and the partial input again, on a line of its own. */
static void show_prompt (void) {
  if (!term.hidden) return;
  term.hidden = 0;
  if (!term.prompt_active) return;
  if (!term.at_col0) fputc('\n', stdout);
  term.at_col0 = 1;
  repl_term_redraw(term.el);
}

/* Runs before the loop blocks: output of this pass is out, redraw. */
static void on_redraw (uv_prepare_t *p) {
  (void)p;
  show_prompt();
}

/* libedit stops collecting a line: the terminal's mode is restored. */
static void end_line (void) {
  if (!term.prompt_active) return;
  term.prompt_active = 0;
  el_wset(term.el, EL_UNBUFFERED, 0);
}

/* Makes libedit show 'prompt' and collect a new line. */
void repl_term_prompt (const char *prompt) {
  char *copy = strdup(prompt);
  wchar_t *shown = repl_text_widen(prompt, strlen(prompt), 1), *p;
  if (copy == NULL || shown == NULL) {
    free(copy);
    free(shown);
    return;
  }
  for (p = shown; *p; p++) /* readline's end of an ignored region */
    if (*p == 2) *p = REPL_PROMPT_IGNORE;
  free(term.prompt_text);
  free(term.prompt);
  term.prompt_text = copy;
  term.prompt = shown;
  if (!term.at_col0) fputc('\n', stdout);
  term.at_col0 = 1;
  fflush(stdout);
  end_line();
  el_wset(term.el, EL_UNBUFFERED, 1); /* raw mode, an empty line, drawn */
  draw_out();
  term.prompt_active = 1;
  term.hidden = 0;
  term.fresh = 1;
}


/* ----------------------------------------------------- input and signals */

/* Hands the line collected to the session, which prompts for the next. */
static void take_line (void) {
  const LineInfoW *li = el_wline(term.el);
  size_t len = 0;
  char *line = repl_text_narrow(li->buffer, (size_t)(li->lastchar - li->buffer),
                                &len);
  term.line_done = 0;
  draw_out();
  end_line();
  fputc('\n', stdout);
  term.at_col0 = 1;
  fflush(stdout);
  repl_deliver(line != NULL ? line : "", len);
  free(line);
  if (!repl_stopped() && !term.prompt_active && term.prompt_text != NULL)
    repl_term_prompt(term.prompt_text); /* on_line failed before prompting */
}

/* Hands the keys read to libedit, one editing command at a time, while it
** collects a line: a paste of many lines is run line by line. */
static void run_keys (void) {
  while (term.prompt_active && !repl_stopped() && term.in_pos < term.in_len) {
    int n;
    el_wgets(term.el, &n);
    term.fresh = 0;
    if (term.eof) {
      term.eof = 0;
      end_line();
      repl_deliver(NULL, 0);
    }
    else if (term.line_done) {
      take_line();
    }
  }
  draw_out();
}

static void on_stdin (uv_poll_t *p, int status, int events) {
  (void)p;
  if (repl_stopped()) return;
  if (status < 0 || (events & UV_DISCONNECT) || fill(0) < 0) {
    end_line();
    repl_deliver(NULL, 0);
    return;
  }
  show_prompt(); /* libedit must see its own display */
  run_keys();
}

/* Ctrl-C reached the loop: cancel the line being typed. */
static void on_sigint (uv_signal_t *s, int sig) {
  (void)s;
  (void)sig;
  if (repl_sigint_reached_loop()) return; /* it interrupted a stuck callback */
  if (repl_stopped() || !term.prompt_active) return;
  show_prompt();
  fputs("^C\n", stdout); /* the typed text stays, as in shells */
  fflush(stdout);
  end_line();
  term.at_col0 = 1;
  repl_interrupt();
  if (!repl_stopped() && !term.prompt_active && term.prompt_text != NULL)
    repl_term_prompt(term.prompt_text);
  term.fresh = 0; /* no line ran: a NUL now is a Ctrl-Space */
}

static void on_sigwinch (uv_signal_t *s, int sig) {
  (void)s;
  (void)sig;
  if (term.prompt_active) el_resize(term.el);
}

/* Back from Ctrl-Z: the shell has put the terminal in its own mode. Set
** libedit's again, and draw the prompt and the text typed so far. */
static void on_sigcont (uv_signal_t *s, int sig) {
  (void)s;
  (void)sig;
  if (!term.prompt_active) return;
  el_wset(term.el, EL_PREP_TERM, 0);
  el_wset(term.el, EL_PREP_TERM, 1); /* takes the terminal's mode afresh */
  fputc('\n', stdout);
  term.at_col0 = 1;
  term.hidden = 0;
  repl_term_redraw(term.el);
}


/* --------------------------------------------------------------- history */

void repl_term_history_add (const char *line, size_t len) {
  HistEventW ev;
  wchar_t *w;
  if (!term.ready || (w = repl_text_widen(line, len, 0)) == NULL) return;
  history_w(term.hist, &ev, H_ENTER, w);
  free(w);
}


/* ------------------------------------------------------- set up and stop */

/* At exit (os.exit from a callback, say), the terminal must not be left
** in libedit's raw mode. */
static void restore_terminal (void) {
  draw_out();
  end_line();
}

int repl_term_load (void) {
  const char *why = ludp_editline_load();
  if (why == NULL) return 1;
  fprintf(stderr, "ludp: line editing unavailable, reading plain lines (%s)\n",
          why);
  fflush(stderr);
  return 0;
}

/* An editing function, as libedit calls it (its el_func_t is private). */
typedef unsigned char (*key_fn)(EditLine *el, wint_t c);

/* A function of ours for a key. */
static void bind_key (EditLine *el, const wchar_t *key, const wchar_t *name,
                      key_fn fn) {
  el_wset(el, EL_ADDFN, name, name, fn);
  el_wset(el, EL_BIND, key, name, NULL);
}

static int set_up (void) {
  EditLine *el;
  HistEventW ev;
  cookie_io_functions_t to_draw = {NULL, draw_write, NULL, NULL};
  /* the locale says how characters are shown (wcwidth, iswprint) */
  setlocale(LC_CTYPE, "");
  if ((term.out = fopencookie(NULL, "w", to_draw)) == NULL) return -1;
  term.el = el = el_init_fd("ludp", stdin, term.out, stderr, 0, 1, 2);
  term.hist = history_winit();
  if (el == NULL || term.hist == NULL) return -1;
  history_w(term.hist, &ev, H_SETSIZE, INT_MAX);
  el_wset(el, EL_HIST, history_w, term.hist);
  el_wset(el, EL_PROMPT_ESC, prompt_of, REPL_PROMPT_IGNORE);
  el_wset(el, EL_GETCFN, read_key);
  el_wset(el, EL_EDITOR, L"emacs");
  /* readline's keys, as libedit's readline layer binds them */
  el_wset(el, EL_BIND, L"^R", L"em-inc-search-prev", NULL);
  el_wset(el, EL_BIND, L"\\e[1~", L"ed-move-to-beg", NULL);
  el_wset(el, EL_BIND, L"\\e[4~", L"ed-move-to-end", NULL);
  el_wset(el, EL_BIND, L"\\e[7~", L"ed-move-to-beg", NULL);
  el_wset(el, EL_BIND, L"\\e[8~", L"ed-move-to-end", NULL);
  el_wset(el, EL_BIND, L"\\e[H", L"ed-move-to-beg", NULL);
  el_wset(el, EL_BIND, L"\\e[F", L"ed-move-to-end", NULL);
  el_wset(el, EL_BIND, L"\\e[3~", L"ed-delete-next-char", NULL);
  el_wset(el, EL_BIND, L"\\e[2~", L"ed-quoted-insert", NULL);
  el_wset(el, EL_BIND, L"\\e[1;5C", L"em-next-word", NULL);
  el_wset(el, EL_BIND, L"\\e[1;5D", L"ed-prev-word", NULL);
  el_wset(el, EL_BIND, L"\\e[5C", L"em-next-word", NULL);
  el_wset(el, EL_BIND, L"\\e[5D", L"ed-prev-word", NULL);
  el_wset(el, EL_BIND, L"\\e\\e[C", L"em-next-word", NULL);
  el_wset(el, EL_BIND, L"\\e\\e[D", L"ed-prev-word", NULL);
  el_source(el, NULL); /* ~/.editrc */
  /* after ~/.editrc: the REPL needs these keys to be its own */
  bind_key(el, L"^M", L"ludp-enter", key_enter);
  bind_key(el, L"^J", L"ludp-enter", key_enter);
  bind_key(el, L"^D", L"ludp-ctrl-d", key_ctrl_d);
  bind_key(el, L"^@", L"ludp-nul", key_nul);
  bind_key(el, L"^I", L"ludp-complete", key_tab);
  bind_key(el, L"^Z", L"ludp-suspend", key_suspend);
  return 0;
}

int repl_term_start (void) {
  int flags;
  term.at_col0 = 1;
  if (!term.ready) {
    atexit(restore_terminal);
    if (set_up() != 0) return -1;
    term.ready = 1;
  }
  /* uv_poll_init makes fd 0 non-blocking; the terminal's file description
  ** is shared with stdout, whose writes must stay blocking. */
  flags = fcntl(0, F_GETFL);
  if (uv_poll_init(ludp_loop(), &term.stdin_poll, 0) != 0) return -1;
  if (flags != -1) fcntl(0, F_SETFL, flags);
  uv_poll_start(&term.stdin_poll, UV_READABLE | UV_DISCONNECT, on_stdin);
  uv_signal_init(ludp_loop(), &term.sigint);
  uv_signal_start(&term.sigint, on_sigint, SIGINT);
  uv_unref((uv_handle_t *)&term.sigint);
  uv_signal_init(ludp_loop(), &term.sigwinch);
  uv_signal_start(&term.sigwinch, on_sigwinch, SIGWINCH);
  uv_unref((uv_handle_t *)&term.sigwinch);
  uv_signal_init(ludp_loop(), &term.sigcont);
  uv_signal_start(&term.sigcont, on_sigcont, SIGCONT);
  uv_unref((uv_handle_t *)&term.sigcont);
  uv_prepare_init(ludp_loop(), &term.redraw);
  uv_prepare_start(&term.redraw, on_redraw);
  uv_unref((uv_handle_t *)&term.redraw);
  return 0;
}

int repl_term_ready (void) {
  return term.ready;
}

void repl_term_wrote (int at_line_start) {
  term.at_col0 = at_line_start;
}

void repl_term_stop (void) {
  draw_out();
  end_line();
  term.hidden = 0;
  uv_close((uv_handle_t *)&term.stdin_poll, NULL);
  uv_close((uv_handle_t *)&term.sigint, NULL);
  uv_close((uv_handle_t *)&term.sigwinch, NULL);
  uv_close((uv_handle_t *)&term.sigcont, NULL);
  uv_close((uv_handle_t *)&term.redraw, NULL);
  fflush(stdout);
  free(term.prompt_text);
  free(term.prompt);
  free(term.in);
  term.prompt_text = NULL;
  term.prompt = NULL;
  term.in = NULL;
  term.in_pos = term.in_len = term.in_cap = 0;
}
