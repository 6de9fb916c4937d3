#!/bin/bash
# Smoke test: examples/dns_server.lua with a zone given on its command
# line, on a free port of 127.0.0.1; examples/dns_client.lua asks it for
# names of the zone (case aside), one it does not have, and the default
# zone's; then asks a port where no one answers and times out after its
# retries. SIGTERM stops the server with status 0.
set -euo pipefail
. tests/example_lib.sh

port=$(free_port)
start server "$LUDP" examples/dns_server.lua "$port" 127.0.0.1 \
  host.test=10.1.2.3 other.test=10.9.8.7
wait_line server "^dns server listening 127\.0\.0\.1:$port\$"

out=$(timeout 20 "$LUDP" examples/dns_client.lua 127.0.0.1 "$port" \
        host.test Other.Test. www.example.test | LC_ALL=C sort)
echo "$out"
[ "$out" = "$(printf '%s\n' 'Other.Test. A 10.9.8.7' \
               'host.test A 10.1.2.3' 'www.example.test A 192.0.2.80' \
               'www.example.test A 192.0.2.81')" ]

status=0
out=$(timeout 20 "$LUDP" examples/dns_client.lua 127.0.0.1 "$port" \
        missing.test) || status=$?
echo "$out"
[ "$out" = "missing.test NXDOMAIN" ] && [ "$status" = 1 ]

# The bytes of one response: ID, flags QR AA RD (0x8500), counts, the
# question echoed, the answer's name a pointer to it (0xc00c), TTL 300.
hex=$(timeout 20 "$LUDP" -e '
  local ludp, dgram = require("ludp"), require("dgram")
  ludp.async(function()
    local s = dgram.createSocket("udp4")
    local q = string.pack(">I2I2I2I2I2I2", 0x1234, 0x0100, 1, 0, 0, 0) ..
              "\4host\4test\0\0\1\0\1"
    local r = assert(s:request(q, tonumber(arg[1]), "127.0.0.1"))
    print((r:gsub(".", function(c) return string.format("%02x", c:byte()) end)))
    s:close()
  end)' "$port")
echo "$hex"
want=123485000001000100000000           # header: 1 question, 1 answer
want+=04686f737404746573740000010001     # host.test A IN, as asked
want+=c00c000100010000012c00040a010203   # pointer, A IN, 300 s, 10.1.2.3
[ "$hex" = "$want" ]

kill -TERM "$(pid_of server)"
wait_line server '^dns server closing: '
finish server 0

# Nobody on that port any more: 3 tries of 500 ms, then timed out.
status=0
out=$(timeout 20 "$LUDP" examples/dns_client.lua 127.0.0.1 "$port" \
        host.test) || status=$?
echo "$out"
[ "$out" = "host.test timed out" ] && [ "$status" = 1 ]
echo "ok"
