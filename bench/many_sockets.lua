-- bench/many_sockets.lua - N UDP sockets bound in one ludp process, all
-- receiving: how long creating them takes and how much memory each costs.
--
--   build/ludp bench/many_sockets.lua [N]        (default 10000; or $N)
--
-- Creates N udp4 sockets, each bound to 127.0.0.1:0 with a 'message'
-- listener (one shared function, so that the figure is ludp's own cost per
-- socket, not the user's closures), and times that up to the last
-- 'listening'. Memory per socket = (VmRSS after - VmRSS before) / N, read
-- from /proc/self/status after a full GC both times; the kernel's own memory
-- for a socket (struct sock, file, inode) is not in VmRSS. Then one client
-- socket sends one datagram to each, the script checks that every socket got
-- exactly its own, closes them all and exits 0 (1 on any failure or after a
-- 20 s watchdog). Needs N + ~20 file descriptors: `ulimit -n` first.
--
-- The last line is key=value pairs for bench/run.

local dgram = require("dgram")

local N = math.tointeger(tonumber(arg[1] or os.getenv("N") or "10000"))
assert(N and N > 0, "usage: ludp bench/many_sockets.lua [N]")

local function status_kb(field)
  local f = assert(io.open("/proc/self/status"))
  local text = f:read("a")
  f:close()
  return tonumber(text:match(field .. ":%s*(%d+)"))
end

local function fd_limit()
  local f = io.open("/proc/self/limits")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return tonumber(text:match("Max open files%s+(%d+)"))
end

local function now_ms()
  return process.hrtime.bigint() / 1e6
end

local limit = fd_limit()
if limit and limit < N + 20 then
  io.stderr:write(string.format(
    "many_sockets: %d sockets need %d file descriptors, the limit is %d: run `ulimit -n %d` first"
      .. " (the hard limit, `ulimit -Hn`, must allow it)\n", N, N + 20, limit, N + 20))
  os.exit(2)
end

local failed = false
local function fail(what)
  if not failed then io.stderr:write("many_sockets: ", what, "\n") end
  failed = true
  process.exitCode = 1
end

local sockets = {}
local got, bound = 0, 0
local seen = {}
local t, figures = {}, {}

local function on_message(msg)
  local i = tonumber(msg)
  if not i or seen[i] then return fail("unexpected or repeated datagram " .. msg) end
  seen[i] = true
  got = got + 1
  if got == N then t.delivered = now_ms() end
end

local function on_error(err)
  fail("socket error: " .. tostring(err.message or err))
end

local watchdog
local function finish()
  local t_close = now_ms()
  local closed = 0
  local function one_closed()
    closed = closed + 1
    if closed < N + 1 then return end
    clearTimeout(watchdog)
    figures.close_ms = now_ms() - t_close
    local f = figures
    print(string.format("many_sockets: %d sockets bound and receiving in %.0f ms (%.1f us each)",
      N, f.create_ms, 1000 * f.create_ms / N))
    print(string.format("many_sockets: VmRSS %d kB -> %d kB: %.0f bytes per socket"
      .. " (Lua heap: %.0f bytes per socket)", f.rss0, f.rss1, f.rss_per, f.lua_per))
    print(string.format("many_sockets: one datagram to each: %d of %d arrived in %.0f ms;"
      .. " closed in %.0f ms; peak VmHWM %d kB", got, N, f.deliver_ms or -1, f.close_ms, f.hwm))
    print(string.format("many_sockets n=%d create_ms=%.1f create_us_per_socket=%.2f"
      .. " rss_before_kb=%d rss_after_kb=%d rss_bytes_per_socket=%.0f lua_bytes_per_socket=%.0f"
      .. " delivered=%d deliver_ms=%.1f close_ms=%.1f vmhwm_kb=%d ok=%d",
      N, f.create_ms, 1000 * f.create_ms / N, f.rss0, f.rss1, f.rss_per, f.lua_per,
      got, f.deliver_ms or -1, f.close_ms, f.hwm, failed and 0 or 1))
  end
  for i = 1, N do sockets[i]:close(one_closed) end
  sockets[0]:close(one_closed)
end

local function send_to_all()
  local client = dgram.createSocket("udp4")
  sockets[0] = client
  client:on("error", on_error)
  local t_send = now_ms()
  for i = 1, N do
    client:send(tostring(i), sockets[i]:address().port, "127.0.0.1")
  end
  local function wait_all()
    if got == N then
      figures.deliver_ms = t.delivered - t_send
      figures.hwm = status_kb("VmHWM")
      return finish()
    end
    if failed then return finish() end
    setTimeout(wait_all, 5)
  end
  wait_all()
end

local function all_listening()
  figures.create_ms = now_ms() - t.start
  collectgarbage("collect")
  figures.rss1 = status_kb("VmRSS")
  figures.rss_per = (figures.rss1 - figures.rss0) * 1024 / N
  figures.lua_per = (collectgarbage("count") - t.lua0) * 1024 / N
  send_to_all()
end

watchdog = setTimeout(function()
  fail(string.format("watchdog: after 20 s, %d of %d bound, %d of %d datagrams arrived",
    bound, N, got, N))
  os.exit(1)
end, 20000)

collectgarbage("collect")
figures.rss0 = status_kb("VmRSS")
t.lua0 = collectgarbage("count")
t.start = now_ms()
for i = 1, N do
  local s = dgram.createSocket("udp4")
  s:on("message", on_message)
  s:on("error", on_error)
  s:bind(0, "127.0.0.1", function()
    bound = bound + 1
    if bound == N then all_listening() end
  end)
  sockets[i] = s
end
