#!/bin/bash
# examples/dns_server.lua asked by real clients: dig (Debian's dnsutils)
# and kdig (knot-dnsutils), installed by scripts/setup. The server binds
# 0.0.0.0 on a free port; each query goes to 127.0.0.1 or 127.0.0.2 on
# loopback, for the example zone's own names (nothing is resolved through
# real DNS). Checked: A, AAAA, TXT, NXDOMAIN, an empty answer, the AA
# flag, EDNS0 (dig's OPT answered, DO echoed, BADVERS for version 1,
# +noedns answered without OPT), TC for a TXT larger than 512 bytes
# without EDNS0, the answer to 127.0.0.2 coming from 127.0.0.2 (dig
# rejects any other source), malformed queries (FORMERR, or nothing for
# less than a header) after which the server still answers; then bound
# to "::", asked at ::1 and 127.0.0.2, stopped by SIGINT. Skipped (77)
# with the reason when dig or kdig is missing.
set -euo pipefail
. tests/example_lib.sh

for tool in dig:dnsutils kdig:knot-dnsutils; do
  if ! command -v "${tool%%:*}" >/dev/null; then
    echo "SKIP: ${tool%%:*} is not installed (Debian: ${tool#*:}; scripts/setup installs it)"
    exit 77
  fi
done

port=$(free_port)
start server "$LUDP" examples/dns_server.lua "$port" 0.0.0.0
wait_line server "^dns server listening 0\.0\.0\.0:$port\$"

# q SERVER ARGS...: dig's answer, or its failure
q() {
  local at=$1
  shift
  timeout 10 dig "@$at" -p "$port" +norecurse +time=2 +tries=2 "$@"
}
expect() {  # expect WHAT GOT WANT
  if [ "$2" != "$3" ]; then
    printf 'FAIL: %s\n got: %s\nwant: %s\n' "$1" "$2" "$3"
    exit 1
  fi
  echo "ok: $1"
}
flags() { grep -o 'flags: [a-z ]*;' | head -1; }
status() { grep -o 'status: [A-Z]*' | head -1; }

# Each record type, from both addresses (dig checks the source itself)
for at in 127.0.0.1 127.0.0.2; do
  expect "A at $at" "$(q $at +short www.example.test A | sort)" \
    "$(printf '192.0.2.80\n192.0.2.81')"
  expect "AAAA at $at" "$(q $at +short www.example.test AAAA)" "2001:db8::80"
  expect "TXT at $at" "$(q $at +short txt.example.test TXT | sort)" \
    "$(printf '"a second record"\n"hello" "world"')"
done
expect "case" "$(q 127.0.0.2 +short WWW.Example.TEST. AAAA)" "2001:db8::80"
out=$(q 127.0.0.2 www.example.test A)
expect "flags" "$(echo "$out" | flags)" "flags: qr aa;"
expect "EDNS0 echoed" "$(echo "$out" | grep -o 'EDNS: version: 0, flags:[a-z ]*; udp: [0-9]*')" \
  "EDNS: version: 0, flags:; udp: 1232"
expect "answer from 127.0.0.2" "$(echo "$out" | grep -o 'SERVER: [0-9.#]*')" \
  "SERVER: 127.0.0.2#$port"
out=$(q 127.0.0.1 +dnssec www.example.test A)
expect "DO echoed" "$(echo "$out" | grep -o 'EDNS: version: 0, flags:[a-z ]*;')" \
  "EDNS: version: 0, flags: do;"
out=$(q 127.0.0.1 +edns=1 +noednsnegotiation www.example.test A)
expect "BADVERS" "$(echo "$out" | status)" "status: BADVERS"
out=$(q 127.0.0.1 +noedns www.example.test A)
expect "no EDNS0" "$(echo "$out" | grep -c 'OPT PSEUDOSECTION' || true)" "0"
expect "no EDNS0 answer" "$(echo "$out" | grep -c '^www.example.test.*IN	A' || true)" "2"

out=$(q 127.0.0.2 nope.example.test A)
expect "NXDOMAIN" "$(echo "$out" | status)" "status: NXDOMAIN"
expect "NXDOMAIN flags" "$(echo "$out" | flags)" "flags: qr aa;"
out=$(q 127.0.0.1 ipv6only.example.test A)
expect "no A record" "$(echo "$out" | status)/$(echo "$out" | grep -o 'ANSWER: [0-9]*')" \
  "status: NOERROR/ANSWER: 0"

