-- A server on a host with several addresses, answering each query from
-- the address it was sent to, as a DNS server must: bound to the
-- any-address, it reads each datagram's local address (recvInfo) and
-- replies from it (reply). Without that, the kernel picks the source of
-- each answer by its routes, and a client that asked 192.0.2.1 gets its
-- answer from 192.0.2.2 and drops it.
--
--   ludp examples/multihomed.lua [port] [address]
--
-- Prints "multihomed listening 0.0.0.0:5353", then for each datagram
-- "asked <localAddress> on interface <n> by <address>:<port>", and
-- answers "<localAddress> answers: <msg>". SIGTERM closes it (status 0).
-- On Linux every 127.x.y.z is loopback, so one host can try it:
-- `echo hi | nc -u -w1 127.0.0.2 5353`, then 127.0.0.3.

local dgram = require("dgram")

local port = tonumber(arg[1]) or 5353
local address = arg[2]                 -- nil: 0.0.0.0

local server = dgram.createSocket({ type = "udp4", recvInfo = true })

server:on("error", function(err)
  io.stderr:write("multihomed error:\n", err.stack, "\n")
end)

server:on("message", function(msg, rinfo)
  print(string.format("asked %s on interface %d by %s:%d", rinfo.localAddress,
                      rinfo.interface, rinfo.address, rinfo.port))
  server:reply(rinfo.localAddress .. " answers: " .. msg, rinfo)
end)

server:on("listening", function()
  local a = server:address()
  print(string.format("multihomed listening %s:%d", a.address, a.port))
end)

process.on("SIGTERM", function()
  print("multihomed closing")
  server:close()
end)

server:bind(port, address)
