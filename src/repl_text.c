/*
** repl_text.c
** The text of the REPL on a terminal, between Lua's strings (bytes) and
** libedit's characters (wchar_t), and the columns it takes on the screen.
** Keys and lines are read as UTF-8, whatever the locale, so that what is
** typed reaches Lua byte for byte: a byte that is not part of a valid
** UTF-8 sequence becomes the character U+DC00 + its value, a lone
** surrogate that no valid UTF-8 decodes to (Python's "surrogateescape").
** libedit shows it as \U+DCxx, and it turns back into that byte.
*/

#define _XOPEN_SOURCE 700 /* wcwidth */

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "repl_internal.h"


#define ESCAPED(b) ((wchar_t)(0xDC00 + (b)))
#define IS_ESCAPED(c) ((c) >= 0xDC00 && (c) <= 0xDCFF)

size_t repl_text_decode (const char *str, size_t n, wchar_t *wc) {
  const unsigned char *s = (const unsigned char *)str;
  unsigned char lo = 0x80, hi = 0xBF; /* the second byte's range */
  size_t need, i;
  wchar_t c;
  if (s[0] < 0x80) {
    *wc = s[0];
    return 1;
  }
  if (s[0] >= 0xC2 && s[0] <= 0xDF) {
    need = 2;
    c = s[0] & 0x1F;
  }
  else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
    need = 3;
    c = s[0] & 0x0F;
    if (s[0] == 0xE0) lo = 0xA0; /* not overlong */
    if (s[0] == 0xED) hi = 0x9F; /* not a surrogate */
  }
  else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
    need = 4;
    c = s[0] & 0x07;
    if (s[0] == 0xF0) lo = 0x90; /* not overlong */
    if (s[0] == 0xF4) hi = 0x8F; /* not above U+10FFFF */
  }
  else {
    *wc = ESCAPED(s[0]);
    return 1;
  }
  for (i = 1; i < need; i++) {
    if (i >= n) return 0; /* a valid beginning: the rest may follow */
    if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xBF)) {
      *wc = ESCAPED(s[0]); /* the byte after it starts afresh */
      return 1;
    }
    c = (c << 6) | (s[i] & 0x3F);
  }
  *wc = c;
  return need;
}

wchar_t *repl_text_widen (const char *s, size_t n, int shown) {
  wchar_t *w = malloc((n + 1) * sizeof *w), bad = '?';
  size_t i = 0, k = 0;
  char buf[MB_LEN_MAX];
  mbstate_t st;
  if (w == NULL) return NULL;
  /* shown: only seen, never read back (a prompt): the replacement
  ** character, where the locale can show it */
  memset(&st, 0, sizeof st);
  if (shown && wcrtomb(buf, 0xFFFD, &st) != (size_t)-1) bad = 0xFFFD;
  while (i < n) {
    size_t len = repl_text_decode(s + i, n - i, &w[k]);
    if (len == 0) { /* cut short: its bytes, one by one */
      w[k] = ESCAPED((unsigned char)s[i]);
      len = 1;
    }
    if (w[k] == 0) w[k] = ESCAPED(0); /* not the end of the string */
    if (shown && IS_ESCAPED(w[k])) w[k] = bad;
    i += len;
    k++;
  }
  w[k] = 0;
  return w;
}

char *repl_text_narrow (const wchar_t *w, size_t n, size_t *len) {
  char *s = malloc(n * 4 + 1), *p = s;
  size_t i;
  if (s == NULL) return NULL;
  for (i = 0; i < n; i++) {
    unsigned long c = (unsigned long)w[i];
    if (IS_ESCAPED(c)) {
      *p++ = (char)(c - 0xDC00);
    }
    else if (c < 0x80) {
      *p++ = (char)c;
    }
    else if (c < 0x800) {
      *p++ = (char)(0xC0 | (c >> 6));
      *p++ = (char)(0x80 | (c & 0x3F));
    }
    else if (c < 0x10000) {
      *p++ = (char)(0xE0 | (c >> 12));
      *p++ = (char)(0x80 | ((c >> 6) & 0x3F));
      *p++ = (char)(0x80 | (c & 0x3F));
    }
    else {
      if (c > 0x10FFFF) c = 0xFFFD;
      *p++ = (char)(0xF0 | (c >> 18));
      *p++ = (char)(0x80 | ((c >> 12) & 0x3F));
      *p++ = (char)(0x80 | ((c >> 6) & 0x3F));
      *p++ = (char)(0x80 | (c & 0x3F));
    }
  }
  *p = '\0';
  if (len != NULL) *len = (size_t)(p - s);
  return s;
}


/* ---------------------------------------------------- columns on screen */

/* One cell 'w' columns wide, as libedit's re_putc places it: a wide one
** that does not fit moves to the next row; a full row wraps at once. */
static void put (struct repl_pos *at, int w, int cols) {
  while (at->col + w > cols && at->col > 0)
    put(at, 1, cols);
  at->col += w;
  if (at->col >= cols) {
    at->row++;
    at->col = 0;
  }
}

/* The cells of a character of the line, as libedit's re_addc draws it. */
static void put_char (struct repl_pos *at, wchar_t c, int cols) {
  if (c == '\t') {
    do
      put(at, 1, cols);
    while (at->col % 8 != 0);
  }
  else if (c == '\n') {
    at->row++;
    at->col = 0;
  }
  else if (c < 0x100 && iswcntrl((wint_t)c)) {
    put(at, 1, cols); /* ^X */
    put(at, 1, cols);
  }
  else if (iswprint((wint_t)c)) {
    int w = wcwidth(c);
    put(at, w < 0 ? 0 : w, cols);
  }
  else { /* \U+XXXX, \U+XXXXX */
    int i;
    for (i = c > 0xFFFF ? 8 : 7; i > 0; i--)
      put(at, 1, cols);
  }
}

void repl_text_advance (struct repl_pos *at, const wchar_t *w, size_t n,
                        int prompt, int cols) {
  size_t i;
  int literal = 0;
  if (cols <= 0) cols = 80;
  for (i = 0; i < n; i++) {
    if (!prompt) {
      put_char(at, w[i], cols);
    }
    else if (w[i] == REPL_PROMPT_IGNORE) {
      literal = !literal; /* terminal controls: no columns */
    }
    else if (!literal) {
      int cw = wcwidth(w[i]);
      put(at, cw < 0 ? 0 : cw, cols);
    }
  }
}
