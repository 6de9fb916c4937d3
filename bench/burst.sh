#!/usr/bin/env bash
# bench/burst.sh - RSS before, at the peak and after a burst is released,
# for each ludp binary given, each kind of burst (bench/burst.lua: 10,000
# sockets, a 1 GB backlog of queued sends, a large Lua table), in one
# table. A/B: the allocator of one build against another's (a build with
# -DLUDP_MIMALLOC=ON, say), in the same run.
#
#   bench/burst.sh [LUDP...]                 (default: build/ludp)
#
# Environment: KINDS="sockets sends table"  SETTLE_S=60 (seconds of RSS
# readings after the release; each run stops early once RSS has not moved
# for 10 s)  SOCKETS=10000  SEND_MB=1024  ROWS=2000000 (passed on).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ $# -gt 0 ] || set -- build/ludp
KINDS=${KINDS:-"sockets sends table"}
export SETTLE_S=${SETTLE_S:-60}
for b in "$@"; do
  [ -x "$b" ] || { echo "bench/burst.sh: $b is not an executable" >&2; exit 2; }
done
need=$((${SOCKETS:-10000} + 64))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null ||
    { echo "bench/burst.sh: needs ulimit -n $need (the hard limit is $(ulimit -Hn))" >&2; exit 2; }
fi
echo "bench/burst.sh $(date -u '+%Y-%m-%d %H:%M UTC'): $(nproc) CPU, Linux $(uname -r);" \
     "settle up to $SETTLE_S s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for b in "$@"; do echo "  $b: $("$b" --version | head -n 1)"; done
printf '%-8s %-28s %10s %10s %12s %11s %9s\n' kind binary "before kB" "peak kB" \
  "released kB" "settled kB" returned
for k in $KINDS; do
  for b in "$@"; do
    line=$(timeout 300 "$b" bench/burst.lua "$k" | grep '^burst ' || true)
    [ -n "$line" ] || { printf '%-8s %-28s failed\n' "$k" "$b"; continue; }
    kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    printf '%-8s %-28s %10s %10s %12s %11s %8s%%  (%s s)\n' "$k" "$b" "$(kv before_kb)" \
      "$(kv peak_kb)" "$(kv released_kb)" "$(kv settled_kb)" "$(kv returned_pct)" "$(kv settled_s)"
  done
done
