-- A connected UDP client: connect() fixes the peer once, so send() takes
-- no address, remoteAddress() names the peer, and only the peer's
-- datagrams come in. Talks to examples/server.lua.
--
--   ludp examples/connected_client.lua [port] [host] [message]
--
-- Defaults: port 41234, host 127.0.0.1, message "hello, connected".
-- Prints "connected to <address>:<port>" on 'connect', then
-- "sent <n> bytes" and closes.

local dgram = require("dgram")

local port = tonumber(arg[1]) or 41234
local host = arg[2] or "127.0.0.1"
local message = arg[3] or "hello, connected"

local client = dgram.createSocket(host:find(":", 1, true) and "udp6" or "udp4")

client:on("error", function(err)
  io.stderr:write("client error: ", tostring(err), "\n")
  process.exitCode = 1
  client:close()
end)

-- 'connect' comes once the peer is set (after an implicit bind).
client:on("connect", function()
  local peer = client:remoteAddress()
  print(string.format("connected to %s:%d", peer.address, peer.port))
end)

-- The callback of connect is a 'connect' listener too, added after ours.
client:connect(port, host, function()
  client:send(message, function(err, bytes)   -- no port, no address
    if err then
      io.stderr:write("send failed: ", tostring(err), "\n")
      process.exitCode = 1
    else
      print(string.format("sent %d bytes", bytes))
    end
    client:close()
  end)
end)
