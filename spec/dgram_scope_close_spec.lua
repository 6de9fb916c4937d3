-- Spec for `<close>` on sockets and timers: a socket declared
-- `local s <close> = dgram.createSocket(...)` is closed when the scope
-- ends (normally or by an error), once: one closed before raises nothing
-- there. Timeouts, intervals and immediates are cleared the same way.
-- Loopback only, port 0 only.

local dgram = require("dgram")
local T = require("ludp.test")

describe("a socket declared <close>", function()
  it("is closed at the end of its scope, and 'close' is emitted", function()
    local closed, kept = 0, nil
    T.run(function(done)
      do
        local s <close> = dgram.createSocket("udp4")
        s:on("close", T.expect(function()
          closed = closed + 1
          done()
        end))
        s:bind(0, "127.0.0.1")
        kept = s
      end
      assert.is_true(kept._closed)
    end)
    assert.equal(1, closed)
  end)

  it("is closed when its scope ends by an error", function()
    local s_out
    T.run(function(done)
      local ok, err = pcall(function()
        local s <close> = dgram.createSocket("udp6")
        s_out = s
        s:on("close", T.expect(done))
        error("boom", 0)
      end)
      assert.is_false(ok)
      assert.equal("boom", err)
      assert.is_true(s_out._closed)
    end)
  end)

  it("closed already, raises nothing at the end of its scope", function()
    T.run(function(done)
      do
        local s <close> = dgram.createSocket("udp4")
        s:on("close", T.expect(done))
        s:close()
      end
    end)
  end)

  it("refuses a table that is not a socket as its __close receiver",
     function()
    local close = dgram.Socket.__close
    local ok, err = pcall(close, {})
    assert.is_false(ok)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
  end)
end)

describe("a timer declared <close>", function()
  it("a timeout, an interval and an immediate never fire after the scope",
     function()
    local fired = {}
    T.run(function(done)
      do
        local t <close> = setTimeout(function() fired[#fired + 1] = "t" end, 1)
        local i <close> = setInterval(function() fired[#fired + 1] = "i" end, 1)
        local m <close> = setImmediate(function() fired[#fired + 1] = "m" end)
        assert.truthy(t and i and m)
      end
      setTimeout(done, 20)
    end)
    assert.same({}, fired)
  end)

  it("one that fired already is left alone", function()
    local fired = 0
    T.run(function(done)
      local t
      t = setTimeout(function()
        fired = fired + 1
        do local _ <close> = t end
        done()
      end, 1)
    end)
    assert.equal(1, fired)
  end)
end)
