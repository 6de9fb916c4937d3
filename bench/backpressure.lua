-- bench/backpressure.lua: a producer loop written with sendHighWaterMark
-- (`if not sock:send(...) then ludp.wait(sock, "drain") end`) sends N
-- datagrams (default 1,000,000) of 100 bytes to a receiver in the same
-- process, through a path that holds them: every send waits for a lookup
-- of the receiver's name, answered on the next turn of the loop (the
-- kernel itself never says EAGAIN over loopback, so this is the slow
-- part). Prints the sends that returned false, the most bytes the socket
-- held, the Lua heap's peak, what the receiver got, and the time.
--
--   build/ludp bench/backpressure.lua [N] [MARK]

local dgram = require("dgram")
local ludp = require("ludp")
local backpressure = require("ludp.backpressure")

local N = tonumber(arg[1]) or 1000000
local MARK = tonumber(arg[2]) or 65536
local SIZE = 100

local receiver = dgram.createSocket({ type = "udp4",
                                      recvBufferSize = 4 * 1024 * 1024 })
local got = 0
receiver:on("message", function() got = got + 1 end)
receiver:bind(0, "127.0.0.1")

local s = dgram.createSocket({ type = "udp4", sendHighWaterMark = MARK,
  lookup = function(host, _, cb)
    if host == "127.0.0.1" then return cb(nil, host, 4) end
    setImmediate(cb, nil, "127.0.0.1", 4)
  end })
s:bind(0, "127.0.0.1")

ludp.async(function()
  assert(ludp.wait(receiver, "listening"))
  assert(ludp.wait(s, "listening"))
  local port, data = receiver:address().port, string.rep("x", SIZE)
  local falses, most, heap = 0, 0, 0
  local t0 = os.clock()
  for i = 1, N do
    if not s:send(data, port, "receiver.test") then
      falses = falses + 1
      local held = backpressure.held(s)
      if held > most then most = held end
      local kb = collectgarbage("count")
      if kb > heap then heap = kb end
      assert(ludp.wait(s, "drain"))
    end
    if i % 100000 == 0 then io.stderr:write(i, "\n") end
  end
  while backpressure.held(s) > 0 do ludp.sleep(5) end   -- all handed on
  while got < N do                     -- what is on its way comes in
    local before = got
    ludp.sleep(50)
    if got == before then break end
  end
  print(string.format("%d datagrams of %d B, mark %d B: %d sends returned " ..
    "false; at most %d B held; Lua heap peak %.0f kB; received %d " ..
    "(%d lost); %.1f s CPU", N, SIZE, MARK, falses, most, heap, got,
    N - got, os.clock() - t0))
  s:close()
  receiver:close()
end)
