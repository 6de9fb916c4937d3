#!/bin/sh
# Start-up time and peak RSS of `ludp -e ''`, next to `lua5.4 -e ''` and
# `node -e ''`, measured in the same run (ratios are what compare: this
# machine's speed drifts). Needs hyperfine and GNU time (Debian packages).
#   bench/startup.sh [path/to/ludp...]      (several: each one measured)
set -eu
[ $# -gt 0 ] || set -- build/ludp
for p in hyperfine time; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    { echo "startup: needs the Debian package $p" >&2; exit 2; }
done
for ludp in "$@"; do set -- "$@" "$ludp -e ''"; shift; done
set -- "$@" "lua5.4 -e ''"
command -v node >/dev/null && set -- "$@" "node -e ''"
csv=$(mktemp)
hyperfine -N --warmup 5 --runs 50 --export-csv "$csv" "$@" >/dev/null
printf '%-16s %10s %10s %12s\n' command "median ms" "mean ms" "peak RSS KB"
for c in "$@"; do
  rss=$( (/usr/bin/time -f %M sh -c "exec $c" >/dev/null) 2>&1 | tail -n 1)
  awk -F, -v cmd="$c" -v rss="$rss" '$1 == cmd {
    printf "%-16s %10.2f %10.2f %12s\n", cmd, $4 * 1000, $2 * 1000, rss }' "$csv"
done
rm -f "$csv"
