-- A StatsD aggregator: reads metrics over UDP ("name:value|type", several
-- in a datagram separated by newlines, as clients batch them), adds them
-- up, and every interval writes what it gathered as one JSON line:
--
--   counters  "hits:1|c", "hits:1|c|@0.1" (sampled: counts 1/0.1 = 10)
--   gauges    "temp:21|g" sets, "temp:+2|g" and "temp:-1|g" move it;
--             a gauge keeps its value from one interval to the next
--   timers    "load:320|ms" (and "|h"): count, sum, min, max and p90
--             (the largest of the lowest 90 percent of the values)
--   sets      "users:alice|s": how many distinct values
--
-- {"counters":{...},"gauges":{...},"timers":{"load":{"count":..,"sum":..,
-- "min":..,"max":..,"p90":..}},"sets":{...},"metrics":n,"bad":n,
-- "received":n,"kernelDrops":n}: metrics is how many this interval
-- counted, bad how many lines it could not read; received and kernelDrops
-- are the socket's totals (stats()), so loss in this host is visible.
-- Tags after "|#" (DogStatsD) are ignored.
--
--   ludp examples/statsd.lua [port] [address] [interval ms]
--
-- Defaults: port 8125 on 127.0.0.1, every 10000 ms. SIGUSR1 flushes at
-- once; SIGINT or SIGTERM flushes and stops. Try it with:
--   printf 'hits:1|c\nload:320|ms' | socat -u - UDP4-SENDTO:127.0.0.1:8125

local dgram = require("dgram")
local cjson = require("cjson")

local port = tonumber(arg[1]) or 8125
local address = arg[2] or "127.0.0.1"
local interval = tonumber(arg[3]) or 10000

-- What an interval gathered; gauges outlive it.
local counters, timers, sets, gauges = {}, {}, {}, {}
local metrics, bad = 0, 0

-- One "name:value|type[|@rate][|#tags]"; false when it cannot be read.
local function add(line)
  local name, value, kind, rest = line:match("^([^:|]+):([^|]+)|(%a+)(.*)$")
  if not name then return false end
  local rate = 1
  for field in rest:gmatch("|([^|]*)") do
    if field:sub(1, 1) == "@" then
      rate = tonumber(field:sub(2))
      if not rate or rate <= 0 or rate > 1 then return false end
    end
  end
  if kind == "s" then
    local set = sets[name] or {}
    sets[name] = set
    set[value] = true
    return true
  end
  local n = tonumber(value)
  if not n then return false end
  if kind == "c" then
    counters[name] = (counters[name] or 0) + n / rate
  elseif kind == "g" then
    if value:find("^[+-]") then
      gauges[name] = (gauges[name] or 0) + n
    else
      gauges[name] = n
    end
  elseif kind == "ms" or kind == "h" then
    local list = timers[name] or {}
    timers[name] = list
    list[#list + 1] = n
  else
    return false
  end
  return true
end

local server = dgram.createSocket({
  type = address:find(":", 1, true) and "udp6" or "udp4",
  -- A larger receive buffer than the system's default (often 208 KiB):
  -- clients send in bursts (a request handler's metrics, a batch job's
  -- end), faster than this loop reads for a moment; what the buffer
  -- cannot hold the kernel drops, and kernelDrops below counts it. Linux
  -- caps the size at net.core.rmem_max unless the process is privileged.
  recvBufferSize = 4 * 1024 * 1024,
})

server:on("message", function(msg)
  for line in msg:gmatch("[^\n]+") do
    if add(line) then metrics = metrics + 1 else bad = bad + 1 end
  end
end)

local function summary(list)
  table.sort(list)
  local sum = 0
  for _, v in ipairs(list) do sum = sum + v end
  local n = #list
  return { count = n, sum = sum, min = list[1], max = list[n],
           p90 = list[math.max(1, math.floor(n * 0.9 + 0.5))] }
end

local function flush()
  local out = { counters = counters, gauges = gauges, timers = {},
                sets = {}, metrics = metrics, bad = bad }
  for name, list in pairs(timers) do out.timers[name] = summary(list) end
  for name, set in pairs(sets) do
    local n = 0
    for _ in pairs(set) do n = n + 1 end
    out.sets[name] = n
  end
  local st = server:stats()
  out.received, out.kernelDrops = st.received, st.kernelDrops
  -- cjson writes an empty table as {}: what JSON readers expect here
  local line = cjson.encode(out)
  io.stdout:write(line, "\n")
  counters, timers, sets, metrics, bad = {}, {}, {}, 0, 0
end

server:on("error", function(err)
  io.stderr:write("statsd: ", tostring(err), "\n")
  process.exitCode = 1
  server:close()
end)

io.stdout:setvbuf("line")
local timer
server:bind(port, address, function()
  local a = server:address()
  io.stderr:write(string.format("statsd listening %s:%d every %d ms\n",
                                a.address, a.port, interval))
  timer = setInterval(flush, interval)
end)

local stopped = false
process.on("SIGUSR1", function()
  if not stopped then flush() end
end)
local function stop()
  if stopped then return end              -- a second signal while closing
  stopped = true
  flush()
  if timer then clearInterval(timer) end
  server:close()
end
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
