/*
** repl.c
** The terminal half of the REPL, as the module ludp.replio. On a terminal,
** libedit's readline-compatible callback interface (libedit is loaded
** then: editline.c) is driven from the libuv loop: a uv_poll_t on fd 0
** feeds it one key at a time, so sockets and timers keep running while
** the prompt waits. Output printed by
** callbacks hides the prompt first and a prepare handle redraws it (with
** the partial input) before the loop blocks again. Ctrl-C while idle
** cancels the line (a uv_signal_t); Ctrl-C while a line runs interrupts
** it (repl_sigint.c). When stdin is not
** a terminal, or libedit cannot be loaded, plain lines are read through
** the thread pool instead.
** What a line means (expression or statement, printing, completion
** candidates, history policy) is decided in lua/ludp/repl.lua.
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

static lua_State *repl_L;        /* main state: callbacks and the hook */
static int line_ref = LUA_NOREF; /* on_line(line | nil at end of input) */
static int intr_ref = LUA_NOREF; /* on_interrupt(): Ctrl-C while idle */
static int comp_ref = LUA_NOREF; /* candidates(before_cursor) -> list */
static int tty_mode, started, stopped;

/* The prompt: installed in libedit, hidden by output, at column 0. */
static int prompt_active, hidden, at_col0 = 1;
static char *prompt_text;
static int line_done;   /* set by the libedit line handler */
static char *done_line; /* its line (malloc'd), NULL at EOF */
static int rl_ready;    /* rl_initialize was called */
static int fresh;       /* no key read since the prompt was installed */

static uv_poll_t stdin_poll;
static uv_signal_t sigint_handle, sigwinch_handle, sigcont_handle;
static uv_prepare_t redraw_handle;


/* ------------------------------------------------- prompt and redisplay */

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
static void hide_prompt (void) {
  int rows = 0, cols = 0, pos, up;
  if (!prompt_active || hidden) return;
  rl_get_screen_size(&rows, &cols);
  pos = text_width(prompt_text, -1) +
        (rl_line_buffer ? text_width(rl_line_buffer, rl_point) : 0);
  up = cols > 0 ? pos / cols : 0;
  fputc('\r', stdout);
  if (up > 0) fprintf(stdout, "\033[%dA", up);
  fputs("\033[J", stdout);
  fflush(stdout);
  hidden = 1;
  at_col0 = 1;
}

/* Draws the prompt and the partial input again, on a line of its own. */
static void show_prompt (void) {
  if (!hidden) return;
  hidden = 0;
  if (!prompt_active) return;
  if (!at_col0) fputc('\n', stdout);
  at_col0 = 1;
  fflush(stdout);
  rl_forced_update_display();
}

/* Runs before the loop blocks: output of this pass is out, redraw. */
static void on_redraw (uv_prepare_t *p) {
  (void)p;
  show_prompt();
}

static void on_rl_line (char *line) {
  line_done = 1;
  done_line = line;
}

/* Makes libedit show 'prompt' and collect a new line. */
static void install_prompt (const char *prompt) {
  char *copy = strdup(prompt);
  if (copy == NULL) return;
  free(prompt_text);
  prompt_text = copy;
  if (!at_col0) fputc('\n', stdout);
  at_col0 = 1;
  fflush(stdout);
  if (prompt_active) rl_callback_handler_remove();
  rl_done = 0;
  rl_callback_handler_install(prompt_text, on_rl_line);
  prompt_active = 1;
  hidden = 0;
  fresh = 1;
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
  if (fresh && rl_end == 0) rl_done = 1;
  return 0;
}


/* ---------------------------------------------------- delivering lines */

/* Calls on_line(line) (nil at end of input) through the one protected
** call, so nextTicks queued by the line run right after it. */
void repl_deliver (const char *line, size_t len) {
  lua_State *L = repl_L;
  if (stopped || L == NULL || ludp_state() == NULL) return;
  lua_rawgeti(L, LUA_REGISTRYINDEX, line_ref);
  if (line != NULL)
    lua_pushlstring(L, line, len);
  else
    lua_pushnil(L);
  ludp_call(L, 1);
}

int repl_stopped (void) {
  return stopped;
}

/* Whether fd 0, reported readable, has nothing to read: hung up. */
static int input_gone (void) {
  int n = 0;
  return ioctl(0, FIONREAD, &n) == 0 && n == 0;
}

static void on_stdin (uv_poll_t *p, int status, int events) {
  (void)p;
  if (stopped) return;
  show_prompt(); /* libedit must see its own display */
  if (status < 0 || (events & UV_DISCONNECT) || input_gone()) {
    if (prompt_active) rl_callback_handler_remove();
    prompt_active = 0;
    repl_deliver(NULL, 0);
    return;
  }
  rl_callback_read_char();
  fresh = 0;
  if (line_done) {
    line_done = 0;
    prompt_active = 0; /* libedit has finished with the line */
    rl_callback_handler_remove();
    at_col0 = 1;
    repl_deliver(done_line, done_line ? strlen(done_line) : 0);
    free(done_line);
    done_line = NULL;
    if (!stopped && !prompt_active && prompt_text != NULL)
      install_prompt(prompt_text); /* on_line failed before prompting */
  }
}

