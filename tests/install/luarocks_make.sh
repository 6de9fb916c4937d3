#!/bin/sh
# Install check: `luarocks make` of ludp-scm-1.rockspec into a temporary
# tree, offline, as a LuaRocks user does from a checkout (Debian's
# luarocks, Lua 5.4). The build runs in a copy of the sources so the work
# tree gets no objects. Then stock lua5.4 with the tree on its paths runs
# examples/demo.lua on the loop, from another directory. The rockspec is
# also checked against the tree: every module of lua/ that works outside
# the host is listed, and its C sources are the core sources of CMake.
# Skipped (status 77) when luarocks is not installed.
set -eu
cd "$(dirname "$0")/../.."
command -v luarocks >/dev/null || { echo "luarocks: not installed: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "luarocks: FAIL: $*"; exit 1; }

# The rockspec lists what the tree has.
lua5.4 - ludp-scm-1.rockspec CMakeLists.txt <<'LUA' || fail "rockspec out of date"
local spec = {}
assert(loadfile(arg[1], "t", spec))()
local mods = spec.build.modules
local bad = false
local p = io.popen("cd lua && find . -name '*.lua' | sort")
for f in p:lines() do
  local name = f:gsub("^%./", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", ".")
  if name ~= "ludp.host" and name ~= "ludp.repl" and mods[name] ~= "lua/" .. f:sub(3) then
    print("rockspec: module " .. name .. " (lua/" .. f:sub(3) .. ") not listed")
    bad = true
  end
end
p:close()
local cm = io.open(arg[2]):read("a")
local list = cm:match("set%(LUDP_CORE_SOURCES(.-)%)")
local want = {}
for s in list:gmatch("%S+") do want[#want + 1] = s end
local have = mods["ludp.core"].sources
table.sort(want); table.sort(have)
if table.concat(want, " ") ~= table.concat(have, " ") then
  print("rockspec: ludp.core sources " .. table.concat(have, " ") ..
        " differ from CMake's LUDP_CORE_SOURCES " .. table.concat(want, " "))
  bad = true
end
os.exit(bad and 1 or 0)
LUA
echo "luarocks: the rockspec lists every module of lua/ and the core sources"

mkdir "$tmp/src" "$tmp/work"
cp -r src lua docs ludp-scm-1.rockspec "$tmp/src/"
[ -d types ] && cp -r types "$tmp/src/"
(cd "$tmp/src" && luarocks --lua-version=5.4 make --tree "$tmp/tree" \
   ludp-scm-1.rockspec) > "$tmp/make.log" 2>&1 ||
  { cat "$tmp/make.log"; fail "luarocks make"; }
grep "is now installed" "$tmp/make.log" || true

lpath="$tmp/tree/share/lua/5.4/?.lua;$tmp/tree/share/lua/5.4/?/init.lua;;"
cpath="$tmp/tree/lib/lua/5.4/?.so;;"
cp examples/demo.lua "$tmp/work/"
out=$(cd "$tmp/work" && env -i PATH=/usr/local/bin:/usr/bin:/bin \
  LUA_PATH="$lpath" LUA_CPATH="$cpath" timeout 20 lua5.4 -e '
    local ludp = require("ludp")
    ludp.install_globals()
    assert(package.searchpath("ludp.core", package.cpath):find("/tree/", 1, true))
    dofile("demo.lua")
    ludp.run()') || { echo "$out"; fail "demo.lua with the rock's modules"; }
echo "$out" | tail -n 1 | grep -q '^done$' || { echo "$out"; fail "demo output"; }
echo "luarocks: stock lua5.4 runs examples/demo.lua with the rock's modules"
echo "luarocks: luarocks make: OK"
