#!/bin/bash
# Smoke test: examples/stats.lua, an echo server on a free port of
# 127.0.0.1; examples/client.lua sends it two datagrams; SIGTERM makes it
# print its socket's counts (two received and echoed, nothing lost) and
# stop with status 0.
set -euo pipefail
. tests/example_lib.sh

port=$(free_port)
start server "$LUDP" examples/stats.lua "$port" 127.0.0.1
wait_line server "^stats listening 127\.0\.0\.1:$port\$"

timeout 10 "$LUDP" examples/client.lua "$port" 127.0.0.1 "hello" >/dev/null
timeout 10 "$LUDP" examples/client.lua "$port" 127.0.0.1 "again!" >/dev/null

kill -TERM "$(pid_of server)"
wait_line server '^stats received=2 \(11 bytes\) sent=2 \(11 bytes\) sendErrors=0 kernelDrops=0 truncated=0 blocked=0$'
finish server 0
echo "ok"
