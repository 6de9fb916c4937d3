#!/usr/bin/env bash
# bench/workers.sh - echo throughput of `ludp --workers N` under a
# many-peer load, for N = 1 and 2 (examples/echo.lua, unchanged).
#
#   bench/workers.sh
#
# PEERS load generators (bench/loadgen flood, one connected socket each, so
# PEERS source ports: the kernel's SO_REUSEPORT hash spreads peers, not
# datagrams) flood the server at once for SECS seconds, each with WINDOW
# datagrams in flight, sleeping in ppoll when they wait (-S): they share the
# machine's cores with the workers, nothing is pinned. Per run: the echoes
# per second of all peers together, the loss, the workers' CPU (user +
# system, /proc/PID/stat) per echoed datagram, and each worker's share of
# a core. ROUNDS rounds, the N alternating. Loopback only.
#
# Environment: LUDP=build/ludp  WORKERS="1 2"  PEERS=8  SIZE=64  SECS=2
#              WINDOW=32  ROUNDS=3  CC=cc
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

LUDP=${LUDP:-build/ludp}
WORKERS=${WORKERS:-"1 2"}
PEERS=${PEERS:-8}
SIZE=${SIZE:-64}
SECS=${SECS:-2}
WINDOW=${WINDOW:-32}
ROUNDS=${ROUNDS:-3}
CC=${CC:-cc}
HZ=$(getconf CLK_TCK)
LG=bench/bin/loadgen

[ -x "$LUDP" ] || { echo "bench/workers.sh: build $LUDP first" >&2; exit 2; }
mkdir -p bench/bin
if [ ! -x "$LG" ] || [ bench/loadgen.c -nt "$LG" ]; then
  "$CC" -O2 -g -Wall -Wextra -o "$LG" bench/loadgen.c
fi
tmp=$(mktemp -d)
sup=
cleanup() { [ -n "$sup" ] && kill -TERM "$sup" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

ticks() { # pid -> utime + stime
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}

echo "ludp: $("$LUDP" --version); $(nproc) CPUs; $PEERS peers, ${SIZE} B," \
     "window $WINDOW each, ${SECS} s per run"
printf '%-6s %-7s %12s %8s %14s  %s\n' round workers pps loss_pct \
       "cpu_us/dgram" "each worker's share of a core"
for round in $(seq 1 "$ROUNDS"); do
  for n in $WORKERS; do
    port=$("$LG" freeport)
    "$LUDP" --workers "$n" examples/echo.lua "$port" 2>"$tmp/err" &
    sup=$!
    # Every worker answers before the flood starts (probe until N distinct
    # workers' sockets exist: each worker binds, so wait for N children).
    for _ in $(seq 1 200); do
      [ "$(pgrep -c -P "$sup" || true)" -ge "$n" ] && break
      sleep 0.01
    done
    "$LG" probe -p "$port" -d 10 >/dev/null
    pids=$(pgrep -P "$sup" | sort -n)
    declare -A before=()
    for p in $pids; do before[$p]=$(ticks "$p"); done
    for i in $(seq 1 "$PEERS"); do
      "$LG" flood -p "$port" -s "$SIZE" -d "$SECS" -w "$WINDOW" -S \
        -l "peer$i" > "$tmp/peer$i" &
    done
    wait $(jobs -p | grep -vx "$sup")
    total_ticks=0 shares=""
    for p in $pids; do
      t=$(( $(ticks "$p") - ${before[$p]} ))
      total_ticks=$((total_ticks + t))
      shares="$shares $(awk -v t="$t" -v hz="$HZ" -v s="$SECS" \
        'BEGIN { printf "%.0f%%", 100 * t / hz / s }')"
    done
    unset before
    cat "$tmp"/peer* | awk -v ticks="$total_ticks" -v hz="$HZ" \
      -v round="$round" -v n="$n" -v shares="$shares" '
      { for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
        echoed += f["echoed"]; sent += f["sent"]; lost += f["lost"]
        pps += f["pps"] }
      END { printf "%-6s %-7s %12.0f %8.3f %14.3f %s\n", round, n, pps,
              sent ? 100 * lost / sent : 0,
              echoed ? 1e6 * ticks / hz / echoed : 0, shares }'
    kill -TERM "$sup"
    wait "$sup" || true
    sup=
  done
done
