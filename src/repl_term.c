/*
** repl_term.c
** The REPL on a terminal, through libedit (loaded on first use:
** editline.c). libedit's readline-compatible callback interface is driven
** from the libuv loop: a uv_poll_t on fd 0 feeds it one key at a time, so
** sockets and timers keep running while the prompt waits. Output printed
** by callbacks hides the prompt first (repl_term_hide) and a prepare handle
** redraws it, with the partial input, before the loop blocks again.
** Owns the prompt and its redisplay, the input (keys, the NUL key, Tab's
** matches from the session's candidates) and the loop's side of the
** terminal's signals: SIGINT (cancels the line being typed), SIGWINCH and
** SIGCONT (back from Ctrl-Z).
*/

#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "editline.h"
#include "repl_internal.h"


/* Characters that end the word being completed: "sock:se" completes "se". */
static const char word_breaks[] = " \t\n\"\\'`@$><=;|&{}()[],+-*/%^~#.:";

/* The terminal: one per process, as libedit's state is global. */
static struct {
  int ready;         /* rl_initialize was called */
  int prompt_active; /* a prompt is installed in libedit */
  int hidden;        /* it was cleared from the screen by output */
  int at_col0;       /* output left the cursor at the start of a line */
  char *prompt_text; /* the prompt (malloc'd) */
  int line_done;     /* set by the libedit line handler */
  char *done_line;   /* its line (malloc'd), NULL at EOF */
  int fresh;         /* no key read since the prompt was installed */
  uv_poll_t stdin_poll;
  uv_signal_t sigint, sigwinch, sigcont;
  uv_prepare_t redraw;
} term = {.at_col0 = 1};


/* -------------------------------------------------- prompt and redisplay */

/* Terminal columns taken by 's' (its first 'n' bytes, or all if n < 0):
** UTF-8 continuation bytes and \1...\2 regions of a prompt take none. */
static int text_width (const char *s, int n) {
  int w = 0, ignore = 0, i;
  if (s == NULL) return 0;
  for (i = 0; s[i] != '\0' && (n < 0 || i < n); i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == RL_PROMPT_START_IGNORE)
      ignore = 1;
    else if (c == RL_PROMPT_END_IGNORE)
      ignore = 0;
    else if (!ignore && (c & 0xC0) != 0x80)
      w++;
  }
  return w;
}

/* Clears the prompt and the partial input from the screen, leaving the
** cursor at the start of the line where the prompt began. */
void repl_term_hide (void) {
  int rows = 0, cols = 0, pos, up;
  if (!term.prompt_active || term.hidden) return;
  rl_get_screen_size(&rows, &cols);
  pos = text_width(term.prompt_text, -1) +
        (rl_line_buffer ? text_width(rl_line_buffer, rl_point) : 0);
  up = cols > 0 ? pos / cols : 0;
  fputc('\r', stdout);
  if (up > 0) fprintf(stdout, "\033[%dA", up);
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
  fflush(stdout);
  rl_forced_update_display();
}

/* Runs before the loop blocks: output of this pass is out, redraw. */
static void on_redraw (uv_prepare_t *p) {
  (void)p;
  show_prompt();
}

static void on_rl_line (char *line) {
  term.line_done = 1;
  term.done_line = line;
}

/* Makes libedit show 'prompt' and collect a new line. */
void repl_term_prompt (const char *prompt) {
  char *copy = strdup(prompt);
  if (copy == NULL) return;
  free(term.prompt_text);
  term.prompt_text = copy;
  if (!term.at_col0) fputc('\n', stdout);
  term.at_col0 = 1;
  fflush(stdout);
  if (term.prompt_active) rl_callback_handler_remove();
  rl_done = 0;
  rl_callback_handler_install(term.prompt_text, on_rl_line);
  term.prompt_active = 1;
  term.hidden = 0;
  term.fresh = 1;
}

/*
** The NUL key. A Ctrl-D typed while a line ran, in the terminal's cooked
** mode, is an end-of-file mark that reads as a NUL once libedit's mode is
** back: as the first key of a prompt it means Ctrl-D. Otherwise (Ctrl-Space)
** nothing, rather than libedit's quoted insert, which would also turn off
** Ctrl-C until the next key.
*/
static int on_nul_key (int count, int key) {
  (void)count;
  (void)key;
  if (term.fresh && rl_end == 0) rl_done = 1;
  return 0;
}


/* ----------------------------------------------------- input and signals */

/* Whether fd 0, reported readable, has nothing to read: hung up. */
static int input_gone (void) {
  int n = 0;
  return ioctl(0, FIONREAD, &n) == 0 && n == 0;
}

static void on_stdin (uv_poll_t *p, int status, int events) {
  (void)p;
  if (repl_stopped()) return;
  show_prompt(); /* libedit must see its own display */
  if (status < 0 || (events & UV_DISCONNECT) || input_gone()) {
    if (term.prompt_active) rl_callback_handler_remove();
    term.prompt_active = 0;
    repl_deliver(NULL, 0);
    return;
  }
  rl_callback_read_char();
  term.fresh = 0;
  if (term.line_done) {
    term.line_done = 0;
    term.prompt_active = 0; /* libedit has finished with the line */
    rl_callback_handler_remove();
    term.at_col0 = 1;
    repl_deliver(term.done_line, term.done_line ? strlen(term.done_line) : 0);
    free(term.done_line);
    term.done_line = NULL;
    if (!repl_stopped() && !term.prompt_active && term.prompt_text != NULL)
      repl_term_prompt(term.prompt_text); /* on_line failed before prompting */
  }
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
  rl_callback_handler_remove();
  term.prompt_active = 0;
  term.at_col0 = 1;
  repl_interrupt();
  if (!repl_stopped() && !term.prompt_active && term.prompt_text != NULL)
    repl_term_prompt(term.prompt_text);
  term.fresh = 0; /* no line ran: a NUL now is a Ctrl-Space */
}

