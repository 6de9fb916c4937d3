-- Spec for lua/ludp/backpressure.lua with lua/dgram.lua: createSocket's
-- sendHighWaterMark. send() returns false once the bytes held for
-- sending reach the mark (held before the bind, during a lookup, in
-- libuv's queue after EAGAIN), true below it; 'drain' follows a false
-- once nothing is held; nothing is dropped. Without the option send()
-- returns nothing, as Node's. The kernel never says EAGAIN over loopback,
-- so libuv's queue is played by a stand-in for the handle. Loopback only,
-- port 0 only.

local dgram = require("dgram")
local ludp = require("ludp")
local T = require("ludp.test")
local raised = require("helpers").raised

-- A receiver on 127.0.0.1 that records what it gets; body(receiver,
-- port, got) runs in ludp.async, then the receiver closes.
local function with_receiver(body)
  local got = {}
  T.run(function(done)
    local r = dgram.createSocket("udp4")
    r:on("message", function(msg) got[#got + 1] = msg end)
    r:bind(0, "127.0.0.1", function()
      ludp.async(function()
        body(r, r:address().port, got)
        r:close(done)
      end)
    end)
  end)
  return got
end

describe("send() without sendHighWaterMark", function()
  it("returns nothing, in C's reply form and in dgram's", function()
    with_receiver(function(_, port, got)
      local s = dgram.createSocket("udp4")
      assert.equal(0, select("#", s:send("a", port, "127.0.0.1")))  -- unbound
      assert(ludp.wait(s, "listening"))
      assert.equal(0, select("#", s:send("b", port, "127.0.0.1")))  -- C form
      assert.equal(0, select("#", s:send("c", port, "127.0.0.1",
                                         function() end)))
      while #got < 3 do ludp.sleep(1) end
      s:close()
    end)
  end)
end)

describe("sendHighWaterMark", function()
  it("must be a positive integer", function()
    for _, bad in ipairs({ 0, -1, 1.5, "10", true }) do
      assert.equal("ERR_INVALID_ARG_TYPE", raised(dgram.createSocket,
        { type = "udp4", sendHighWaterMark = bad }).code)
    end
  end)

  it("counts what waits for the bind: false at the mark, 'drain' after, " ..
     "nothing dropped", function()
    local results, drained = {}, 0
    local got = with_receiver(function(_, port, got)
      local s = dgram.createSocket({ type = "udp4", sendHighWaterMark = 10 })
      s:on("drain", function() drained = drained + 1 end)
      for i = 1, 4 do
        results[i] = s:send("abcd", port, "127.0.0.1")   -- 4, 8, 12, 16
      end
      assert(ludp.wait(s, "drain", 2000))
      assert.is_true(s:send("after", port, "127.0.0.1"))
      while #got < 5 do ludp.sleep(1) end
      s:close()
    end)
    assert.same({ true, true, false, false }, results)
    assert.equal(1, drained)
    assert.same({ "abcd", "abcd", "abcd", "abcd", "after" }, got)
  end)

  it("counts what waits for a lookup", function()
    local results = {}
    local got = with_receiver(function(_, port, got)
      local asked = 0
      local s = dgram.createSocket({ type = "udp4", sendHighWaterMark = 6,
        lookup = function(host, _, cb)
          if host == "127.0.0.1" then return cb(nil, host, 4) end
          asked = asked + 1                   -- the name: answered later
          setTimeout(cb, 5, nil, "127.0.0.1", 4)
        end })
      s:bind(0, "127.0.0.1")
      assert(ludp.wait(s, "listening"))
      results[1] = s:send("12345", port, "receiver.test")
      results[2] = s:send("67", port, "receiver.test")    -- 7 held
      assert.equal(1, asked)                  -- the second waits behind
      assert(ludp.wait(s, "drain", 2000))
      while #got < 2 do ludp.sleep(1) end
      s:close()
    end)
    assert.same({ true, false }, results)
    assert.same({ "12345", "67" }, got)
  end)

  it("counts what libuv queued after EAGAIN, until it completes", function()
    local results, events = {}, {}
    with_receiver(function(_, port)
      local s = dgram.createSocket({ type = "udp4", sendHighWaterMark = 8 })
      s:bind(0, "127.0.0.1")
      assert(ludp.wait(s, "listening"))
      -- libuv's "queued" answer played by a stand-in for the handle, as
      -- in dgram_send_spec: the kernel rarely says EAGAIN over loopback
      local real, later, queued = s._handle, {}, 0
      s._handle = setmetatable({
        send = function(_, data, ip, p, cb, may_defer)
          assert.is_false(may_defer)         -- never batched
          local _, bytes = real:send(data, ip, p)
          later[#later + 1] = function() queued = queued - bytes; cb(0) end
          queued = queued + bytes
          return 1, bytes
        end,
        send_queue = function() return queued, #later end,
      }, { __index = function(_, k)
        return function(_, ...) return real[k](real, ...) end
      end })
      s:on("drain", function() events[#events + 1] = "drain" end)
      for i = 1, 3 do results[i] = s:send("abcd", port, "127.0.0.1") end
      later[1]()
      later[2]()
      events[#events + 1] = "two done"
      ludp.sleep(1)
      later[3]()
      events[#events + 1] = "three done"
      assert(ludp.wait(s, "drain", 2000))
      s._handle = real
      s:close()
    end)
    assert.same({ true, false, false }, results)
    assert.same({ "two done", "three done", "drain" }, events)
  end)

  it("keeps a producer loop's held bytes at the mark, dropping nothing",
     function()
    -- Held by a lookup that answers each name a little later (the kernel
    -- itself never says EAGAIN over loopback): the loop outruns it.
    local N, SIZE, MARK = 5000, 100, 2000
    local slow = os.getenv("LUDP_VALGRIND") or os.getenv("LUDP_GC_STRESS")
    if slow and slow ~= "" and slow ~= "0" then N = 500 end -- a GC a callback
    local falses, most = 0, 0
    local got = with_receiver(function(_, port, got)
      local s = dgram.createSocket({ type = "udp4", sendHighWaterMark = MARK,
        lookup = function(host, _, cb)
          if host == "127.0.0.1" then return cb(nil, host, 4) end
          setImmediate(cb, nil, "127.0.0.1", 4)
        end })
      s:bind(0, "127.0.0.1")
      assert(ludp.wait(s, "listening"))
      for i = 1, N do
        if not s:send(string.format("%-" .. SIZE // 2 .. "d", i):rep(2),
                      port, "receiver.test") then
          falses = falses + 1
          local held = require("ludp.backpressure").held(s)
          if held > most then most = held end
          assert(ludp.wait(s, "drain"))
        end
      end
      while #got < N do ludp.sleep(1) end
      s:close()
    end)
    assert.is_true(falses > 0)
    assert.is_true(most >= MARK and most < MARK + SIZE)
    assert.equal(N, #got)
    for i = 1, N do
      assert.equal(string.format("%-50d", i):rep(2), got[i])
    end
  end)
end)
