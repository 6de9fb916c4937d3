-- The client of Node's documentation example, carried to Lua: sends one
-- datagram to a server (examples/server.lua) and closes.
--
--   ludp examples/client.lua [port] [host] [message]
--
-- Defaults: port 41234, host localhost, message "Some bytes". An IPv6
-- host (a literal with ':') makes a udp6 socket. On failure the error
-- goes to stderr and the exit status is 1.

local dgram = require("dgram")

local port = tonumber(arg[1]) or 41234
local host = arg[2] or "localhost"
local message = arg[3] or "Some bytes"

local client = dgram.createSocket(host:find(":", 1, true) and "udp6" or "udp4")

client:send(message, port, host, function(err, bytes)
  if err then
    io.stderr:write("client: ", tostring(err), "\n")
    process.exitCode = 1
  else
    print(string.format("client sent %d bytes to %s:%d", bytes, host, port))
  end
  client:close()
end)
