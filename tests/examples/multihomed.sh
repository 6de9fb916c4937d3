#!/bin/bash
# Smoke test: examples/multihomed.lua bound to 0.0.0.0 on a free port;
# a client on 127.0.0.1 asks it at 127.0.0.2 and then at 127.0.0.3 (both
# loopback on Linux) and must get each answer from the address it asked,
# which the server also prints; SIGTERM stops it with status 0.
set -euo pipefail
. tests/example_lib.sh

port=$(free_port)
start server "$LUDP" examples/multihomed.lua "$port"
wait_line server "^multihomed listening 0\.0\.0\.0:$port\$"

out=$(timeout 10 "$LUDP" -e '
  local dgram = require("dgram")
  local port = tonumber(arg[1])
  local asked = { "127.0.0.2", "127.0.0.3" }
  local c = dgram.createSocket("udp4")
  c:on("message", function(msg, rinfo)
    print(msg .. " from " .. rinfo.address)
    table.remove(asked, 1)
    if #asked == 0 then return c:close() end
    c:send("q2", port, asked[1])
  end)
  c:bind(0, "127.0.0.1", function() c:send("q1", port, asked[1]) end)
' "$port")
echo "client: $out"
[ "$out" = "127.0.0.2 answers: q1 from 127.0.0.2
127.0.0.3 answers: q2 from 127.0.0.3" ]
wait_line server '^asked 127\.0\.0\.2 on interface [0-9]+ by 127\.0\.0\.1:[0-9]+$'
wait_line server '^asked 127\.0\.0\.3 on interface [0-9]+ by 127\.0\.0\.1:[0-9]+$'

kill -TERM "$(pid_of server)"
wait_line server '^multihomed closing$'
finish server 0
echo "ok"
