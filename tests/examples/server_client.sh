#!/bin/bash
# Smoke test: examples/server.lua (Node's documentation server) on a free
# port of 127.0.0.1, examples/client.lua sending it two messages, the
# server printing each with the client's address; SIGTERM stops it with
# status 0.
set -euo pipefail
. tests/example_lib.sh

port=$(free_port)
start server "$LUDP" examples/server.lua "$port" 127.0.0.1
wait_line server "^server listening 127\.0\.0\.1:$port\$"

out=$(timeout 10 "$LUDP" examples/client.lua "$port" 127.0.0.1 "hello server")
echo "client: $out"
[ "$out" = "client sent 12 bytes to 127.0.0.1:$port" ]
wait_line server '^server got: hello server from 127\.0\.0\.1:[0-9]+$'

timeout 10 "$LUDP" examples/client.lua "$port" 127.0.0.1 >/dev/null  # default message
wait_line server '^server got: Some bytes from 127\.0\.0\.1:[0-9]+$'

kill -TERM "$(pid_of server)"
wait_line server '^server closing$'
finish server 0
echo "ok"
