-- A UDP echo server: every datagram goes back, unchanged, to its sender.
-- This is the script the benchmarks measure (bench/): the natural code a
-- user writes, with no special API.
--
--   ludp examples/echo.lua [port]      (default: $PORT, else 41234)

local dgram = require("dgram")

local port = tonumber(arg[#arg]) or tonumber(os.getenv("PORT")) or 41234
local sock = dgram.createSocket("udp4")

sock:on("message", function(msg, rinfo)
  sock:send(msg, rinfo.port, rinfo.address)
end)

process.on("SIGTERM", function() sock:close() end)
sock:bind(port, "127.0.0.1")
