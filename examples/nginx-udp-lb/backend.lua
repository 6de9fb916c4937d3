-- A backend behind the balancer: answers each datagram with the port it
-- listens on and the request, so a client sees which backend replied.
--   ludp backend.lua PORT [ADDRESS]
local dgram = require("dgram")

local port = tonumber(arg[1])
local address = arg[2] or "127.0.0.1"
if not port then
  io.stderr:write("usage: ludp backend.lua PORT [ADDRESS]\n")
  os.exit(2)
end
io.stdout:setvbuf("line")

local server = dgram.createSocket("udp4")
server:on("message", function(msg, rinfo)
  -- rinfo is the balancer's address, not the client's (README.md)
  server:send("backend " .. port .. ": " .. msg, rinfo.port, rinfo.address)
end)
process.on("SIGTERM", function() server:close() end)
server:bind(port, address, function()
  print("backend listening on " .. address .. ":" .. server:address().port)
end)
