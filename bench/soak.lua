-- bench/soak.lua: load without loss, on 127.0.0.1 only (run by
-- bench/soak.sh; see docs/reliability.md).
--
--   ludp bench/soak.lua server
--   ludp bench/soak.lua client PORT [COUNT] [SIZE] [WINDOW] [SECONDS]
--
-- The server echoes every datagram from its 'message' handler and counts
-- what it received and answered, samples its send queue every 10 ms and
-- its RSS when told. It prints "port <p> pid <pid>" first. Datagrams that
-- start with "\0ctl " are commands from the client, not counted:
-- "mark" (RSS and Lua heap after the warm-up), "stats" (answers its
-- counters), "quit".
--
-- The client, on its own core, runs four phases against it:
--   1. warm-up: 100 000 echoes;
--   2. mark, then the flood: COUNT (1 000 000) datagrams of SIZE (64)
--      bytes, each carrying its sequence number, at most WINDOW (256) in
--      flight; every echo is checked off in a table, duplicates and
--      strangers counted; datagrams with no echo after 200 ms of silence
--      are written off as lost;
--   3. a peer that stops reading: 200 000 more datagrams from a socket
--      that never reads, as fast as it can send; the server answers into
--      a full receive buffer while its send queue is sampled;
--   4. stats: both sides' counters and the RSS figures, the checks, a last
--      line PASS or FAIL; exit status 0 or 1.
-- Bounded by the counts and by SECONDS (300) of wall time.

local dgram = require("dgram")
local core = require("ludp.core")

local CTL = "\0ctl "

local function rss_kb()
  local f = io.open("/proc/self/statm", "r")
  if not f then return -1 end
  local _, resident = f:read("n", "n")
  f:close()
  return resident * 4
end

-- ----------------------------------------------------------------- server

local function server()
  local s = dgram.createSocket({ type = "udp4", recvBufferSize = 4 << 20,
                                 sendBufferSize = 4 << 20 })
  local st = { received = 0, answered = 0, send_errors = 0, queue_max = 0,
               queue_bytes_max = 0, mark_rss = -1, mark_heap = -1 }
  s:on("error", function(err)
    st.send_errors = st.send_errors + 1
    io.stderr:write("soak server: ", tostring(err), "\n")
  end)
  local sampler = setInterval(function()
    local n, b = s:getSendQueueCount(), s:getSendQueueSize()
    if n > st.queue_max then st.queue_max = n end
    if b > st.queue_bytes_max then st.queue_bytes_max = b end
  end, 10)
  s:on("message", function(msg, rinfo)
    if msg:sub(1, 5) == CTL then
      local cmd = msg:sub(6)
      if cmd == "mark" then
        st.mark_rss, st.mark_heap = rss_kb(), collectgarbage("count")
        s:send(CTL .. "marked", rinfo.port, rinfo.address)
      elseif cmd == "stats" then
        s:send(string.format(
          "%sreceived=%d answered=%d send_errors=%d queue_max=%d " ..
          "queue_bytes_max=%d mark_rss_kb=%d rss_kb=%d mark_heap_kb=%d " ..
          "heap_kb=%d", CTL, st.received, st.answered, st.send_errors,
          st.queue_max, st.queue_bytes_max, st.mark_rss, rss_kb(),
          math.floor(st.mark_heap), math.floor(collectgarbage("count"))),
          rinfo.port, rinfo.address)
      elseif cmd == "quit" then
        clearInterval(sampler)
        s:close()
      end
      return
    end
    st.received = st.received + 1
    s:send(msg, rinfo.port, rinfo.address)
    st.answered = st.answered + 1
  end)
  s:bind(0, "127.0.0.1", function()
    io.stdout:write("port ", s:address().port, " pid ", process.pid, "\n")
    io.stdout:flush()
  end)
end

-- ----------------------------------------------------------------- client

