-- Spec for setTOS/getTOS, setDontFragment and getMTU: their values on
-- IPv4 and IPv6, what the kernel then does (a datagram over the path's
-- MTU with don't-fragment set fails with EMSGSIZE; getMTU reads the MTU
-- of lo, made small in a private network namespace), and their argument
-- checks and errors. Loopback only, port 0 only.

local dgram = require("dgram")
local T = require("ludp.test")
local netns = require("netns")

local raised = require("helpers").raised

-- Runs fn(sock) on a socket of 'kind' bound to loopback, then closes it.
local function with_bound(kind, fn)
  T.run(function(done)
    local s = dgram.createSocket(kind)
    s:bind(0, kind == "udp6" and "::1" or "127.0.0.1", function()
      fn(s)
      s:close(done)
    end)
  end)
end

describe("setTOS and getTOS", function()
  for _, kind in ipairs({ "udp4", "udp6" }) do
    it("set and read the TOS byte (" .. kind .. ")", function()
      with_bound(kind, function(s)
        assert.equal(0, s:getTOS())
        assert.equal(0xb8, s:setTOS(0xb8))
        assert.equal(0xb8, s:getTOS())
        assert.equal(255, s:setTOS(255))
        assert.equal(255, s:getTOS())
        assert.equal(0, s:setTOS(0.0))
        assert.equal(0, s:getTOS())
      end)
    end)
  end

  it("check their argument and the socket", function()
    with_bound("udp4", function(s)
      for _, v in ipairs({ -1, 256, 1.5, math.huge }) do
        local e = raised(s.setTOS, s, v)
        assert.equal("ERR_OUT_OF_RANGE", e.code)
      end
      for _, v in ipairs({ "1", true, nil }) do
        assert.equal("ERR_INVALID_ARG_TYPE", raised(s.setTOS, s, v).code)
      end
      assert.equal("ERR_INVALID_ARG_TYPE", raised(s.getTOS, {}).code)
    end)
    local s = dgram.createSocket("udp4")
    assert.equal("EBADF", raised(s.getTOS, s).code)   -- no socket yet
    assert.equal("EBADF", raised(s.setTOS, s, 1).code)
    s:close()
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", raised(s.getTOS, s).code)
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", raised(s.setTOS, s, 1).code)
    T.run(function(done) setImmediate(done) end)
  end)
end)

describe("setDontFragment and getMTU", function()
  it("getMTU needs a connected socket, and reads lo's MTU", function()
    local mtu
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:bind(0, "127.0.0.1", function()
        assert.equal("ERR_SOCKET_DGRAM_NOT_CONNECTED", raised(s.getMTU, s).code)
        s:connect(s:address().port, "127.0.0.1", function()
          mtu = s:getMTU()
          s:close(done)
        end)
      end)
    end)
    assert.equal("integer", math.type(mtu))
    assert.is_true(mtu >= 1280, tostring(mtu))
    local s = dgram.createSocket("udp4")
    s:close()
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", raised(s.getMTU, s).code)
    T.run(function(done) setImmediate(done) end)
  end)

  it("setDontFragment checks its argument", function()
    with_bound("udp6", function(s)
      s:setDontFragment(true)
      s:setDontFragment(0)
      assert.equal("ERR_INVALID_ARG_TYPE", raised(s.setDontFragment, s, "x").code)
    end)
    local s = dgram.createSocket("udp4")
    s:close()
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING",
                 raised(s.setDontFragment, s, true).code)
    T.run(function(done) setImmediate(done) end)
  end)

  local ok, why = netns.available()
  local run = ok and it or pending
  run("over a small MTU: fragments without it, EMSGSIZE with it; getMTU" ..
      (ok and "" or ": " .. tostring(why)), function()
    netns.check(netns.run([[
      local kinds = { { "udp4", "127.0.0.1" } }
      if os.getenv("LUDP_NS_IPV6") then kinds[2] = { "udp6", "::1" } end
      local k = 0
      local function next_kind()
        k = k + 1
        if k > #kinds then return done() end
        local kind, host = kinds[k][1], kinds[k][2]
        local s = dgram.createSocket(kind)
        local got = {}
        s:on("message", function(msg)
          got[#got + 1] = #msg
          eq(2000, #msg, kind .. ": fragmented datagram")
          s:setDontFragment(true)
          s:send(string.rep("y", 2000), function(err)
            check(err and err.code == "EMSGSIZE", "%s: %s", kind,
                  tostring(err and err.code))
            eq(1, s:stats().sendErrors, kind .. " sendErrors")
            s:setDontFragment(false)
            s:send(string.rep("z", 2000), function(err2)
              check(err2 == nil, "after false: %s", tostring(err2))
              s:close()
              next_kind()
            end)
          end)
        end)
        s:bind(0, host, function()
          s:connect(s:address().port, host, function()
            eq(1300, s:getMTU(), kind .. " getMTU")
            s:send(string.rep("x", 2000))
          end)
        end)
      end
      next_kind()
    ]], { lo_mtu = 1300 }))
  end)
end)
