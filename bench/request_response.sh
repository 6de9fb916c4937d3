#!/usr/bin/env bash
# bench/request_response.sh - request/response round trips with coroutines
# (sock:request) and with callbacks, in the same run, against
# examples/echo.lua on a free port of 127.0.0.1 (bench/request_response.lua
# says what each variant does). Prints exchanges per second and the
# client's CPU per exchange, round by round, and the ratio of CPU per
# exchange, coroutines over callbacks.
#
#   bench/request_response.sh [EXCHANGES] [ROUNDS] [CHAINS]
#   LUDP=build/ludp   the host (both sides)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LUDP=${LUDP:-build/ludp}
[ -x "$LUDP" ] || { echo "bench: $LUDP not found: build ludp first" >&2; exit 2; }
port=$(timeout 10 "$LUDP" -e '
  local s = require("dgram").createSocket("udp4")
  s:bind(0, "127.0.0.1", function() print(s:address().port); s:close() end)')
timeout 600 "$LUDP" examples/echo.lua "$port" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
sleep 0.2
timeout 600 "$LUDP" bench/request_response.lua "$port" "$@"
