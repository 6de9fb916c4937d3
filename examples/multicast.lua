-- Multicast: join a group, send a datagram to it and receive it back
-- (setMulticastLoopback(true) brings a socket's own datagrams back).
--
--   ludp examples/multicast.lua [group] [port]
--
-- Defaults: group 239.255.42.99 (administratively scoped), port 41236.
-- Run it where multicast works. A container or a host without a
-- multicast route gets nothing back (after 2 s the script says so, status
-- 1). A private network namespace is enough, and keeps the datagrams off
-- the machine's interfaces (tests/examples/multicast.sh does this):
--
--   unshare -rn sh -c 'ip link set lo up; ip link set lo multicast on;
--     ip route add 224.0.0.0/4 dev lo src 127.0.0.1;
--     exec build/ludp examples/multicast.lua'

local dgram = require("dgram")

local group = arg[1] or "239.255.42.99"
local port = tonumber(arg[2]) or 41236

-- reuseAddr: several listeners on one host may share the group's port.
local sock = dgram.createSocket({ type = "udp4", reuseAddr = true })

local give_up = setTimeout(function()
  io.stderr:write("no datagram came back: multicast does not work here\n")
  process.exitCode = 1
  sock:close()
end, 2000)

sock:on("message", function(msg, rinfo)
  print(string.format("got %q from %s:%d", msg, rinfo.address, rinfo.port))
  clearTimeout(give_up)
  sock:dropMembership(group)
  sock:close()
end)

sock:bind(port, function()
  sock:addMembership(group)
  sock:setMulticastLoopback(true)
  sock:setMulticastTTL(1)          -- this network only
  print(string.format("joined %s on port %d", group, sock:address().port))
  sock:send("hello, group", sock:address().port, group)
end)
