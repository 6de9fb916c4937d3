-- Spec for lua/dgram.lua with src/udp.c and src/handle.c: the lifetime of
-- sockets. A bound socket lives (and keeps the loop alive) until closed or
-- unref'd, whether or not Lua still holds it; an unreachable socket that
-- was never bound is collected and its handle freed, silently; no callback
-- runs for a collected socket. Loopback only, port 0 only.

local dgram = require("dgram")
local ludp = require("ludp")
local core = require("ludp.core")
local T = require("ludp.test")

local function full_gc()
  collectgarbage()
  collectgarbage()
end

local open_sockets = require("helpers").open_sockets

local round_trips = require("helpers").round_trips

local function weak() return setmetatable({}, { __mode = "v" }) end

describe("a bound socket", function()
  it("keeps receiving with no Lua reference to it, after full collections",
     function()
    local ref = weak()
    local got = {}
    T.run(function(done)
      local port
      do
        local s = dgram.createSocket("udp4")
        s:on("message", function(msg, rinfo)
          got[#got + 1] = msg
          -- reply, so the client knows it is still there
          ref.server:send("ack " .. msg, rinfo.port, rinfo.address)
        end)
        ref.server = s
        s:bind(0, "127.0.0.1", function()
          port = ref.server:address().port
          full_gc()
          assert.is_not_nil(ref.server)       -- still alive
          local c = dgram.createSocket("udp4")
          c:on("message", T.expect(function(msg)
            assert.equal("ack one", msg)
            full_gc()
            assert.is_not_nil(ref.server)
            c:close()
            ref.server:close(done)
          end))
          c:send("one", port)
        end)
      end
      full_gc()
    end)
    assert.same({ "one" }, got)
  end)

  it("keeps the loop alive until closed, unless unref'd", function()
    local ref = weak()
    do
      local s = dgram.createSocket("udp6")
      ref.s = s
      s:bind(0, "::1")
    end
    ludp.run("nowait")             -- the bind happens
    full_gc()
    assert.is_not_nil(ref.s)
    assert.is_true(core.alive())
    ref.s:unref()
    assert.is_false(core.alive())
    assert.is_false(ludp.run())    -- returns at once
    full_gc()
    assert.is_not_nil(ref.s)       -- unref'd is not collectable either
    ref.s:ref()
    assert.is_true(core.alive())
    ref.s:close()
    ludp.run()
    assert.is_false(core.alive())
    full_gc()
    assert.is_nil(ref.s)           -- closed and dropped: collected
  end)
end)

describe("an unbound socket", function()
  it("is collected when unreachable, silently", function()
    local ref = weak()
    T.run(function(done)
      for i = 1, 100 do
        local s = dgram.createSocket(i % 2 == 0 and "udp4" or "udp6")
        s:on("close", T.expect(nil, 0))
        s:on("error", T.expect(nil, 0))
        s:on("listening", T.expect(nil, 0))
        s:unref()
        ref[i] = s
      end
      full_gc()
      assert.is_nil(next(ref))
      core.next_tick(done)         -- a pass of the loop frees the handles
    end)
  end)

  it("that holds a descriptor (its bind failed) closes it when collected",
     function()
    local before, after
    T.run(function(done)
      local holder = dgram.createSocket("udp4")
      holder:bind(0, "127.0.0.1", function()
        local port = holder:address().port
        local ref, failed = weak(), 0
        local strong = {}          -- held until counted (LUDP_GC_STRESS)
        before = open_sockets()
        for i = 1, 20 do
          local s = dgram.createSocket("udp4")
          ref[i], strong[i] = s, s
          s:on("error", function(err)
            assert.equal("EADDRINUSE", err.code)
            failed = failed + 1
            if failed == 20 then
              core.next_tick(function()
                assert.is_true(open_sockets() >= before + #strong)
                strong = nil
                full_gc()
                assert.is_nil(next(ref))
                holder:close(done)
              end)
            end
          end)
          s:bind(port, "127.0.0.1")
        end
      end)
    end)
    after = open_sockets()
    assert.equal(before - 1, after)   -- the holder is closed too
  end)

  it("binding when dropped is kept until bound, then lives on", function()
    local ref = weak()
    T.run(function(done)
      do
        local s = dgram.createSocket("udp4")
        ref.s = s
        s:bind(0, "localhost", function()
          full_gc()
          assert.is_not_nil(ref.s)
          ref.s:close(done)
        end)
      end
      full_gc()
      assert.is_not_nil(ref.s)     -- its lookup holds it
    end)
  end)
end)

describe("many sockets", function()
  it("bound, used and closed with collections in between", function()
    local N, received, closed = 60, 0, 0
    T.run(function(done)
      for i = 1, N do
        local s = dgram.createSocket(i % 2 == 0 and "udp4" or "udp6")
        s:on("message", function(msg)
          assert.equal("self " .. i, msg)
          received = received + 1
          collectgarbage("step")
          s:close(function()
            closed = closed + 1
            full_gc()
            if closed == N then done() end
          end)
        end)
        s:bind(0, i % 2 == 0 and "127.0.0.1" or "::1", function()
          s:send("self " .. i, s:address().port, function()
            collectgarbage("step")
          end)
        end)
        if i % 10 == 0 then full_gc() end
      end
    end)
    assert.equal(N, received)
    assert.equal(N, closed)
  end)
end)

-- A collection due soon is made after a small batch's replies have left
-- (collect_ahead in src/udp.c), not from the next request's allocations
-- on its way to its reply.
describe("the collector and lone requests", function()
  local timers = require("timers")

  it("collects after a reply, not between a request's arrival and its reply",
     function()
    -- Finalizers run inside a collection: 'on_path' is true from just
    -- before the client's send to just after the server's reply, where the
    -- only allocation is the request's 2000 B msg; the client's handler
    -- makes the garbage, with finalizers.
    local ROUNDS, SIZE = 1000, 2000
    local on_path, on_path_runs, runs = false, 0, 0
    local mt = { __gc = function()
      runs = runs + 1
      if on_path then on_path_runs = on_path_runs + 1 end
    end }
    local mode = collectgarbage("generational") -- the host's mode
    collectgarbage()
    local n = 0
    local payload = ("x"):rep(SIZE)
    local function request(send)
      on_path = true
      send(payload)
    end
    round_trips(ROUNDS, {
      request = function(i, _, send)
        if i == 1 then return request(send) end
        timers.setImmediate(request, send)
      end,
      echo = function(_, i)
        n = i
        for _ = 1, 20 do setmetatable({}, mt) end
      end,
      after_reply = function() on_path = false end,
      timeout = 60000,              -- a watchdog: GC stress, valgrind
    })
    collectgarbage(mode)
    assert.equal(ROUNDS, n)
    assert.is_true(runs > 0, "no collection ran: the test tested nothing")
    assert.equal(0, on_path_runs)
  end)

  it("leaves a stopped collector stopped", function()
    local ROUNDS = 200
    local counts = {}
    collectgarbage("stop")
    round_trips(ROUNDS, {
      request = function(_, echo, send) send(echo or "x") end,
      before_reply = function()
        local _ = ("y"):rep(2048) -- garbage a collection would free
        counts[#counts + 1] = collectgarbage("count")
      end,
    })
    local running = collectgarbage("isrunning")
    collectgarbage("restart")
    assert.is_false(running)
    assert.equal(ROUNDS, #counts)
    for i = 2, ROUNDS do
      -- 2 kB more each time; a collection would have freed hundreds
      assert.is_true(counts[i] > counts[i - 1] - 1,
                     ("count fell from %.1f to %.1f kB"):format(counts[i - 1],
                                                               counts[i]))
    end
  end)
end)
