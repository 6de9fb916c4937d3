#!/usr/bin/env bash
# bench/wake_to_send.sh - a lone datagram's time from the server's wake-up
# to its reply's send, ludp next to plain C libuv, and the round trips.
#
#   bench/wake_to_send.sh [ROUNDS [N]]     (3 rounds of 10,000 round trips)
#
# Starts build/ludp examples/echo.lua and bench/bin/echo_uv, each with
# bench/wake_to_send.c preloaded, on CPU 0; sends them 64 B round trips in
# turn from CPU 1 (loadgen pingpong with two ports, 100 us between round
# trips); then stops them, and each prints the percentiles of its
# wake-up-to-send time. Loopback only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${1:-3} N=${2:-10000}
LUDP=${LUDP:-build/ludp}
[ -x "$LUDP" ] || { echo "bench/wake_to_send.sh: build ludp first" >&2; exit 2; }
mkdir -p bench/bin
cc -O2 -Wall -Wextra -o bench/bin/loadgen bench/loadgen.c
cc -O2 -Wall -Wextra -o bench/bin/echo_uv bench/echo_uv.c $(pkg-config --cflags --libs libuv)
cc -O2 -Wall -Wextra -shared -fPIC -o bench/bin/wake_to_send.so bench/wake_to_send.c -ldl
pin0=() pin1=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then pin0=(taskset -c 0) pin1=(taskset -c 1); fi
LG=bench/bin/loadgen
pu=$($LG freeport)
LD_PRELOAD=$PWD/bench/bin/wake_to_send.so "${pin0[@]}" bench/bin/echo_uv "$pu" 2>bench/bin/uv.err &
uv=$!
pl=$($LG freeport)
LD_PRELOAD=$PWD/bench/bin/wake_to_send.so "${pin0[@]}" "$LUDP" examples/echo.lua "$pl" 2>bench/bin/ludp.err &
lu=$!
trap 'kill $uv $lu 2>/dev/null || true' EXIT
"${pin1[@]}" $LG probe -p "$pu" >/dev/null && "${pin1[@]}" $LG probe -p "$pl" >/dev/null
for r in $(seq "$ROUNDS"); do
  "${pin1[@]}" $LG pingpong -p "$pu,$pl" -l uv-c,ludp -n "$N" -W 500 -g 100 -d 90 | sed "s/^/round $r: /"
done
kill -TERM $uv $lu
wait $uv $lu || true
echo "uv-c: $(grep wake_to_send bench/bin/uv.err)"
echo "ludp: $(grep wake_to_send bench/bin/ludp.err)"
