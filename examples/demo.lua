-- The main demo: a UDP server and a client talking to it over loopback.
-- The server answers every datagram with the text upper-cased; the client
-- sends three lines, prints each answer, and both close. Exit status 0.
--
--   ludp examples/demo.lua

local dgram = require("dgram")

local server = dgram.createSocket("udp4")

server:on("message", function(msg, rinfo)
  print(string.format("server got %q from %s:%d", msg, rinfo.address, rinfo.port))
  server:send(msg:upper(), rinfo.port, rinfo.address)
end)

server:on("listening", function()
  local addr = server:address()
  print(string.format("server listening %s:%d", addr.address, addr.port))

  local client = dgram.createSocket("udp4")
  local lines = { "hello", "ludp speaks udp", "goodbye" }
  local answered = 0

  client:on("message", function(msg)
    answered = answered + 1
    print(string.format("client got %q", msg))
    if answered == #lines then
      client:close()
      server:close(function() print("done") end)
    end
  end)

  for _, line in ipairs(lines) do
    client:send(line, addr.port, "127.0.0.1")
  end
end)

server:bind(0, "127.0.0.1")
