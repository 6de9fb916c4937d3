#!/usr/bin/env bash
# bench/epoll_cost.sh - what an event loop costs the batched echo, in plain
# C: bench/echo_mmsg.c in its four ECHO_MMSG_MODEs (block: the mmsg-c
# ceiling of bench/run; registered: the same with the socket in an epoll
# set nobody waits on; loop: non-blocking reads and epoll_wait, as libuv;
# quiet: loop, with the socket out of the set while the replies leave, as
# ludp's src/udp_quiet.c), and ludp's echo (examples/echo.lua), flooded
# in turn from PEERS source addresses.
#
#   bench/epoll_cost.sh
#
# Each round runs every server once, in the same order: the server pinned
# to CPU 0, bench/loadgen flood -P PEERS pinned to CPU 1 (busy-polling),
# WINDOW datagrams in flight, SECS seconds. Per server: the median over
# rounds of its echoes per second and of its CPU (user + system,
# /proc/PID/stat) per echoed datagram, and the median of its per-round
# ratios to block. Loopback only; needs 2 CPUs and taskset.
#
# Environment: LUDP=build/ludp  PEERS=256  SIZE=64  WINDOW=  (min(256,
#              98304/SIZE), as bench/run)  SECS=2  ROUNDS=5  CC=cc
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

LUDP=${LUDP:-build/ludp}
PEERS=${PEERS:-256}
SIZE=${SIZE:-64}
WINDOW=${WINDOW:-$(( 98304 / SIZE > 256 ? 256 : 98304 / SIZE ))}
SECS=${SECS:-2}
ROUNDS=${ROUNDS:-5}
CC=${CC:-cc}
HZ=$(getconf CLK_TCK)
LG=bench/bin/loadgen
MM=bench/bin/echo_mmsg

[ -x "$LUDP" ] || { echo "bench/epoll_cost.sh: build $LUDP first" >&2; exit 2; }
if [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; then
  echo "bench/epoll_cost.sh: needs 2 CPUs and taskset" >&2
  exit 2
fi
mkdir -p bench/bin
for p in loadgen echo_mmsg; do
  if [ ! -x "bench/bin/$p" ] || [ "bench/$p.c" -nt "bench/bin/$p" ]; then
    "$CC" -O2 -g -Wall -Wextra -o "bench/bin/$p" "bench/$p.c"
  fi
done
PEER_OPT=()
[ "$PEERS" -gt 0 ] && PEER_OPT=(-P "$PEERS")
tmp=$(mktemp -d)
srv=
cleanup() { [ -n "$srv" ] && kill -TERM "$srv" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

LABELS=(block registered loop quiet ludp)
echo "$(nproc) CPUs, $(uname -r); $SIZE B from ${PEERS/#0/1} peer(s), window $WINDOW," \
     "$SECS s per run, $ROUNDS rounds; ludp: $("$LUDP" --version | head -n 1)"
for round in $(seq 1 "$ROUNDS"); do
  for l in "${LABELS[@]}"; do
    port=$("$LG" freeport)
    if [ "$l" = ludp ]; then
      taskset -c 0 "$LUDP" examples/echo.lua "$port" 2>"$tmp/err" &
    else
      ECHO_MMSG_MODE=$l taskset -c 0 "$MM" "$port" 2>"$tmp/err" &
    fi
    srv=$!
    "$LG" probe -p "$port" -d 10 >/dev/null
    taskset -c 1 "$LG" flood "${PEER_OPT[@]}" -p "$port" -s 64 -d 0.5 >/dev/null
    a=$(ticks "$srv")
    line=$(taskset -c 1 "$LG" flood "${PEER_OPT[@]}" -p "$port" -s "$SIZE" \
           -w "$WINDOW" -t 50 -d "$SECS" -l "$l")
    b=$(ticks "$srv")
    kill -TERM "$srv"; wait "$srv" 2>/dev/null || true; srv=
    echo "$round $l $((b - a)) $line" >>"$tmp/raw"
  done
done
awk -v hz="$HZ" '
  function kv(k,   i) { for (i = 4; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { r = $1; l = $2; pps[r, l] = kv("pps"); e = kv("echoed"); lost[l] += kv("lost")
    cpu[r, l] = e > 0 ? 1e6 * $3 / hz / e : 0; rounds[r] = 1; if (!(l in seen)) { seen[l] = 1; order[++nl] = l } }
  END {
    printf "%-11s %10s %9s %12s %6s\n", "server", "pps", "x block", "CPU us/dg", "lost"
    for (k = 1; k <= nl; k++) {
      l = order[k]; n = 0
      for (r in rounds) { n++; p[n] = pps[r, l]; c[n] = cpu[r, l]; x[n] = pps[r, "block"] > 0 ? pps[r, l] / pps[r, "block"] : 0 }
      printf "%-11s %10.0f %8.3fx %12.2f %6d\n", l, median(p, n), median(x, n), median(c, n), lost[l]
    }
  }' "$tmp/raw"
