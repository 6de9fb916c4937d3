#!/bin/bash
# Smoke test: examples/connected_client.lua against examples/server.lua on
# a free port of 127.0.0.1: 'connect' names the peer, send() without an
# address reaches the server, which shows the client's port; SIGTERM
# stops the server.
set -euo pipefail
. tests/example_lib.sh

port=$(free_port)
start server "$LUDP" examples/server.lua "$port" 127.0.0.1
wait_line server "^server listening 127\.0\.0\.1:$port\$"

start client "$LUDP" examples/connected_client.lua "$port" 127.0.0.1 "hi, peer"
wait_line client "^connected to 127\.0\.0\.1:$port\$"
wait_line client '^sent 8 bytes$'
finish client 0
wait_line server '^server got: hi, peer from 127\.0\.0\.1:[0-9]+$'

kill -TERM "$(pid_of server)"
finish server 0
echo "ok"