# TC: about 700 bytes of TXT do not fit in 512 without EDNS0; with it
# (dig offers 1232) they do.
out=$(q 127.0.0.1 +noedns +ignore big.example.test TXT)
expect "TC" "$(echo "$out" | flags)" "flags: qr aa tc;"
out=$(q 127.0.0.1 big.example.test TXT)
expect "large with EDNS0" "$(echo "$out" | flags)/$(echo "$out" | grep -o 'MSG SIZE  rcvd: [0-9]*')" \
  "flags: qr aa;/MSG SIZE  rcvd: 750"

# kdig: each type, from 127.0.0.2
expect "kdig A" "$(timeout 10 kdig @127.0.0.2 -p "$port" +norecurse +short example.test A)" "192.0.2.1"
expect "kdig AAAA" "$(timeout 10 kdig @127.0.0.2 -p "$port" +norecurse +short example.test AAAA)" "2001:db8::1"
expect "kdig TXT" "$(timeout 10 kdig @127.0.0.2 -p "$port" +norecurse +short example.test TXT)" '"v=spf1 -all"'
out=$(timeout 10 kdig @127.0.0.2 -p "$port" +norecurse +edns nope.example.test AAAA)
expect "kdig NXDOMAIN" "$(echo "$out" | grep -o 'status: [A-Z]*')" "status: NXDOMAIN"
expect "kdig from 127.0.0.2" "$(echo "$out" | grep -o 'From 127.0.0.2@[0-9]*')" "From 127.0.0.2@$port"

# Malformed queries, as raw bytes: the response's header in hex, or
# "none" when nothing came to 4 tries of 500 ms (a loaded machine may
# take long to answer; only the two that get nothing wait it out).
raw() {
  timeout 10 "$LUDP" -e '
    local ludp, dgram = require("ludp"), require("dgram")
    ludp.async(function()
      local s = dgram.createSocket("udp4")
      local q = arg[2]:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end)
      local r = s:request(q, tonumber(arg[1]), "127.0.0.2",
                          { timeout = 500, retries = 3 })
      print(r and (r:sub(1, 12):gsub(".", function(c)
        return string.format("%02x", c:byte()) end)) or "none")
      s:close()
    end)' "$port" "$1"
}
# ID 0x4242, RD, one question whose name runs past the end: FORMERR (1)
expect "cut name" "$(raw 424201000001000000000000077777)" 424285010000000000000000
# a compression pointer in the question: FORMERR
expect "pointer" "$(raw 424200000001000000000000c00c00010001)" 424284010000000000000000
# two questions: FORMERR
expect "two questions" "$(raw 4242000000020000000000000000010001000001 )" 424284010000000000000000
# an OPT cut short: FORMERR
expect "cut OPT" "$(raw 424200000001000000000001000001000100002910)" 424284010000000000000000
# opcode 2 (STATUS): NOTIMP
expect "NOTIMP" "$(raw 424210000000000000000000)" 424294040000000000000000
# less than a header, and a response: nothing
expect "short" "$(raw 4242)" none
expect "response" "$(raw 424280000000000000000000)" none
# still answering
expect "after" "$(q 127.0.0.2 +short www.example.test AAAA)" "2001:db8::80"

kill -TERM "$(pid_of server)"
wait_line server '^dns server closing: '
finish server 0

# Bound to "::": IPv6 and IPv4 (mapped) queries, each answered from the
# address asked
port=$(free_port)
start server6 "$LUDP" examples/dns_server.lua "$port" ::
wait_line server6 "^dns server listening :::$port\$"
expect "::1" "$(timeout 10 dig @::1 -p "$port" +norecurse +time=2 +tries=2 +short www.example.test AAAA)" \
  "2001:db8::80"
expect "127.0.0.2 on ::" "$(q 127.0.0.2 +short example.test A)" "192.0.2.1"
kill -INT "$(pid_of server6)"
wait_line server6 '^dns server closing: 2 queries, 2 answers, 0 unsent, 0 kernel drops$'
finish server6 0
echo "ok"
