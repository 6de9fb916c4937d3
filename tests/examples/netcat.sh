#!/bin/bash
# Smoke test: examples/netcat.lua against examples/echo.lua on a free port
# of 127.0.0.1. Lines piped into netcat (CRLF, a long one, a last one
# without an end of line) come back in order, one reply per line; netcat
# exits 0 once the input ended and the replies stopped. Against a port
# nobody listens on it reports the error and exits 1.
set -euo pipefail
. tests/example_lib.sh

port=$(free_port)
start echo "$LUDP" examples/echo.lua "$port"

# The echo server prints nothing: it is up once a ping comes back.
up=
for _ in $(seq 50); do
  if out=$(echo ping | timeout 10 "$LUDP" examples/netcat.lua -w 0.2 \
             127.0.0.1 "$port" 2>/dev/null) && [ "$out" = ping ]; then
    up=1
    break
  fi
done
[ -n "$up" ] || { echo "FAIL: the echo server never answered"; exit 1; }

input=$(mktemp)
expected=$(mktemp)
trap 'rm -f "$input" "$expected"; _ex_cleanup' EXIT
long=$(head -c 30000 /dev/zero | tr '\0' 'x')
{
  printf 'hello\r\ntwo words\n'
  for i in $(seq 100); do echo "line $i"; done
  echo "$long"
  printf 'last without newline'
} > "$input"
{
  printf 'hello\ntwo words\n'
  for i in $(seq 100); do echo "line $i"; done
  echo "$long"
  echo 'last without newline'
} > "$expected"

got=$(timeout 20 "$LUDP" examples/netcat.lua -w 0.5 127.0.0.1 "$port" \
        < "$input" | sha1sum)
want=$(sha1sum < "$expected")
echo "netcat: $got, expected: $want"
[ "$got" = "$want" ]

# From a pipe that writes slowly.
got=$( (echo a; sleep 0.3; echo b) | timeout 20 "$LUDP" examples/netcat.lua \
        -w 0.5 127.0.0.1 "$port")
[ "$got" = "$(printf 'a\nb')" ]

kill -TERM "$(pid_of echo)"
finish echo 0

status=0
err=$(echo x | timeout 10 "$LUDP" examples/netcat.lua -w 5 127.0.0.1 "$port" \
        2>&1 >/dev/null) || status=$?
echo "netcat to a closed port: status $status, '$err'"
[ "$status" = 1 ]
[[ $err =~ ^netcat:\ .*ECONNREFUSED ]]
echo "ok"
