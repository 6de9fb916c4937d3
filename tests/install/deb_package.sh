#!/bin/sh
# Install check: `cpack -G DEB` of the build, the package unpacked with
# `dpkg -x` into a scratch root (nothing is installed on the system).
# The binary, the Lua modules, core.so, the man page and the systemd units
# are in it under /usr; the units start /usr/bin/ludp; the package depends
# on lua-cjson and on what the binaries link. From another directory and a
# bare environment, the unpacked ludp runs examples/demo.lua, and stock
# lua5.4, pointed at the root, requires dgram from it and runs it too.
set -eu
cd "$(dirname "$0")/../.."
src=$(pwd)
build=${LUDP_BUILD:-$src/build}
[ -f "$build/CPackConfig.cmake" ] || { echo "deb: no CPack configuration in $build"; exit 1; }
for tool in cpack dpkg dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "deb: FAIL: $*"; exit 1; }

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg" \
  > "$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/pkg/*.deb)
[ -f "$deb" ] || fail "no .deb in $tmp/pkg"
echo "deb: built $(basename "$deb")"
dpkg-deb -f "$deb" Package | grep -qx ludp || fail "package name"
dpkg-deb -f "$deb" Depends | grep -q "lua-cjson" || fail "Depends: lua-cjson"
dpkg-deb -f "$deb" Depends | grep -q "libc6" || fail "Depends: the shared libraries"

root="$tmp/root"
dpkg -x "$deb" "$root"
for f in usr/bin/ludp usr/lib/lua/5.4/ludp/core.so usr/share/lua/5.4/dgram.lua \
         usr/share/lua/5.4/ludp/init.lua usr/share/man/man1/ludp.1 \
         usr/share/doc/ludp/production.md \
         "usr/lib/systemd/system/ludp@.service" \
         "usr/lib/systemd/system/ludp-workers@.service"; do
  [ -e "$root/$f" ] || fail "missing /$f"
done
grep -qx 'ExecStart=/usr/bin/ludp /etc/ludp/%i.lua' \
  "$root/usr/lib/systemd/system/ludp@.service" || fail "ludp@.service ExecStart"
grep -qx 'ExecStart=/usr/bin/ludp --workers auto /etc/ludp/%i.lua' \
  "$root/usr/lib/systemd/system/ludp-workers@.service" ||
  fail "ludp-workers@.service ExecStart"
grep -qx 'Type=notify' "$root/usr/lib/systemd/system/ludp@.service" ||
  fail "ludp@.service is not Type=notify"
echo "deb: files in place (binary, modules, core.so, man page, units)"

mkdir "$tmp/work"
cp examples/demo.lua "$tmp/work/demo.lua"
bare="env -i PATH=/usr/bin:/bin HOME=$tmp/work"
out=$(cd "$tmp/work" && $bare timeout 20 "$root/usr/bin/ludp" demo.lua) ||
  fail "unpacked ludp demo.lua"
echo "$out" | tail -n 1 | grep -q '^done$' || { echo "$out"; fail "demo output"; }
[ "$(echo "$out" | grep -c '^client got ')" -eq 3 ] || fail "demo exchange"
echo "deb: the unpacked /usr/bin/ludp runs examples/demo.lua"

lpath="$root/usr/share/lua/5.4/?.lua;$root/usr/share/lua/5.4/?/init.lua;;"
cpath="$root/usr/lib/lua/5.4/?.so;;"
out=$(cd "$tmp/work" && $bare ROOT="$root" LUA_PATH="$lpath" LUA_CPATH="$cpath" \
  timeout 20 lua5.4 -e '
    assert(package.searchpath("ludp.core", package.cpath):find(os.getenv("ROOT"), 1, true))
    assert(package.searchpath("dgram", package.path):find(os.getenv("ROOT"), 1, true))
    local ludp = require("ludp")
    ludp.install_globals()
    dofile("demo.lua")
    ludp.run()') || fail "stock lua5.4 with the unpacked modules"
echo "$out" | tail -n 1 | grep -q '^done$' || { echo "$out"; fail "lua5.4 demo output"; }
echo "deb: stock lua5.4 runs the demo with the unpacked modules"
echo "deb: cpack -G DEB: OK"
