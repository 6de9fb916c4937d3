-- Helper for specs whose traffic must stay off the machine's interfaces
-- (multicast, broadcast, IPv6 link-local): each run is a separate ludp
-- host process (env LUDP_BIN) inside a private network namespace made by
-- `unshare -n` (`unshare -rn` when not root). Inside, before the script:
--
--   lo up, with multicast on; 224.0.0.0/4 routed through lo (source
--   127.0.0.1); ff00::/8 as a route of type "local" on lo in the local
--   table (the kernel turns any other route through lo into a reject
--   route); and, where veth exists, a pair ludp0 (10.250.0.1/24,
--   fe80::1/64) <-> ludp1 (10.250.0.2/24, fe80::2/64): a real multicast
--   interface, the only way to see the multicast loopback flag at work
--   (through lo every datagram comes back whatever the flag says).
--
--   local netns = require("netns")
--   local ok, why = netns.available()     -- false, reason: pending(why)
--   if netns.features.veth then ... end   -- also .ipv6
--   netns.check(netns.run([[ ...chunk... ]]))
--
-- A chunk runs after a prelude giving it `dgram`, `check(cond, fmt, ...)`,
-- `eq(want, got, what)`, `done()` (prints PASS; the chunk must close its
-- sockets) and a 5 s watchdog (exit 3). netns.check fails unless the
-- process printed PASS and exited 0, showing its output.
-- netns.run(chunk, { lo_mtu = 1300 }) also sets lo's MTU: what a route
-- with a small MTU does to a send, without leaving loopback.

local netns = { features = {} }

local BIN = os.getenv("LUDP_BIN") or "build/ludp"

local quote = require("helpers").quote

-- Runs a shell command; returns its exit status and output (both streams).
local function sh(cmd)
  local p = io.popen(cmd .. " </dev/null 2>&1")
  local out = p:read("a")
  local _, _, code = p:close()
  return code, out
end

-- The set-up inside the namespace: $1 the host, $2 the script (none:
-- report the features and stop). Failing to bring lo up or to route IPv4
-- multicast through it fails the run; IPv6 and veth are optional.
local SETUP = [[
set -e
if [ -n "${LUDP_NS_LO_MTU:-}" ]; then ip link set lo mtu "$LUDP_NS_LO_MTU"; fi
ip link set lo up
ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo src 127.0.0.1
if ip -6 route add local ff00::/8 dev lo table local 2>/dev/null; then
  export LUDP_NS_IPV6=1
fi
if ip link add ludp0 type veth peer name ludp1 2>/dev/null; then
  ip addr add 10.250.0.1/24 dev ludp0
  ip addr add 10.250.0.2/24 dev ludp1
  ip -6 addr add fe80::1/64 dev ludp0 nodad
  ip -6 addr add fe80::2/64 dev ludp1 nodad
  ip link set ludp0 up
  ip link set ludp1 up
  # The pair carries traffic only once both ends are up (a loaded machine
  # takes a while): wait for that state, for two seconds at most.
  n=0
  until ip -o link show dev ludp0 | grep -q "state UP" &&
        ip -o link show dev ludp1 | grep -q "state UP"; do
    n=$((n + 1))
    [ "$n" -le 200 ] || break
    sleep 0.01
  done
  export LUDP_NS_VETH=1
fi
if [ -z "$2" ]; then
  echo "features ipv6=${LUDP_NS_IPV6:-0} veth=${LUDP_NS_VETH:-0}"
  exit 0
fi
exec "$1" "$2"
]]

local function unshare_cmd()
  local code, out = sh("id -u")
  local flags = (code == 0 and out:match("^0%s")) and "-n" or "-rn"
  return "unshare " .. flags
end

local probed, usable, reason

-- Whether a namespace can be made and set up here; false and a reason
-- otherwise. Fills netns.features (ipv6, veth).
function netns.available()
  if probed then return usable, reason end
  probed = true
  local code, out
  code = sh("command -v unshare && command -v ip")
  if code ~= 0 then
    usable, reason = false, "no network namespace: unshare or ip missing"
    return usable, reason
  end
  local cmd = unshare_cmd()
  code, out = sh("timeout 20 " .. cmd .. " sh -c " .. quote(SETUP) ..
                 " netns " .. quote(BIN))
  local v6, veth = out:match("features ipv6=(%d) veth=(%d)")
  if code ~= 0 or not v6 then
    usable = false
    reason = string.format("no network namespace (%s: status %s): %s", cmd,
                           tostring(code), (out:gsub("%s+$", "")))
    return usable, reason
  end
  usable = true
  netns.features.ipv6 = v6 == "1"
  netns.features.veth = veth == "1"
  return usable, reason
end

local PRELUDE = [[
local dgram = require("dgram")
local function check(cond, ...)
  if not cond then
    error(select("#", ...) > 0 and string.format(...) or "check failed", 2)
  end
  return cond
end
local function eq(want, got, what)
  if want ~= got then
    error(string.format("%s: expected %s, got %s", what or "value",
                        tostring(want), tostring(got)), 2)
  end
end
local watchdog = setTimeout(function()
  io.stderr:write("netns: timed out before done()\n")
  process.exit(3)
end, 5000)
local function done()
  clearTimeout(watchdog)
  print("PASS")
end
]]

-- Runs chunk (Lua source) in a fresh namespace; returns the exit status
-- and the output. opts.lo_mtu: lo's MTU there.
function netns.run(chunk, opts)
  assert(netns.available(), "netns.run without a namespace")
  local env = ""
  if opts and opts.lo_mtu then
    env = "LUDP_NS_LO_MTU=" .. math.tointeger(opts.lo_mtu) .. " "
  end
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  -- One line for the prelude, so line numbers in errors match the chunk.
  f:write((PRELUDE:gsub("\n", " ")), "\n", chunk)
  f:close()
  local code, out = sh(env .. "timeout 30 " .. unshare_cmd() .. " sh -c " ..
                       quote(SETUP) .. " netns " .. quote(BIN) .. " " ..
                       quote(path))
  os.remove(path)
  return code, out
end

-- Fails the calling test unless the run passed.
function netns.check(code, out)
  if code ~= 0 or not out:match("PASS\n$") then
    error(string.format("namespace run failed (status %s):\n%s",
                        tostring(code), out), 2)
  end
end

return netns
