#!/bin/bash
# examples/statsd.lua with the npm hot-shots client (installed by this
# test into the build folder: npm install --prefix <build>/npm hot-shots)
# sending 100,000 metrics on loopback in one burst, batched into
# datagrams of up to 1400 bytes as hot-shots does with maxBufferSize:
# 60,000 increments, 10,000 gauge deltas (gaugeDelta), 10,000 timings and
# 10,000 distinct set members (and ten timings for the p90 first). The
# totals must be exact with the receive buffer the example sets
# (tests/statsd_totals.lua; kernelDrops 0). Skipped (77) with the reason
# when node or npm is missing, or npm cannot install hot-shots.
set -euo pipefail
. tests/example_lib.sh
. tests/statsd_lib.sh

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (the hot-shots client runs on Node.js)"
    exit 77
  fi
done
prefix="${LUDP_BUILD:-$(dirname "$LUDP")}/npm"
if [ ! -d "$prefix/node_modules/hot-shots" ] &&
   ! timeout 120 npm install --prefix "$prefix" --no-audit --no-fund \
       hot-shots >/dev/null 2>&1; then
  echo "SKIP: npm could not install hot-shots into $prefix (no registry?)"
  exit 77
fi

port=$(free_port)
start server "$LUDP" examples/statsd.lua "$port" 127.0.0.1 100
wait_line server "^statsd listening 127\.0\.0\.1:$port every 100 ms\$"

NODE_PATH="$prefix/node_modules" timeout 30 node -e '
  const StatsD = require("hot-shots");
  const c = new StatsD({ host: "127.0.0.1", port: Number(process.argv[1]),
    maxBufferSize: 1400, bufferFlushInterval: 10,
    errorHandler: (e) => { console.error(e); process.exit(1); } });
  for (const v of [7, 1, 10, 3, 9, 2, 8, 4, 6, 5]) c.timing("check.p90", v);
  for (let i = 1; i <= 100000; i++) {
    const k = i % 10, j = Math.floor(i / 10);
    if (k <= 5 || k == 6) c.increment("burst.count", 1);
    else if (k == 7) c.gaugeDelta("burst.gauge", j % 2 == 0 ? 1 : -3);
    else if (k == 8) c.timing("burst.time", j % 1000 + 1);
    else c.set("burst.users", "u" + j);
  }
  c.close((err) => {
    if (err) { console.error(err); process.exit(1); }
    console.log("hot-shots sent 100010 metrics");
  });' "$port"

# hot-shots has no sampled counter here (it samples at random): the
# 10,000 of them are plain increments, so the count is 70,000.
statsd_check 100010 hot-shots

kill -TERM "$(pid_of server)"
wait_line server '"metrics":0'
finish server 0
echo "ok"
