#!/bin/bash
# Smoke test: examples/nginx-udp-lb/. Debian's nginx (with
# libnginx-mod-stream, installed by scripts/setup) started by the test as
# an unprivileged single process, its config, pid and log in a temporary
# folder, on loopback ports only, in front of three examples/nginx-udp-lb/
# backend.lua processes. The client asks from 8 loopback source addresses,
# twice each: every reply came back through nginx, more than one backend
# answered, and both requests of an address reached the same backend (hash
# $remote_addr consistent). Skipped (77) with the reason when nginx or its
# stream module is not installed.
set -euo pipefail
. tests/example_lib.sh

dir=examples/nginx-udp-lb
module=/usr/lib/nginx/modules/ngx_stream_module.so
nginx=$(command -v nginx || PATH=$PATH:/usr/sbin command -v nginx || true)
if [ -z "$nginx" ]; then
  echo "SKIP: nginx is not installed (Debian: nginx; scripts/setup installs it)"
  exit 77
fi
if [ ! -f "$module" ]; then
  echo "SKIP: nginx's stream module is not installed (Debian: libnginx-mod-stream)"
  exit 77
fi

ports=()
for _ in 1 2 3 4; do ports+=("$(free_port)"); done
lb=${ports[0]}

# The example's config on the test's ports; nginx logs to stderr, so the
# test sees when it has started.
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"; _ex_cleanup' EXIT
sed -e "s/127\.0\.0\.1:5300 /127.0.0.1:$lb /" \
    -e "s/127\.0\.0\.1:5301;/127.0.0.1:${ports[1]};/" \
    -e "s/127\.0\.0\.1:5302;/127.0.0.1:${ports[2]};/" \
    -e "s/127\.0\.0\.1:5303;/127.0.0.1:${ports[3]};/" \
    -e "s|^error_log .*|error_log stderr notice;|" \
    "$dir/nginx.conf" > "$prefix/nginx.conf"
grep -q "listen 127.0.0.1:$lb udp;" "$prefix/nginx.conf"
[ "$(grep -c "server 127.0.0.1:" "$prefix/nginx.conf")" -eq 3 ]

# Unprivileged: as root, nginx runs as nobody (setpriv).
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  chown nobody "$prefix"
  chmod 755 "$prefix"
  run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi

for i in 1 2 3; do
  start "backend$i" "$LUDP" "$dir/backend.lua" "${ports[$i]}"
  wait_line "backend$i" "^backend listening on 127\.0\.0\.1:${ports[$i]}\$"
done
start nginx "${run_as[@]}" "$nginx" -p "$prefix" -c "$prefix/nginx.conf" \
  -e stderr
# nginx names itself once its sockets are open.
wait_line nginx 'notice\] [0-9#]+: nginx/'

out=$(timeout 20 "$LUDP" "$dir/client.lua" "$lb" 8)
echo "$out" | sed 's/^/client: /'
[ "$(echo "$out" | wc -l)" -eq 16 ]
# Every line: a source, a backend's port, the request.
bad=$(echo "$out" | grep -Ev "^127\.0\.0\.[1-8] backend (${ports[1]}|${ports[2]}|${ports[3]}): hello [12]\$" || true)
[ -z "$bad" ] || { echo "FAIL: unexpected replies: $bad"; exit 1; }
backends=$(echo "$out" | awk '{print $3}' | sort -u | wc -l)
echo "replies from $backends backends"
[ "$backends" -gt 1 ] || { echo "FAIL: one backend answered everything"; exit 1; }
# Affinity: one backend per source address.
pairs=$(echo "$out" | awk '{print $1, $3}' | sort -u | wc -l)
[ "$pairs" -eq 8 ] || { echo "FAIL: a source reached two backends"; exit 1; }

kill -TERM "$(pid_of nginx)"
finish nginx 0 >/dev/null
for i in 1 2 3; do
  kill -TERM "$(pid_of "backend$i")"
  finish "backend$i" 0
done
echo "ok"
