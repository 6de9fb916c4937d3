#!/bin/sh
# Install check: `cmake --install` of the build into a temporary prefix.
# Then, from another directory and with a bare environment (no LUA_PATH,
# LUA_CPATH or LUDP_*): the installed ludp runs an example; stock lua5.4,
# pointed at the prefix, requires dgram and runs the same example on the
# loop; the man page, the docs and the editor types are in place; and the
# prefix's layout is the one Lua 5.4 searches by default, so with the
# default prefix (/usr/local) no variable is needed at all.
set -eu
cd "$(dirname "$0")/../.."
src=$(pwd)
build=${LUDP_BUILD:-$src/build}
[ -f "$build/CMakeCache.txt" ] || { echo "install: no CMake build in $build"; exit 1; }
[ -x "$build/ludp" ] || { echo "install: $build/ludp not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
fail() { echo "install: FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install"; }
echo "install: cmake --install into $prefix: $(grep -c 'Installing' "$tmp/install.log") files"

libdir=$(grep '^CMAKE_INSTALL_LIBDIR:' "$build/CMakeCache.txt" | cut -d= -f2)
datadir=$(grep '^CMAKE_INSTALL_DATADIR:' "$build/CMakeCache.txt" | cut -d= -f2)
mandir=$(grep '^CMAKE_INSTALL_MANDIR:' "$build/CMakeCache.txt" | cut -d= -f2)
docdir=$(grep '^CMAKE_INSTALL_DOCDIR:' "$build/CMakeCache.txt" | cut -d= -f2)
: "${libdir:=lib}" "${datadir:=share}" "${mandir:=share/man}" "${docdir:=share/doc/ludp}"
for f in bin/ludp "$libdir/lua/5.4/ludp/core.so" "$datadir/lua/5.4/dgram.lua" \
         "$datadir/lua/5.4/events.lua" "$datadir/lua/5.4/timers.lua" \
         "$datadir/lua/5.4/ludp/init.lua" "$datadir/lua/5.4/ludp/test.lua" \
         "$mandir/man1/ludp.1" "$docdir/README.md" "$docdir/reference.md" \
         "$docdir/guide.md" "$docdir/production.md" \
         "$datadir/ludp/types/dgram.lua" "$datadir/ludp/types/globals.lua"; do
  [ -e "$prefix/$f" ] || fail "missing $f"
done
echo "install: files in place (bin, lua, core.so, man page, docs, types)"

# The installed host, elsewhere, with a bare environment.
mkdir "$tmp/work"
cp examples/demo.lua "$tmp/work/demo.lua"
bare="env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=$tmp/work"
out=$(cd "$tmp/work" && $bare timeout 20 "$prefix/bin/ludp" demo.lua) ||
  fail "installed ludp demo.lua"
echo "$out" | tail -n 1 | grep -q '^done$' || { echo "$out"; fail "demo output"; }
[ "$(echo "$out" | grep -c '^client got ')" -eq 3 ] || fail "demo exchange"
(cd "$tmp/work" && $bare "$prefix/bin/ludp" --version) | grep -q '^ludp ' ||
  fail "ludp --version"
echo "install: installed ludp runs examples/demo.lua from $tmp/work"

# Stock lua5.4 with the prefix on its paths.
lpath="$prefix/$datadir/lua/5.4/?.lua;$prefix/$datadir/lua/5.4/?/init.lua;;"
cpath="$prefix/$libdir/lua/5.4/?.so;;"
out=$(cd "$tmp/work" && $bare LUA_PATH="$lpath" LUA_CPATH="$cpath" timeout 20 \
  lua5.4 -e 'local ludp = require("ludp")
             ludp.install_globals()
             dofile("demo.lua")
             ludp.run()') || fail "stock lua5.4 with the installed modules"
echo "$out" | tail -n 1 | grep -q '^done$' || { echo "$out"; fail "lua5.4 demo output"; }
out=$(cd "$tmp/work" && $bare LUA_PATH="$lpath" LUA_CPATH="$cpath" lua5.4 -e \
  'print(package.searchpath("dgram", package.path), package.searchpath("ludp.core", package.cpath))')
case "$out" in "$prefix/"*"$prefix/"*) ;; *) fail "modules found outside the prefix: $out" ;; esac
echo "install: stock lua5.4 requires dgram from the prefix and runs the demo"

# The layout is Lua's default one: under the default prefix, no variable.
paths=$($bare lua5.4 -e 'print(package.path); print(package.cpath)')
echo "$paths" | grep -q "/usr/local/$datadir/lua/5.4/?.lua" ||
  fail "/usr/local/$datadir/lua/5.4 is not on lua5.4's default path"
echo "$paths" | grep -q "/usr/local/$libdir/lua/5.4/?.so" ||
  echo "install: note: /usr/local/$libdir/lua/5.4 is not on lua5.4's default cpath"

# The man page renders without warnings.
if command -v groff >/dev/null; then
  warn=$(groff -man -Tutf8 -ww -z "$prefix/$mandir/man1/ludp.1" 2>&1)
  [ -z "$warn" ] || { echo "$warn"; fail "man page warnings"; }
  echo "install: man page renders cleanly"
fi
echo "install: cmake --install: OK"
