-- Not part of bench/run: the cost of dgram.BlockList's check, which a
-- socket with a block list pays per datagram.
--
--   build/ludp bench/blocklist_check.lua [N]
--
-- A list of 10 rules (4 addresses, 3 ranges, 3 subnets): check() of an
-- IPv4 address that none matches (every rule looked at), of an IPv6
-- address that the newest rule matches, and ludp.blocklist's blocked()
-- (what a socket calls: no argument checks) for the miss. CPU time per
-- call, os.clock; N (1,000,000) calls each.

local dgram = require("dgram")
local blocklist = require("ludp.blocklist")

local N = tonumber(arg and arg[1]) or 1000000

local bl = dgram.BlockList.new()
for i = 1, 4 do bl:addAddress("10.0.0." .. i) end
for i = 1, 3 do bl:addRange("10.1." .. i .. ".1", "10.1." .. i .. ".200") end
for i = 1, 3 do bl:addSubnet("192.168." .. i .. ".0", 24) end

local function measure(what, fn)
  local t = os.clock()
  for _ = 1, N do fn() end
  print(string.format("%-48s %6.0f ns a call", what, (os.clock() - t) / N * 1e9))
end

measure("check(ipv4), no rule matches (10 rules)", function()
  assert(not bl:check("127.0.0.1"))
end)
local v6 = dgram.BlockList.new()
for i = 1, 10 do v6:addAddress("10.0.0." .. i) end
v6:addSubnet("2001:db8::", 32, "ipv6")
measure("check(ipv6), the newest rule matches", function()
  assert(v6:check("2001:db8::1", "ipv6"))
end)
measure("blocked(ipv4), no rule matches (10 rules)", function()
  assert(not blocklist.blocked(bl, "127.0.0.1", 4))
end)
local EMPTY = dgram.BlockList.new()
measure("blocked(ipv4), empty list", function()
  assert(not blocklist.blocked(EMPTY, "127.0.0.1", 4))
end)
