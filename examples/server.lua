-- Node's documentation example for dgram, carried to Lua: a UDP server
-- that prints every datagram it gets.
--
--   ludp examples/server.lua [port] [address]
--
-- Prints "server listening 0.0.0.0:41234" (port 41234 and every address
-- by default), then "server got: <msg> from <address>:<port>" for each
-- datagram. SIGTERM closes the socket and the script ends (status 0).
-- Try it with examples/client.lua, or `echo hi | nc -u -w1 127.0.0.1 41234`.

local dgram = require("dgram")

local port = tonumber(arg[1]) or 41234
local address = arg[2]                 -- nil: 0.0.0.0, as in Node's example

local server = dgram.createSocket("udp4")

server:on("error", function(err)
  io.stderr:write("server error:\n", err.stack, "\n")
  server:close()
end)

server:on("message", function(msg, rinfo)
  print(string.format("server got: %s from %s:%d", msg, rinfo.address,
                      rinfo.port))
end)

server:on("listening", function()
  local a = server:address()
  print(string.format("server listening %s:%d", a.address, a.port))
end)

process.on("SIGTERM", function()
  print("server closing")
  server:close()
end)

server:bind(port, address)
-- Prints: server listening 0.0.0.0:41234
