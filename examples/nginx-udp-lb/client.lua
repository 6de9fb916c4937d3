-- Asks the balancer from several loopback source addresses (127.0.0.1 to
-- 127.0.0.N), twice from each (two source ports), and prints
-- "<source> <reply>" per reply.
--   ludp client.lua PORT [N]
local dgram = require("dgram")

local port = tonumber(arg[1])
local n = tonumber(arg[2]) or 8
local left = 2 * n
local sockets = {}

local watchdog = setTimeout(function()
  io.stderr:write("client: ", left, " replies missing after 10 s\n")
  os.exit(1)
end, 10000)

local function ask(source, text)
  local s = dgram.createSocket("udp4")
  sockets[#sockets + 1] = s
  s:on("message", function(msg)
    print(source .. " " .. msg)
    left = left - 1
    if left == 0 then
      clearTimeout(watchdog)
      for _, t in ipairs(sockets) do t:close() end
    end
  end)
  s:bind(0, source, function() s:send(text, port, "127.0.0.1") end)
end

for i = 1, n do
  ask("127.0.0." .. i, "hello 1")
  ask("127.0.0." .. i, "hello 2")
end