/* Ctrl-C reached the loop: cancel the line being typed. */
static void on_sigint (uv_signal_t *s, int sig) {
  (void)s;
  (void)sig;
  if (repl_sigint_reached_loop()) return; /* it interrupted a stuck callback */
  if (stopped || !prompt_active) return;
  show_prompt();
  fputs("^C\n", stdout); /* the typed text stays, as in shells */
  fflush(stdout);
  rl_callback_handler_remove();
  prompt_active = 0;
  at_col0 = 1;
  lua_rawgeti(repl_L, LUA_REGISTRYINDEX, intr_ref);
  ludp_call(repl_L, 0);
  if (!stopped && !prompt_active && prompt_text != NULL)
    install_prompt(prompt_text);
  fresh = 0; /* no line ran: a NUL now is a Ctrl-Space */
}

static void on_sigwinch (uv_signal_t *s, int sig) {
  (void)s;
  (void)sig;
  if (prompt_active) rl_resize_terminal();
}

/* Back from Ctrl-Z: the shell has put the terminal in its own mode. Set
** libedit's again, keeping the text typed so far. */
static void on_sigcont (uv_signal_t *s, int sig) {
  char *text;
  (void)s;
  (void)sig;
  if (!prompt_active || prompt_text == NULL) return;
  text = strdup(rl_line_buffer ? rl_line_buffer : "");
  fputc('\n', stdout);
  at_col0 = 1;
  hidden = 0;
  install_prompt(prompt_text); /* cooked, then raw and a fresh prompt */
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
  lua_State *L = repl_L;
  size_t tlen = strlen(text), n = 0, i, k, cap;
  char **m;
  int top = lua_gettop(L);
  (void)start;
  (void)end;
  rl_attempted_completion_over = 1; /* never fall back to file names */
  lua_rawgeti(L, LUA_REGISTRYINDEX, comp_ref);
  lua_pushlstring(L, rl_line_buffer ? rl_line_buffer : "",
                  rl_line_buffer ? (size_t)rl_point : 0);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
    lua_settop(L, top);
    return NULL;
  }
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


int repl_term_ready (void) {
  return rl_ready;
}


/* --------------------------------------------------------------- Lua API */

/* At exit (os.exit from a callback, say), the terminal must not be left
** in libedit's raw mode. */
static void restore_terminal (void) {
  if (prompt_active) {
    prompt_active = 0;
    rl_callback_handler_remove();
  }
}

/* Whether libedit is there; if not, says why on stderr, once. */
static int editor_loaded (void) {
  const char *why = ludp_editline_load();
  if (why == NULL) return 1;
  fprintf(stderr, "ludp: line editing unavailable, reading plain lines (%s)\n",
          why);
  fflush(stderr);
  return 0;
}

