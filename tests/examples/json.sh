#!/bin/bash
# Smoke test: examples/json_client.lua and examples/json_server.lua on a
# free port of 127.0.0.1. The client starts first, so its first requests
# are lost: once it printed a retry the server starts, and the client gets
# every answer through its retries and exits 0. A shutdown request (sent
# with examples/client.lua) stops the server.
set -euo pipefail
. tests/example_lib.sh

port=$(free_port)
start client "$LUDP" examples/json_client.lua "$port" 127.0.0.1 200 25
wait_line client '^retry [0-9]+ \(attempt 2\)$'

start server "$LUDP" examples/json_server.lua "$port" 127.0.0.1
wait_line server "^json server listening 127\.0\.0\.1:$port\$"

# The answers come in any order (request 1 may need one more retry than
# the others): read everything the client prints until it exits.
lines=$(while IFS= read -r l <&"${_ex_fd[client]}"; do echo "$l"; done)
echo "$lines" | sed 's/^/client: /'
wait "$(pid_of client)"; unset "_ex_pid[client]"
grep -qx 'answer 1: 6' <<< "$lines"
grep -qx 'answer 2: "HELLO"' <<< "$lines"
grep -qx 'answer 3: \["a",1,true\]' <<< "$lines"
grep -qx 'answer 4: error: unknown op: frobnicate' <<< "$lines"
[ "$(tail -n 1 <<< "$lines")" = "all answered" ]

timeout 10 "$LUDP" examples/client.lua "$port" 127.0.0.1 \
  '{"id": 0, "op": "shutdown"}' >/dev/null
wait_line server '-> \{.*"result":"bye"'
wait_line server '^json server closing$'
finish server 0
echo "ok"
