-- bench/request_response.lua: request/response round trips against an
-- echo server (examples/echo.lua, another process), written two ways in
-- the same run: with coroutines (sock:request with a timeout, retries and
-- match) and with callbacks (a 'message' listener, a table of pending
-- requests by ID, setTimeout for the resend). Both keep CHAINS requests
-- in flight, each chain sending its next request when the last one is
-- answered. Prints, per round and variant, exchanges per second and this
-- process's CPU per exchange (os.clock), then the medians and the
-- coroutine/callback ratio of CPU per exchange.
--
--   build/ludp bench/request_response.lua PORT [EXCHANGES] [ROUNDS] [CHAINS]
--
-- Defaults: 100000 exchanges per variant and round, 5 rounds, 16 chains.
-- bench/request_response.sh starts the echo server and runs this.

local dgram = require("dgram")
local ludp = require("ludp")
local EventEmitter = require("events")

local port = assert(tonumber(arg[1]), "usage: request_response.lua PORT ...")
local N = tonumber(arg[2]) or 100000
local ROUNDS = tonumber(arg[3]) or 5
local CHAINS = tonumber(arg[4]) or 16
local HOST, TIMEOUT, RETRIES = "127.0.0.1", 1000, 2
local pack, unpack = string.pack, string.unpack

-- Coroutines: each chain a loop of sock:request.
local function with_coroutines(sock, done)
  local left, running = N, CHAINS
  for _ = 1, CHAINS do
    ludp.async(function()
      while left > 0 do
        left = left - 1
        local id = left
        local reply = sock:request(pack(">I4", id) .. "request", port, HOST, {
          timeout = TIMEOUT, retries = RETRIES,
          match = function(msg) return unpack(">I4", msg) == id end })
        assert(reply, "no reply")
      end
      running = running - 1
      if running == 0 then done() end
    end)
  end
end

-- Callbacks: pending[id] = its chain's state; a timer per request.
local function with_callbacks(sock, done)
  local left, running, pending = N, CHAINS, {}
  local next_request
  local function resend(p)
    if p.tries > RETRIES then error("no reply") end
    p.tries = p.tries + 1
    sock:send(p.msg, port, HOST)
    p.timer = setTimeout(resend, TIMEOUT, p)
  end
  sock:on("message", function(msg)
    local id = unpack(">I4", msg)
    local p = pending[id]
    if p == nil then return end        -- a late duplicate
    pending[id] = nil
    clearTimeout(p.timer)
    next_request()
  end)
  function next_request()
    if left == 0 then
      running = running - 1
      if running == 0 then
        sock:removeAllListeners("message")
        done()
      end
      return
    end
    left = left - 1
    local p = { msg = pack(">I4", left) .. "request", tries = 0 }
    pending[left] = p
    resend(p)
  end
  for _ = 1, CHAINS do next_request() end
end

local variants = { coroutines = with_coroutines, callbacks = with_callbacks }
local results = { coroutines = {}, callbacks = {} }

local function median(t)
  local s = { table.unpack(t) }
  table.sort(s)
  return s[(#s + 1) // 2]
end

ludp.async(function()
  local sock = dgram.createSocket("udp4")
  sock:bind(0, HOST)
  assert(ludp.wait(sock, "listening"))
  print(string.format("%d exchanges per variant and round, %d in flight",
                      N, CHAINS))
  print("round  variant      exchanges/s  CPU us/exchange")
  for round = 1, ROUNDS do
    -- alternate which goes first
    local order = round % 2 == 1 and { "coroutines", "callbacks" }
                  or { "callbacks", "coroutines" }
    for _, name in ipairs(order) do
      collectgarbage()
      local finished = EventEmitter.new()
      local t0, c0 = process.hrtime.bigint(), os.clock()
      variants[name](sock, function() finished:emit("done") end)
      assert(ludp.wait(finished, "done"))
      local secs = (process.hrtime.bigint() - t0) / 1e9
      local cpu = os.clock() - c0
      local r = { rate = N / secs, cpu = cpu / N * 1e6 }
      table.insert(results[name], r)
      print(string.format("%5d  %-11s %12.0f  %15.2f", round, name, r.rate,
                          r.cpu))
    end
  end
  local function col(name, field)
    local t = {}
    for i, r in ipairs(results[name]) do t[i] = r[field] end
    return t
  end
  local ratios = {}
  for i = 1, ROUNDS do
    ratios[i] = results.coroutines[i].cpu / results.callbacks[i].cpu
  end
  print(string.format("median: coroutines %.0f/s %.2f us, callbacks %.0f/s " ..
    "%.2f us; CPU per exchange coroutines/callbacks %.3f (per round %s)",
    median(col("coroutines", "rate")), median(col("coroutines", "cpu")),
    median(col("callbacks", "rate")), median(col("callbacks", "cpu")),
    median(ratios), table.concat((function()
      local s = {}
      for i, r in ipairs(ratios) do s[i] = string.format("%.3f", r) end
      return s
    end)(), " ")))
  sock:close()
end)
