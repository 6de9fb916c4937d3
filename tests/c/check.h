/*
** check.h
** ASSERT for the C tests: on failure, the file, line and expression on
** stderr, then abort (ctest sees the signal; ASan prints its report).
*/

#ifndef LUDP_TEST_CHECK_H
#define LUDP_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define ASSERT(expr)                                                       \
  do {                                                                     \
    if (!(expr)) {                                                         \
      fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, \
              #expr);                                                      \
      abort();                                                             \
    }                                                                      \
  } while (0)

#endif
