-- The contract between dgram.lua and the C binding (docs/architecture.md):
-- one return convention, libuv's codes from core.errno, the owner and the
-- message function as the box's own values, the reply form's flag.

local core = require("ludp.core")
local dgram = require("dgram")
local T = require("ludp.test")

local function full_gc()
  collectgarbage()
  collectgarbage()
end

describe("the UDP binding", function()
  it("names libuv's codes in core.errno, as errname reads them", function()
    assert.equal(-22, core.errno.EINVAL)
    local n = 0
    for name, code in pairs(core.errno) do
      assert.equal(name, core.errname(code))
      assert.is_true(code < 0)
      n = n + 1
    end
    assert.is_true(n > 50, "only " .. n .. " codes")
  end)

  it("returns a status first, then its results after a 0", function()
    local status, h = core.udp(4, {})
    assert.equal(0, status)
    local r = table.pack(h:getsockname())    -- no socket yet
    assert.equal(1, r.n)
    assert.equal(core.errno.EBADF, r[1])
    assert.equal(0, h:bind("127.0.0.1", 0))
    local s, address, port, family = h:getsockname()
    assert.equal(0, s)
    assert.equal("127.0.0.1", address)
    assert.is_true(port > 0)
    assert.equal("IPv4", family)
    local st, fd = h:fileno()
    assert.equal(0, st)
    assert.is_true(fd >= 0)
    local bs, size = h:buffer_size("recv")
    assert.equal(0, bs)
    assert.is_true(size > 0)
    assert.equal(core.errno.EINVAL, h:connect("not an address", 9))
    assert.equal(0, h:close())
    assert.equal(core.errno.EALREADY, h:close())
    core.run("nowait")
  end)

  it("raises for misuse: a bad family, a message function that is not " ..
     "callable, a closed handle", function()
    assert.has_error(function() core.udp(5, {}) end)
    local _, h = core.udp(6, {})
    assert.has_error(function() h:set_onmessage(42) end)
    assert.has_error(function() h:set_onmessage({}) end)
    h:set_onmessage(setmetatable({}, { __call = function() end }))
    h:set_onmessage(nil)
    h:close()
    assert.has_error(function() h:set_fast(true) end)
    assert.has_error(function() h:bind("::1", 0) end)
    core.run("nowait")
  end)

  it("calls a callable table handed as the message function", function()
    local got
    T.run(function(done)
      local _, h = core.udp(4, {})
      local c = dgram.createSocket("udp4")
      assert.equal(0, h:bind("127.0.0.1", 0))
      h:set_onmessage(setmetatable({}, { __call = function(_, msg, rinfo)
        got = { msg, rinfo.address, rinfo.family, rinfo.size }
        h:close()
        c:close(done)
      end }))
      assert.equal(0, h:recv_start(function() error("no failure") end))
      local _, _, port = h:getsockname()
      c:send("hey", port, "127.0.0.1")
    end)
    assert.same({ "hey", "127.0.0.1", "IPv4", 3 }, got)
  end)

  it("collects an unreachable socket whose listener refers to it", function()
    local ref = setmetatable({}, { __mode = "v" })
    T.run(function(done)
      for i = 1, 20 do
        local s = dgram.createSocket("udp4")
        s:on("message", function(msg, rinfo)
          s:send(msg, rinfo.port, rinfo.address)
        end)
        ref[i] = s
      end
      full_gc()
      assert.is_nil(next(ref))
      core.next_tick(done)
    end)
  end)

  it("does the reply form in C only while dgram says it may", function()
    local counts = {}
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      local c = dgram.createSocket("udp4")
      s:on("message", function(msg, rinfo)
        local before = core.udp_paths().reply_fast
        s:send(msg, rinfo.port, rinfo.address)
        counts[#counts + 1] = core.udp_paths().reply_fast - before
        if #counts == 1 then
          s._handle:set_fast(false)   -- as dgram does when it may not
          c:send("2", s:address().port, "127.0.0.1")
        end
      end)
      c:on("message", function(msg)
        if msg == "2" then
          c:close()
          s:close(done)
        end
      end)
      s:bind(0, "127.0.0.1", function()
        c:send("1", s:address().port, "127.0.0.1")
      end)
    end)
    assert.same({ 1, 0 }, counts)
  end)
end)
