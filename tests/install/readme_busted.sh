#!/bin/sh
# README's command for busted without installing, run exactly as printed
# (with /path/to/ludp made this checkout) in a fresh folder outside the
# repository, on one spec that drives real sockets on the loop.
set -eu
cd "$(dirname "$0")/../.."
src=$(pwd)
build=${LUDP_BUILD:-$src/build}
command -v busted >/dev/null || { echo "readme_busted: no busted"; exit 77; }
[ -f "$build/lib/ludp/core.so" ] || { echo "readme_busted: no core.so"; exit 1; }
line=$(grep "^LUA_PATH=.* busted --lua=lua5.4" README.md | head -n 1)
[ -n "$line" ] || { echo "readme_busted: FAIL: no command in README.md"; exit 1; }
# The README names the build folder 'build'; a test build elsewhere too.
cmd=$(printf '%s\n' "$line" | sed "s|/path/to/ludp/build/|$build/|g; s|/path/to/ludp/|$src/|g")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/spec"
cat > "$tmp/spec/echo_spec.lua" <<'LUA'
local dgram = require("dgram")
local T = require("ludp.test")
describe("an echo server", function()
  it("answers", function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("message", function(msg, rinfo)
        s:send(msg, rinfo.port, rinfo.address)
      end)
      s:bind(0, "127.0.0.1", function()
        local c = dgram.createSocket("udp4")
        c:on("message", function(msg)
          assert.equal("hi", msg)
          c:close()
          s:close(done)
        end)
        c:send("hi", s:address().port, "127.0.0.1")
      end)
    end)
  end)
end)
LUA
cd "$tmp"
out=$(env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 \
  sh -c "$cmd" 2>&1) || { printf '%s\n' "$out"; echo "readme_busted: FAIL: exit $?"; exit 1; }
printf '%s\n' "$out" | grep -q "^1 success / 0 failures / 0 errors" ||
  { printf '%s\n' "$out"; echo "readme_busted: FAIL: not one success"; exit 1; }
echo "readme_busted: ok"
