-- bench/burst.lua - does ludp give memory back after a burst? RSS before,
-- at the peak and after the burst is released, for one kind of burst:
--
--   build/ludp bench/burst.lua KIND [SETTLE_S]     (bench/burst.sh runs them all)
--
--   sockets   10,000 udp4 sockets bound to 127.0.0.1:0, each with a
--             'message' listener ($SOCKETS), then all closed
--   sends     a backlog of 1 GB ($SEND_MB) of distinct 60,000-byte
--             datagrams, sent while the socket binds: they wait in its
--             queue, then leave to a socket of 127.0.0.1 with no listener
--             (what arrives is dropped)
--   table     a Lua table of 2,000,000 ($ROWS) rows, each a small table
--             with a string, then dropped
--
-- After the release (0.1 s after the last close callback, when a socket
-- has let go of its handle): collectgarbage() twice, then VmRSS every second for
-- SETTLE_S seconds (default 60; it stops early once RSS has not moved for
-- 10 s, and says so). VmRSS is read from /proc/self/status. The last line
-- is key=value pairs: before_kb, peak_kb, released_kb (right after the
-- collection), settled_kb (the end), settled_s, and returned_pct, the
-- share of the burst's memory given back (peak - settled) / (peak - before).

local dgram = require("dgram")

local KIND = arg[1]
local SETTLE_S = tonumber(arg[2] or os.getenv("SETTLE_S") or "60")
local SOCKETS = math.tointeger(tonumber(os.getenv("SOCKETS") or "10000"))
local SEND_MB = tonumber(os.getenv("SEND_MB") or "1024")
local ROWS = math.tointeger(tonumber(os.getenv("ROWS") or "2000000"))
if KIND ~= "sockets" and KIND ~= "sends" and KIND ~= "table" then
  io.stderr:write("usage: ludp bench/burst.lua sockets|sends|table [SETTLE_S]\n")
  os.exit(2)
end

local function rss_kb()
  local f = assert(io.open("/proc/self/status"))
  local text = f:read("a")
  f:close()
  return tonumber(text:match("VmRSS:%s*(%d+)"))
end

local function full_gc()
  collectgarbage()
  collectgarbage()
end

local figures = {}

-- After the release: the collection, then RSS until it settles.
local function settle()
  full_gc()
  figures.released_kb = rss_kb()
  local last, still, t = figures.released_kb, 0, 0
  local timer
  timer = setInterval(function()
    t = t + 1
    local now = rss_kb()
    if now == last then still = still + 1 else still = 0 end
    last = now
    if t >= SETTLE_S or still >= 10 then
      clearInterval(timer)
      figures.settled_kb, figures.settled_s = now, t
      local burst = figures.peak_kb - figures.before_kb
      figures.returned_pct = burst > 0
        and 100 * (figures.peak_kb - now) / burst or 0
      print(string.format(
        "burst kind=%s before_kb=%d peak_kb=%d released_kb=%d settled_kb=%d"
          .. " settled_s=%d returned_pct=%.1f%s", KIND, figures.before_kb,
        figures.peak_kb, figures.released_kb, now, t, figures.returned_pct,
        still >= 10 and " (unchanged for 10 s)" or ""))
    end
  end, 1000)
end

local watchdog = setTimeout(function()
  io.stderr:write("burst: watchdog: no end after 300 s\n")
  os.exit(1)
end, 300000)
watchdog:unref()

full_gc()
figures.before_kb = rss_kb()

if KIND == "table" then
  local rows = {}
  for i = 1, ROWS do rows[i] = { id = i, name = "row " .. i } end
  figures.peak_kb = rss_kb()
  figures.rows = #rows
  rows = nil -- luacheck: ignore 311 (the release)
  settle()

elseif KIND == "sockets" then
  local sockets, bound = {}, 0
  local function on_message() end
  for i = 1, SOCKETS do
    local s = dgram.createSocket("udp4")
    s:on("message", on_message)
    s:bind(0, "127.0.0.1", function()
      bound = bound + 1
      if bound == SOCKETS then
        figures.peak_kb = rss_kb()
        local closed = 0
        for j = 1, SOCKETS do
          sockets[j]:close(function()
            closed = closed + 1
            if closed == SOCKETS then
              sockets = nil
              setTimeout(settle, 100) -- once the close callbacks are over
            end
          end)
        end
      end
    end)
    sockets[i] = s
  end

else -- sends
  local SIZE = 60000
  local n = math.floor(SEND_MB * 1024 * 1024 / SIZE)
  local sink = dgram.createSocket("udp4")
  sink:bind(0, "127.0.0.1", function()
    local port = sink:address().port
    local s = dgram.createSocket("udp4")
    s:bind(0, "127.0.0.1") -- binding: the sends below wait in its queue
    local base = string.rep("x", SIZE - 8)
    local left = n
    for i = 1, n do
      s:send(string.format("%08d", i % 100000000) .. base, port, "127.0.0.1",
        function()
          left = left - 1
          if left == 0 then
            s:close()
            sink:close()
            setTimeout(settle, 100)
          end
        end)
    end
    figures.peak_kb = rss_kb()
  end)
end
