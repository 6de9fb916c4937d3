/*
** repl_complete.c
** Tab at the terminal's prompt. The session gives the candidates for the
** text before the cursor (lua/ludp/complete.lua); those that begin with the
** word being typed match. Tab inserts what all matches share beyond the
** word; a second Tab in a row that adds nothing lists them under the
** input, in columns, and the prompt comes back under the list, as with
** readline.
*/

#include <stdlib.h>
#include <string.h>

#include "editline.h"
#include "repl_internal.h"


/* Characters that end the word being completed: "sock:se" completes "se". */
static const char word_breaks[] = " \t\n\"\\'`@$><=;|&{}()[],+-*/%^~#.:";

static int by_bytes (const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Prints the n matches in columns, down each column first. */
static void list (const char **m, size_t n) {
  size_t width = 0, cols, rows, r, c;
  for (r = 0; r < n; r++)
    if (strlen(m[r]) > width) width = strlen(m[r]);
  width += 2;
  cols = (size_t)repl_term_columns() / width;
  if (cols == 0) cols = 1;
  rows = (n + cols - 1) / cols;
  qsort(m, n, sizeof *m, by_bytes);
  for (r = 0; r < rows; r++) {
    for (c = 0; c < cols && c * rows + r < n; c++) {
      const char *s = m[c * rows + r];
      int last = c + 1 == cols || (c + 1) * rows + r >= n;
      fprintf(stdout, "%-*s", last ? 0 : (int)width, s);
    }
    fputc('\n', stdout);
  }
  fflush(stdout);
}

/* Inserts the bytes s[0..n) at the cursor. */
static int insert (EditLine *el, const char *s, size_t n) {
  wchar_t *w = repl_text_widen(s, n, 0);
  int ok = w != NULL && el_winsertstr(el, w) == 0;
  free(w);
  return ok;
}

/* With the candidates' list on top of L's stack. */
static unsigned char complete (EditLine *el, lua_State *L, const char *word,
                               size_t wlen, int again) {
  size_t cap = (size_t)lua_rawlen(L, -1), n = 0, i, k;
  const char **m = malloc((cap + 1) * sizeof *m);
  unsigned char action = CC_ERROR;
  if (m == NULL) return CC_ERROR;
  for (i = 1; i <= cap; i++) { /* the strings stay in the list meanwhile */
    size_t len;
    const char *s;
    lua_rawgeti(L, -1, (lua_Integer)i);
    s = lua_tolstring(L, -1, &len);
    lua_pop(L, 1);
    if (s != NULL && len >= wlen && memcmp(s, word, wlen) == 0 &&
        strlen(s) == len)
      m[n++] = s;
  }
  if (n > 0) {
    k = strlen(m[0]); /* the longest prefix every match has */
    for (i = 1; i < n; i++) {
      size_t j = 0;
      while (j < k && m[i][j] == m[0][j])
        j++;
      k = j;
    }
    while (k > wlen && ((unsigned char)m[0][k] & 0xC0) == 0x80)
      k--; /* not inside a character */
    if (k > wlen)
      action = insert(el, m[0] + wlen, k - wlen) ? CC_REFRESH : CC_ERROR;
    else if (n == 1)
      action = CC_NORM; /* the word is complete */
    else if (again) {
      repl_term_below(el);
      list(m, n);
      repl_term_redraw(el); /* the prompt under the list */
      action = CC_NORM;
    }
  }
  free(m);
  return action;
}

unsigned char repl_complete (EditLine *el, int again) {
  const LineInfoW *li = el_wline(el);
  size_t blen, wlen;
  char *before = repl_text_narrow(li->buffer, (size_t)(li->cursor - li->buffer),
                                  &blen);
  const char *word;
  unsigned char action = CC_ERROR;
  lua_State *L;
  if (before == NULL) return CC_ERROR;
  word = before + blen;
  while (word > before && strchr(word_breaks, word[-1]) == NULL)
    word--;
  wlen = (size_t)(before + blen - word);
  L = repl_candidates(before, blen);
  if (L != NULL) {
    int top = lua_gettop(L) - 1; /* below the list */
    action = complete(el, L, word, wlen, again);
    lua_settop(L, top);
  }
  free(before);
  return action;
}
