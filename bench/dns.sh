#!/usr/bin/env bash
# bench/dns.sh - dnsperf (Debian's dnsperf) against examples/dns_server.lua
# and against NSD (Debian's nsd, one server process) serving the same
# zone, alternately in the same run, each pinned to one core, on a free
# port of 127.0.0.1. Prints, round by round, dnsperf's queries completed
# and lost and queries per second for each server, and the ratio
# ludp/NSD of each round. NSD runs unprivileged (as nobody when started
# as root), its config, zone and files in a temporary folder.
#
#   bench/dns.sh [QUERIES] [ROUNDS]     (100000 queries, 3 rounds)
#   LUDP=build/ludp   the host
#   SERVER_CPU=0 CLIENT_CPU=1           the cores (taskset)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LUDP=${LUDP:-build/ludp}
QUERIES=${1:-100000}
ROUNDS=${2:-3}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
[ -x "$LUDP" ] || { echo "bench: $LUDP not found: build ludp first" >&2; exit 2; }
nsd=$(command -v nsd || PATH=$PATH:/usr/sbin command -v nsd || true)
for tool in dnsperf:dnsperf "$nsd":nsd taskset:util-linux; do
  [ -n "${tool%%:*}" ] && command -v "${tool%%:*}" >/dev/null || {
    echo "bench: ${tool#*:} is not installed (Debian: ${tool#*:}; scripts/setup installs it)" >&2
    exit 2
  }
done

free_port() {
  timeout 10 "$LUDP" -e '
    local s = require("dgram").createSocket("udp4")
    s:bind(0, "127.0.0.1", function() print(s:address().port); s:close() end)'
}

dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# The example's zone as a zone file (NSD needs an SOA and an NS too).
big=$(printf 'a%.0s' $(seq 230)) bigb=$(printf 'b%.0s' $(seq 230))
bigc=$(printf 'c%.0s' $(seq 230))
cat > "$dir/example.test.zone" <<ZONE
\$ORIGIN example.test.
\$TTL 300
@        SOA ns.example.test. hostmaster.example.test. 1 3600 900 604800 300
@        NS  ns.example.test.
@        A    192.0.2.1
@        AAAA 2001:db8::1
@        TXT  "v=spf1 -all"
www      A    192.0.2.80
www      A    192.0.2.81
www      AAAA 2001:db8::80
ipv6only AAAA 2001:db8:0:1::6
txt      TXT  "hello" "world"
txt      TXT  "a second record"
big      TXT  "$big" "$bigb" "$bigc"
ZONE
# What dnsperf asks: each type, a name without the type, a missing name.
cat > "$dir/queries" <<Q
www.example.test A
www.example.test AAAA
example.test TXT
txt.example.test TXT
ipv6only.example.test A
nope.example.test A
Q
lines=$(wc -l < "$dir/queries")

ludp_port=$(free_port)
nsd_port=$(free_port)
cat > "$dir/nsd.conf" <<CONF
server:
  ip-address: 127.0.0.1@$nsd_port
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$dir"
  database: ""
  zonelistfile: "$dir/zone.list"
  xfrdfile: "$dir/xfrd.state"
  xfrdir: "$dir"
  pidfile: "$dir/nsd.pid"
  logfile: "$dir/nsd.log"
  hide-version: yes
  # NSD limits answers per client by default (response rate limiting):
  # dnsperf is one client, so off
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: example.test
  zonefile: example.test.zone
CONF
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  chown -R nobody "$dir"
  chmod 755 "$dir"
  run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi

taskset -c "$SERVER_CPU" "${run_as[@]}" "$nsd" -d -c "$dir/nsd.conf" &
nsd_pid=$!
pids+=($!)
taskset -c "$SERVER_CPU" "$LUDP" examples/dns_server.lua "$ludp_port" \
  127.0.0.1 > "$dir/ludp.log" &
ludp_pid=$!
pids+=($!)

# Both answer before the rounds start.
for port in "$ludp_port" "$nsd_port"; do
  for _ in $(seq 100); do
    dig @127.0.0.1 -p "$port" +norecurse +short +time=1 +tries=1 \
      example.test A 2>/dev/null | grep -q 192.0.2.1 && break
    sleep 0.1
  done
done

# dnsperf: one client thread, 100 queries outstanding, EDNS0 on, the
# query file read again until QUERIES were sent.
perf() {
  taskset -c "$CLIENT_CPU" dnsperf -s 127.0.0.1 -p "$1" -d "$dir/queries" \
    -n $(( QUERIES / lines )) -c 1 -T 1 -q 100 -t 2 -e 2>&1
}
field() { awk -v k="$1" '$0 ~ k { print $'"$2"'; exit }'; }
# CPU ticks (user + system) of a process and all its descendants (NSD's
# first process becomes xfrd, which forks main, which forks the server).
ticks() {
  local p t
  # after the name in parentheses (NSD's hold spaces): utime, stime
  t=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null |
      awk '{ print $12 + $13 }' || echo 0)
  [ -n "$t" ] || t=0
  for p in $(pgrep -P "$1" || true); do t=$((t + $(ticks "$p"))); done
  echo "$t"
}
hz=$(getconf CLK_TCK)

# qps: what dnsperf measured (with one client thread it may be the
# bound); cpu/query: the server's own CPU time per query answered.
printf '%-6s %-6s %10s %8s %12s %14s\n' round server completed lost qps \
  "cpu/query(us)"
for r in $(seq "$ROUNDS"); do
  declare -A qps=() cpu=()
  for server in ludp nsd; do
    port=$ludp_port pid=$ludp_pid
    [ "$server" = nsd ] && port=$nsd_port pid=$nsd_pid
    t0=$(ticks "$pid")
    out=$(perf "$port")
    t1=$(ticks "$pid")
    done_=$(echo "$out" | field 'Queries completed:' 3)
    lost=$(echo "$out" | field 'Queries lost:' 3)
    qps[$server]=$(echo "$out" | field 'Queries per second:' 4)
    cpu[$server]=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$done_" \
                     'BEGIN { printf "%.2f", t / hz / n * 1e6 }')
    printf '%-6s %-6s %10s %8s %12.0f %14s\n' "$r" "$server" "$done_" \
      "$lost" "${qps[$server]}" "${cpu[$server]}"
  done
  awk -v a="${qps[ludp]}" -v b="${qps[nsd]}" -v c="${cpu[ludp]}" \
      -v d="${cpu[nsd]}" -v r="$r" 'BEGIN {
    printf "%-6s ratio  qps ludp/nsd = %.2f, cpu/query ludp/nsd = %.2f\n",
      r, a / b, c / d }'
done