local function client(port, count, size, window, seconds)
  local started = core.hrtime()
  local c = dgram.createSocket({ type = "udp4", recvBufferSize = 4 << 20 })
  local pad = ("s"):rep(math.max(size - 8, 0))
  local pack, unpack = string.pack, string.unpack
  local result = { lost = 0, dups = 0, strangers = 0 }
  local phase, on_ctl
  local seen                        -- seen[seq] = true once echoed

  local deadline = setTimeout(function()
    io.stdout:write("soak: FAIL: still running after ", seconds, " s\n")
    process.exit(1)
  end, seconds * 1000)
  deadline:unref()

  -- Sends "\0ctl cmd" every 200 ms until the answer comes (on_ctl).
  local function control(cmd, then_do)
    local retry
    on_ctl = function(answer)
      clearInterval(retry)
      on_ctl = nil
      then_do(answer)
    end
    c:send(CTL .. cmd, port, "127.0.0.1")
    retry = setInterval(function() c:send(CTL .. cmd, port, "127.0.0.1") end,
                        200)
  end

  -- A windowed run of seq from..to; done(echoed) when all are back or
  -- written off after 200 ms of silence.
  local function windowed(from, to, done)
    local next_seq, inflight, echoed = from, 0, 0
    local silence
    local function finish()
      clearTimeout(silence)
      phase = nil
      done(echoed)
    end
    local function refill()
      while inflight < window and next_seq <= to do
        c:send(pack("<I8", next_seq) .. pad, port, "127.0.0.1")
        next_seq = next_seq + 1
        inflight = inflight + 1
      end
    end
    silence = setInterval(function()
      if phase.progress then
        phase.progress = false
        return
      end
      result.lost = result.lost + inflight   -- 200 ms without an echo
      inflight = 0
      if next_seq > to then finish() else refill() end
    end, 200)
    phase = {
      progress = false,
      echo = function(seq)
        phase.progress = true
        if seq < from or seq > to then
          result.strangers = result.strangers + 1
          return
        end
        if seen[seq] then
          result.dups = result.dups + 1
          return
        end
        seen[seq] = true
        echoed = echoed + 1
        if inflight > 0 then inflight = inflight - 1 end
        if echoed == to - from + 1 then
          finish()
        elseif inflight <= window - 64 or next_seq > to then
          refill()
        end
      end,
    }
    refill()
  end

  c:on("message", function(msg)
    if msg:sub(1, 5) == CTL then
      if on_ctl then on_ctl(msg:sub(6)) end
      return
    end
    if #msg < 8 then
      result.strangers = result.strangers + 1
      return
    end
    local seq = unpack("<I8", msg)
    if phase then
      phase.echo(seq)
    elseif seq > count + 100000 then
      -- echoes meant for the blind socket cannot come here
      result.strangers = result.strangers + 1
    else
      result.late = (result.late or 0) + 1
    end
  end)

  local warm = 100000
  local blind_n = 200000
  local function report(stats)
    local s = {}
    for k, v in stats:gmatch("(%S+)=(%S+)") do s[k] = tonumber(v) end
    local secs = (core.hrtime() - started) / 1e9
    local out = io.stdout
    out:write(string.format(
      "soak: client sent %d (warm-up %d + flood %d + blind %d), echoes " ..
      "back %d, lost %d, duplicates %d, strangers %d, in %.1f s\n",
      warm + count + blind_n, warm, count, blind_n, result.echoed,
      result.lost, result.dups, result.strangers, secs))
    out:write(string.format(
      "soak: server received %d, answered %d, send errors %d\n",
      s.received, s.answered, s.send_errors))
    out:write(string.format(
      "soak: server send queue max %d datagrams / %d bytes " ..
      "(sampled every 10 ms, blind peer included)\n",
      s.queue_max, s.queue_bytes_max))
    out:write(string.format(
      "soak: server RSS after warm-up %d KB, at the end %d KB " ..
      "(growth %d KB); Lua heap %d KB -> %d KB\n",
      s.mark_rss_kb, s.rss_kb, s.rss_kb - s.mark_rss_kb, s.mark_heap_kb,
      s.heap_kb))
    local fails = {}
    local function check(ok, what) if not ok then fails[#fails + 1] = what end end
    check(s.received == s.answered + 0, "server answered != received")
    check(s.send_errors == 0, "server send errors")
    check(result.dups == 0, "duplicate echoes")
    check(result.strangers == 0, "echoes of datagrams never sent")
    -- every echo that came back was answered once: echoes <= answered
    check(result.echoed <= s.answered, "more echoes than answers")
    -- the flood and warm-up: the window keeps the server from dropping,
    -- so each one it received came back
    check(result.lost == 0, "datagrams of the windowed phases lost")
    check(s.received >= warm + count, "server received fewer than sent")
    check(s.rss_kb - s.mark_rss_kb < 1024, "RSS grew by 1 MB or more")
    check(s.queue_max <= 64, "send queue not bounded")
    if #fails == 0 then
      out:write("soak: PASS\n")
    else
      out:write("soak: FAIL: ", table.concat(fails, "; "), "\n")
      process.exitCode = 1
    end
  end

  local function blind_peer(then_do)
    -- A socket of the binding that is bound and never reads: the server's
    -- answers fill its receive buffer and the kernel drops the rest.
    local h = core.udp(4)
    assert(h:bind("127.0.0.1", 0) == 0)
    local base = count + 100000 + 1
    local seq, sent = base, 0
    local pumping
    pumping = setInterval(function()
      for _ = 1, 2000 do
        if sent == blind_n then break end
        local r = h:send(pack("<I8", seq) .. pad, "127.0.0.1", port)
        if r == 0 then
          seq, sent = seq + 1, sent + 1
        else
          break                      -- EAGAIN: the next tick goes on
        end
      end
      if sent == blind_n then
        clearInterval(pumping)
        h:close()
        then_do()
      end
    end, 1)
  end

  seen = {}
  windowed(1, warm, function(e1)
    control("mark", function()
      windowed(warm + 1, warm + count, function(e2)
        result.echoed = e1 + e2
        blind_peer(function()
          control("stats", function(stats)
            report(stats)
            c:send(CTL .. "quit", port, "127.0.0.1", function()
              clearTimeout(deadline)
              c:close()
            end)
          end)
        end)
      end)
    end)
  end)
end

local role = arg[1]
if role == "server" then
  server()
elseif role == "client" then
  local port = tonumber(arg[2])
  assert(port, "usage: soak.lua client PORT [COUNT] [SIZE] [WINDOW] [SECONDS]")
  client(port, tonumber(arg[3]) or 1000000, tonumber(arg[4]) or 64,
         tonumber(arg[5]) or 256, tonumber(arg[6]) or 300)
else
  io.stderr:write("usage: ludp bench/soak.lua server | client PORT ...\n")
  process.exitCode = 2
end
