#!/bin/sh
# The soak of docs/reliability.md: an echo server (bench/soak.lua server)
# under a flood from a client (bench/soak.lua client) on 127.0.0.1, each on
# its own core when taskset can pin them. Bounded in count and in time;
# prints both sides' counts, the send queue and RSS figures, then PASS or
# FAIL (exit status 0 or 1).
#   bench/soak.sh [COUNT [SIZE [WINDOW]]]      default 1000000 64 256
#   LUDP=path/to/ludp SOAK_SECS=300 bench/soak.sh
#   cmake --build build --target soak
set -eu
cd "$(dirname "$0")/.."
ludp=${LUDP:-build/ludp}
count=${1:-1000000}
size=${2:-64}
window=${3:-256}
secs=${SOAK_SECS:-300}
[ -x "$ludp" ] || { echo "soak: $ludp not built (scripts/setup)" >&2; exit 2; }

pin0="" pin1=""
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  pin0="taskset -c 0" pin1="taskset -c 1"
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086
$pin0 "$ludp" bench/soak.lua server >"$out" &
server=$!
if ! timeout 10 sh -c "until grep -q '^port' '$out'; do sleep 0.05; done"; then
  echo "soak: the server did not start" >&2
  kill "$server" 2>/dev/null || true
  exit 1
fi
port=$(sed -n 's/^port \([0-9]*\) .*/\1/p' "$out")
echo "soak: server pid $server on 127.0.0.1:$port; $count datagrams of" \
     "$size bytes, window $window, at most $secs s"

status=0
# shellcheck disable=SC2086
timeout $((secs + 30)) $pin1 "$ludp" bench/soak.lua client "$port" \
  "$count" "$size" "$window" "$secs" || status=$?

# The client told the server to quit; it must be gone within 5 s.
i=0
while kill -0 "$server" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.05
  i=$((i + 1))
done
if kill -0 "$server" 2>/dev/null; then
  echo "soak: FAIL: the server did not exit when told to" >&2
  kill "$server" 2>/dev/null || true
  status=1
fi
wait "$server" 2>/dev/null || true
exit $status
