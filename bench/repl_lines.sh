#!/bin/sh
# The REPL reading plain lines: seconds for `ludp -i < file` to take one
# long line (`x = "AAA..."`, of each size in MB) and print its length, for
# each binary given, in one run. A reader that rescans what it holds for
# every chunk read grows with the square of the line.
#   bench/repl_lines.sh [path/to/ludp...]    (sizes: REPL_LINES_MB="1 16 64")
# A run stops after REPL_LINES_LIMIT seconds (600), printed as "> 600".
set -eu
[ $# -gt 0 ] || set -- build/ludp
sizes=${REPL_LINES_MB:-1 16 64}
limit=${REPL_LINES_LIMIT:-600}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-28s %8s %10s\n' binary "line MB" seconds
for mb in $sizes; do
  n=$((mb * 1024 * 1024))
  # one line of n bytes, then the line that prints its string's length
  { printf 'x = "'
    head -c $((n - 6)) /dev/zero | tr '\0' A
    printf '"\n#x\n'; } > "$tmp/in"
  for ludp in "$@"; do
    start=$(date +%s%N)
    status=0
    out=$(timeout "$limit" "$ludp" -i < "$tmp/in") || status=$?
    end=$(date +%s%N)
    if [ "$status" -eq 124 ]; then
      printf '%-28s %8d %10s\n' "$ludp" "$mb" "> $limit"
      continue
    fi
    if [ "$out" != "$((n - 6))" ]; then
      echo "repl_lines: $ludp printed '$out' for a $mb MB line" >&2
      exit 1
    fi
    awk -v b="$ludp" -v mb="$mb" -v ns=$((end - start)) \
      'BEGIN { printf "%-28s %8d %10.2f\n", b, mb, ns / 1e9 }'
  done
done