static void on_sigwinch (uv_signal_t *s, int sig) {
  (void)s;
  (void)sig;
  if (term.prompt_active) rl_resize_terminal();
}

/* Back from Ctrl-Z: the shell has put the terminal in its own mode. Set
** libedit's again, keeping the text typed so far. */
static void on_sigcont (uv_signal_t *s, int sig) {
  char *text;
  (void)s;
  (void)sig;
  if (!term.prompt_active || term.prompt_text == NULL) return;
  text = strdup(rl_line_buffer ? rl_line_buffer : "");
  fputc('\n', stdout);
  term.at_col0 = 1;
  term.hidden = 0;
  repl_term_prompt(term.prompt_text); /* cooked, then raw and a fresh prompt */
  if (text != NULL && text[0] != '\0') {
    rl_insert_text(text);
    fputc('\r', stdout); /* redraw over the fresh prompt */
    fflush(stdout);
    rl_forced_update_display();
  }
  free(text);
}


/* ------------------------------------------------------------ completion */

/* libedit asks for the matches of 'text', the word before the cursor:
** the candidates come from Lua; entry 0 is their longest common prefix. */
static char **attempt_completion (const char *text, int start, int end) {
  lua_State *L;
  size_t tlen = strlen(text), n = 0, i, k, cap;
  char **m;
  int top;
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1; /* never fall back to file names */
  L = repl_candidates(rl_line_buffer ? rl_line_buffer : "",
                      rl_line_buffer ? (size_t)rl_point : 0);
  if (L == NULL) return NULL;
  top = lua_gettop(L) - 1; /* below the list */
  cap = (size_t)lua_rawlen(L, -1);
  m = calloc(cap + 2, sizeof(char *));
  if (m == NULL) {
    lua_settop(L, top);
    return NULL;
  }
  for (i = 1; i <= cap; i++) {
    const char *s;
    lua_rawgeti(L, -1, (lua_Integer)i);
    s = lua_tostring(L, -1);
    if (s != NULL && strncmp(s, text, tlen) == 0 &&
        (m[n + 1] = strdup(s)) != NULL)
      n++;
    lua_pop(L, 1);
  }
  lua_settop(L, top);
  if (n == 0) {
    free(m);
    return NULL;
  }
  /* m[0]: the longest prefix common to every match */
  k = strlen(m[1]);
  for (i = 2; i <= n; i++) {
    size_t j = 0;
    while (j < k && m[i][j] == m[1][j])
      j++;
    k = j;
  }
  m[0] = malloc(k + 1);
  if (m[0] == NULL) {
    for (i = 1; i <= n; i++)
      free(m[i]);
    free(m);
    return NULL;
  }
  memcpy(m[0], m[1], k);
  m[0][k] = '\0';
  if (n == 1) { /* one match: readline wants it alone */
    free(m[1]);
    m[1] = NULL;
  }
  return m;
}


/* ------------------------------------------------------- set up and stop */

/* At exit (os.exit from a callback, say), the terminal must not be left
** in libedit's raw mode. */
static void restore_terminal (void) {
  if (term.prompt_active) {
    term.prompt_active = 0;
    rl_callback_handler_remove();
  }
}

int repl_term_load (void) {
  const char *why = ludp_editline_load();
  if (why == NULL) return 1;
  fprintf(stderr, "ludp: line editing unavailable, reading plain lines (%s)\n",
          why);
  fflush(stderr);
  return 0;
}

int repl_term_start (void) {
  int flags;
  term.at_col0 = 1;
  if (!term.ready) {
    /* libedit decodes keys by the locale: UTF-8 input needs LC_CTYPE */
    setlocale(LC_CTYPE, "");
    atexit(restore_terminal);
    rl_readline_name = "ludp";
    rl_catch_signals = 0; /* the loop owns the signals */
    rl_catch_sigwinch = 0;
    rl_instream = stdin;
    rl_outstream = stdout;
    rl_initialize();
    rl_add_defun("ludp-nul", on_nul_key, 0);
    rl_parse_and_bind("bind ^@ ludp-nul");
    using_history();
    term.ready = 1;
  }
  rl_attempted_completion_function = attempt_completion;
  rl_basic_word_break_characters = word_breaks;
  rl_completer_word_break_characters = (char *)word_breaks;
  rl_completion_append_character = '\0';
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
  if (term.prompt_active) rl_callback_handler_remove();
  term.prompt_active = term.hidden = 0;
  uv_close((uv_handle_t *)&term.stdin_poll, NULL);
  uv_close((uv_handle_t *)&term.sigint, NULL);
  uv_close((uv_handle_t *)&term.sigwinch, NULL);
  uv_close((uv_handle_t *)&term.sigcont, NULL);
  uv_close((uv_handle_t *)&term.redraw, NULL);
  fflush(stdout);
  free(term.prompt_text);
  term.prompt_text = NULL;
}
