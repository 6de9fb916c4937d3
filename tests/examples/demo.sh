#!/bin/sh
# Smoke test: the README's main job runs, exchanges three lines, exits 0.
set -eu
out=$(timeout 20 "${LUDP_BIN:-build/ludp}" examples/demo.lua)
echo "$out"
echo "$out" | grep -q '^server listening 127.0.0.1:[0-9]*$'
[ "$(echo "$out" | grep -c '^client got ')" -eq 3 ]
echo "$out" | grep -q '^client got "GOODBYE"$'
echo "$out" | tail -n 1 | grep -q '^done$'
