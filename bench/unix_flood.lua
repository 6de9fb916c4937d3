-- Not part of bench/run: how many datagrams a second go through a Unix
-- datagram socket, one ludp process being both sides.
--
--   build/ludp bench/unix_flood.lua [N] [SIZE]
--
-- A connected sender writes N (200,000) datagrams of SIZE (100) bytes in
-- bursts of 1000, one burst a loop iteration, to a receiver bound to an
-- abstract name; the kernel's queue fills at once (max_dgram_qlen), so
-- most sends wait in the sender's queue for POLLOUT: this measures that
-- path as much as the receive batches. Prints the rate once every
-- datagram has arrived (or fails after 60 s).

local dgram = require("dgram")

local N = tonumber(arg and arg[1]) or 200000
local SIZE = tonumber(arg and arg[2]) or 100
local path = "@ludp-bench-" .. process.pid
local now = process.hrtime.bigint

local got, t0 = 0, nil
local server, client
server = dgram.createSocket("unix", function()
  got = got + 1
  if got == N then
    local dt = (now() - t0) / 1e9
    print(string.format("%d datagrams of %d bytes in %.3f s: %.0f a second",
                        N, SIZE, dt, N / dt))
    server:close()
    client:close()
  end
end)
local watchdog = setTimeout(function()
  print("unix_flood: " .. got .. " of " .. N .. " after 60 s")
  process.exit(1)
end, 60000)
watchdog:unref()

server:bind(path, function()
  client = dgram.createSocket("unix")
  client:connect(path, function()
    t0 = now()
    local msg = string.rep("x", SIZE)
    local sent = 0
    local function burst()
      for _ = 1, 1000 do
        if sent == N then return end
        sent = sent + 1
        client:send(msg)
      end
      setImmediate(burst)
    end
    burst()
  end)
end)
