#!/bin/bash
# Smoke test: examples/multicast.lua inside a private network namespace
# (unshare -n as root, unshare -rn otherwise) with lo up, multicast on and
# 224.0.0.0/4 routed through it: the script joins its group, sends to it
# and gets its own datagram back. Nothing leaves the namespace. Where no
# namespace can be made the test prints "SKIP: <reason>" and passes.
set -euo pipefail
LUDP=${LUDP_BIN:-build/ludp}

if [ "$(id -u)" = 0 ]; then flags=-n; else flags=-rn; fi
if ! command -v unshare >/dev/null || ! command -v ip >/dev/null; then
  echo "SKIP: unshare or ip is missing: no network namespace"
  exit 0
fi
if ! why=$(unshare $flags true 2>&1); then
  echo "SKIP: cannot make a network namespace (unshare $flags: $why)"
  exit 0
fi

out=$(timeout 20 unshare $flags sh -c '
  set -e
  ip link set lo up
  ip link set lo multicast on
  ip route add 224.0.0.0/4 dev lo src 127.0.0.1
  exec "$1" examples/multicast.lua 239.255.42.99 41236' sh "$LUDP" 2>&1)
echo "$out"
[ "$(echo "$out" | head -n 1)" = "joined 239.255.42.99 on port 41236" ]
echo "$out" | grep -qx 'got "hello, group" from 127\.0\.0\.1:41236'
echo "ok"
