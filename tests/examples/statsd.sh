#!/bin/bash
# examples/statsd.lua on a free port of 127.0.0.1, flushing every 100 ms,
# and a plain client (a ludp script) that sends 100,000 metrics in one
# burst, 50 to a datagram as StatsD clients batch them: 60,000 counter
# increments, 10,000 of a counter sampled at 0.1, 10,000 gauge deltas,
# 10,000 timings (1 to 1000 ten times) and 10,000 distinct set members;
# first one datagram of ten timings for the p90. The test reads the
# flushes until they counted every metric, then tests/statsd_totals.lua
# checks the totals exactly, with kernelDrops 0 (the example's receive
# buffer holds the burst), and the p90. SIGTERM flushes and stops it.
set -euo pipefail
. tests/example_lib.sh
. tests/statsd_lib.sh

port=$(free_port)
start server "$LUDP" examples/statsd.lua "$port" 127.0.0.1 100
wait_line server "^statsd listening 127\.0\.0\.1:$port every 100 ms\$"

timeout 20 "$LUDP" -e '
  local dgram = require("dgram")
  local port = tonumber(arg[1])
  local s = dgram.createSocket("udp4")
  s:send("check.p90:7|ms\ncheck.p90:1|ms\ncheck.p90:10|ms\ncheck.p90:3|ms\n" ..
         "check.p90:9|ms\ncheck.p90:2|ms\ncheck.p90:8|ms\ncheck.p90:4|ms\n" ..
         "check.p90:6|ms\ncheck.p90:5|ms", port, "127.0.0.1")
  local batch, sent = {}, 0
  for i = 1, 100000 do
    local k, j = i % 10, i // 10
    local m
    if k <= 5 then m = "burst.count:1|c"
    elseif k == 6 then m = "burst.sampled:1|c|@0.1"
    elseif k == 7 then m = j % 2 == 0 and "burst.gauge:+1|g" or "burst.gauge:-3|g"
    elseif k == 8 then m = "burst.time:" .. (j % 1000 + 1) .. "|ms"
    else m = "burst.users:u" .. j .. "|s" end
    batch[#batch + 1] = m
    if #batch == 50 then
      s:send(table.concat(batch, "\n"), port, "127.0.0.1")
      batch, sent = {}, sent + 1
    end
  end
  s:close()
  print("sent 100000 metrics in " .. sent .. " datagrams")' "$port"

# The flushes, until they counted 100,010 metrics
statsd_check 100010 sampled

kill -TERM "$(pid_of server)"
wait_line server '"metrics":0'
finish server 0
echo "ok"