/* replio.start(tty, on_line, on_interrupt, candidates) -> editing: whether
** the terminal is driven through libedit (false: plain lines). */
static int r_start (lua_State *L) {
  int flags;
  tty_mode = lua_toboolean(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  if (started) /* its handles are static: once per process */
    return luaL_error(L, "the REPL can run only once");
  repl_L = ludp_state();
  ludp_ref_set(L, &line_ref, 2);
  ludp_ref_set(L, &intr_ref, 3);
  ludp_ref_set(L, &comp_ref, 4);
  started = 1;
  stopped = 0;
  at_col0 = 1;
  if (tty_mode && !editor_loaded()) tty_mode = 0;
  if (!tty_mode) {
    repl_sigint_install(repl_L, 0);
    repl_plain_start();
    lua_pushboolean(L, 0);
    return 1;
  }
  if (!rl_ready) {
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
    rl_ready = 1;
  }
  rl_attempted_completion_function = attempt_completion;
  rl_basic_word_break_characters = word_breaks;
  rl_completer_word_break_characters = (char *)word_breaks;
  rl_completion_append_character = '\0';
  /* uv_poll_init makes fd 0 non-blocking; the terminal's file description
  ** is shared with stdout, whose writes must stay blocking. */
  flags = fcntl(0, F_GETFL);
  if (uv_poll_init(ludp_loop(), &stdin_poll, 0) != 0)
    return luaL_error(L, "cannot watch standard input");
  if (flags != -1) fcntl(0, F_SETFL, flags);
  uv_poll_start(&stdin_poll, UV_READABLE | UV_DISCONNECT, on_stdin);
  uv_signal_init(ludp_loop(), &sigint_handle);
  uv_signal_start(&sigint_handle, on_sigint, SIGINT);
  uv_unref((uv_handle_t *)&sigint_handle);
  uv_signal_init(ludp_loop(), &sigwinch_handle);
  uv_signal_start(&sigwinch_handle, on_sigwinch, SIGWINCH);
  uv_unref((uv_handle_t *)&sigwinch_handle);
  uv_signal_init(ludp_loop(), &sigcont_handle);
  uv_signal_start(&sigcont_handle, on_sigcont, SIGCONT);
  uv_unref((uv_handle_t *)&sigcont_handle);
  uv_prepare_init(ludp_loop(), &redraw_handle);
  uv_prepare_start(&redraw_handle, on_redraw);
  uv_unref((uv_handle_t *)&redraw_handle);
  repl_sigint_install(repl_L, 1); /* after libuv's, which it calls */
  lua_pushboolean(L, 1);
  return 1;
}

/* replio.prompt(text): shows the prompt and waits for a line. */
static int r_prompt (lua_State *L) {
  const char *p = luaL_checkstring(L, 1);
  if (tty_mode && started && !stopped) install_prompt(p);
  return 0;
}

/* replio.hide(): clears the prompt before output (it comes back later). */
static int r_hide (lua_State *L) {
  (void)L;
  if (tty_mode && !stopped) hide_prompt();
  return 0;
}

/* replio.wrote(at_line_start): tells where the last output left off. */
static int r_wrote (lua_State *L) {
  at_col0 = lua_toboolean(L, 1);
  return 0;
}

/* replio.stop(): no more lines; the terminal is left as it was found. */
static int r_stop (lua_State *L) {
  if (!started || stopped) return 0;
  stopped = 1;
  if (tty_mode) {
    if (prompt_active) rl_callback_handler_remove();
    prompt_active = hidden = 0;
    repl_sigint_restore(); /* libuv's handler, before its stop */
    uv_close((uv_handle_t *)&stdin_poll, NULL);
    uv_close((uv_handle_t *)&sigint_handle, NULL);
    uv_close((uv_handle_t *)&sigwinch_handle, NULL);
    uv_close((uv_handle_t *)&sigcont_handle, NULL);
    uv_close((uv_handle_t *)&redraw_handle, NULL);
    fflush(stdout);
  }
  else {
    repl_sigint_restore();
    repl_plain_stop();
  }
  free(prompt_text);
  prompt_text = NULL;
  ludp_ref_clear(L, &line_ref);
  ludp_ref_clear(L, &intr_ref);
  ludp_ref_clear(L, &comp_ref);
  return 0;
}


/* Number of active call levels of L (lauxlib's lastlevel). */
static int stack_depth (lua_State *L) {
  lua_Debug ar;
  int li = 1, le = 1;
  while (lua_getstack(L, le, &ar)) {
    li = le;
    le *= 2;
  }
  while (li < le) {
    int m = (li + le) / 2;
    if (lua_getstack(L, m, &ar))
      li = m + 1;
    else
      le = m;
  }
  return le;
}

/* Message handler of docall: keeps the error, stores a traceback of the
** user's code only (the levels of docall and below are cut off). */
static int msghandler (lua_State *L) {
  int below = (int)lua_tointeger(L, lua_upvalueindex(1));
  const char *tb, *cut;
  int n;
  luaL_traceback(L, L, NULL, 1);
  tb = lua_tostring(L, -1);
  cut = tb + strlen(tb);
  /* the last levels are docall's and its callers' (while not elided) */
  for (n = 0; below <= 11 && n < below && cut > tb; n++)
    while (--cut > tb && *cut != '\n')
      ;
  if (below <= 11 && n == below)
    lua_pushlstring(L, tb, (size_t)(cut - tb));
  else
    lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, "ludp.repl.traceback");
  lua_settop(L, 1);
  return 1;
}

/*
** replio.docall(fn, ...) -> true, results... | false, err, traceback
** Runs a line (lua.c's docall): Ctrl-C interrupts it meanwhile.
*/
static int r_docall (lua_State *L) {
  int status, n = lua_gettop(L);
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushinteger(L, stack_depth(L));
  lua_pushcclosure(L, msghandler, 1);
  lua_insert(L, 1);
  repl_sigint_line_begin();
  status = lua_pcall(L, n - 1, LUA_MULTRET, 1);
  repl_sigint_line_end();
  if (status == LUA_OK) {
    lua_pushboolean(L, 1);
    lua_replace(L, 1);
    return lua_gettop(L);
  }
  lua_pushboolean(L, 0);
  lua_replace(L, 1);
  lua_getfield(L, LUA_REGISTRYINDEX, "ludp.repl.traceback");
  return 3;
}


static const luaL_Reg replio_funcs[] = {{"start", r_start},
                                        {"prompt", r_prompt},
                                        {"hide", r_hide},
                                        {"wrote", r_wrote},
                                        {"stop", r_stop},
                                        {"docall", r_docall},
                                        {"history_add", repl_history_add},
                                        {"history_append", repl_history_append},
                                        {"history_write", repl_history_write},
                                        {NULL, NULL}};

int luaopen_ludp_replio (lua_State *L) {
  luaL_newlib(L, replio_funcs);
  return 1;
}
