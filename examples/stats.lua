-- An echo server that reports what its socket counted (stats()): how
-- many datagrams and bytes came and went, how many sends failed, and how
-- many datagrams the kernel dropped for the socket because the script did
-- not read them in time (its receive buffer was full). Loss with
-- kernelDrops at 0 happened elsewhere: on the wire, or at the sender.
--
--   ludp examples/stats.lua [port] [address] [seconds]
--
-- Prints "stats listening 127.0.0.1:7777", then every 'seconds' (none:
-- only at the end) and when SIGTERM closes it, one line:
-- "stats received=3 (24 bytes) sent=3 (24 bytes) sendErrors=0
-- kernelDrops=0 truncated=0 blocked=0".

local dgram = require("dgram")

local port = tonumber(arg[1]) or 7777
local address = arg[2] or "127.0.0.1"
local every = tonumber(arg[3])

local server = dgram.createSocket("udp4")

local function report()
  local s = server:stats()
  print(string.format("stats received=%d (%d bytes) sent=%d (%d bytes) " ..
                      "sendErrors=%d kernelDrops=%d truncated=%d blocked=%d",
                      s.received, s.receivedBytes, s.sent, s.sentBytes,
                      s.sendErrors, s.kernelDrops, s.truncated, s.blocked))
end

server:on("message", function(msg, rinfo)
  server:send(msg, rinfo.port, rinfo.address)
end)

server:on("error", function(err)
  io.stderr:write("stats error: ", tostring(err), "\n")
end)

server:bind(port, address, function()
  local a = server:address()
  print(string.format("stats listening %s:%d", a.address, a.port))
  if every then
    setInterval(report, every * 1000):unref()
  end
end)

process.on("SIGTERM", function()
  report()
  server:close()
end)
