#!/bin/sh
# Lint: the C sources follow .clang-format (Lua's library style; see the
# comments there). Reports, never rewrites: to fix a file, run
# `clang-format -i src/file.c` on a file you own and review the diff.
set -eu
cd "$(dirname "$0")/../.."
cf=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$cf" ] || { echo "clang-format: not installed (apt-get install clang-format)"; exit 1; }
status=0
for f in src/*.c src/*.h; do
  if ! "$cf" --dry-run --Werror "$f" 2>"${TMPDIR:-/tmp}/cf.$$"; then
    status=1
    n=$(grep -c "error:" "${TMPDIR:-/tmp}/cf.$$" || true)
    echo "clang-format: $f: $n line(s) to reformat"
    grep -A2 "error:" "${TMPDIR:-/tmp}/cf.$$" | head -n 30
  fi
done
rm -f "${TMPDIR:-/tmp}/cf.$$"
[ "$status" -eq 0 ] && echo "clang-format: src/ clean"
exit "$status"
