-- Spec for what a unix datagram socket (createSocket("unix"):
-- lua/ludp/unix_socket.lua over src/unix_dgram.c) does beyond Node as an
-- IP socket does: stats() (counts both ways, a refused send, a closed
-- socket; the sends that waited in its queue: unix_dgram_spec's flood),
-- pause()/resume() holding datagrams in the kernel, and <close>.
-- Real sockets in a temporary folder and abstract names with a random
-- suffix.

local dgram = require("dgram")
local core = require("ludp.core")
local T = require("ludp.test")
local helpers = require("helpers")
local raised, quote = helpers.raised, helpers.quote

local ludp_bin = os.getenv("LUDP_BIN") or "build/ludp"

local u = require("unix_helpers").new(setup, teardown, "spec-ctl")
local sh, exists, path, abstract, bound =
  u.sh, u.exists, u.path, u.abstract, u.bound

-- Runs fn after the loop has polled at least once more: a datagram that
-- could be read by then would have been.
local function after_a_poll(fn)
  setImmediate(function() setImmediate(fn) end)
end

describe("stats()", function()
  it("counts datagrams and bytes both ways, in a fresh table each call",
     function()
    local pa, pb = path("a"), path("b")
    local sa, sb
    T.run(function(done)
      bound(pa, function(a)
        bound(pb, function(b)
          a:on("message", T.expect(function(msg, rinfo)
            assert.equal("ping", msg)
            a:send("pong!", rinfo.address)
          end))
          b:on("message", T.expect(function(msg)
            assert.equal("pong!", msg)
            sa, sb = a:stats(), b:stats()
            assert.are_not.equal(sa, a:stats())   -- a new table each time
            sa.received = 99
            assert.equal(1, a:stats().received)
            sa.received = 1
            a:close()
            b:close(done)
          end))
          b:send("ping", pa)
        end)
      end)
    end)
    assert.same({ received = 1, receivedBytes = 4, sent = 1, sentBytes = 5,
                  sendErrors = 0, truncated = 0, blocked = 0,
                  kernelDrops = 0 }, sa)
    assert.same({ received = 1, receivedBytes = 5, sent = 1, sentBytes = 4,
                  sendErrors = 0, truncated = 0, blocked = 0,
                  kernelDrops = 0 }, sb)
  end)

  it("counts sends the kernel refused in sendErrors",
     function()
    local s = dgram.createSocket("unix")
    local st0 = s:stats()
    local codes = {}
    T.run(function(done)
      s:send("x", path("missing"), T.expect(function(err)
        codes[1] = err.code
        s:send({ "a", "b" }, abstract("nobody"), T.expect(function(err2)
          codes[2] = err2.code
          done()
        end))
      end))
    end)
    local st = s:stats()
    s:close()
    assert.same({ "ENOENT", "ECONNREFUSED" }, codes)
    assert.equal(0, st0.sendErrors)
    assert.equal(2, st.sendErrors)
    assert.equal(0, st.sent)
    assert.equal(0, st.sentBytes)
  end)

  it("counts datagrams read without listeners, and raises once closed",
     function()
    local p = path()
    local st
    T.run(function(done)
      local a = bound(p, function(a)
        local c = dgram.createSocket("unix")
        c:send("unheard", p, T.expect(function()
          after_a_poll(function()
            st = a:stats()
            a:close()
            assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING",
                         raised(a.stats, a).code)
            c:close(done)
          end)
        end))
      end)
      assert.is_table(a)
    end)
    assert.equal(1, st.received)
    assert.equal(7, st.receivedBytes)
  end)
end)

describe("pause() and resume()", function()
  it("hold datagrams in the kernel until resume(), in order", function()
    local p = path()
    local got, held = {}, nil
    T.run(function(done)
      local a = dgram.createSocket("unix")
      assert.equal(a, a:pause())             -- before bind: starts paused
      a:on("message", function(msg)
        got[#got + 1] = msg
        if #got == 1 then
          a:pause()                          -- the rest of the batch waits
          after_a_poll(function()
            assert.equal(1, #got)
            assert.equal(1, a:stats().received)
            a:resume()
          end)
        elseif #got == 3 then
          a:close()
          done()
        end
      end)
      a:bind(p, function()
        local c = dgram.createSocket("unix")
        c:send("one", p)
        c:send("two", p)
        c:send("three", p, T.expect(function(err)
          assert.is_nil(err)
          after_a_poll(function()
            held = #got
            assert.equal(0, a:stats().received)
            assert.equal(a, a:resume())
            c:close()
          end)
        end))
      end)
    end)
    assert.equal(0, held)
    assert.same({ "one", "two", "three" }, got)
  end)

  it("keep no loop running while paused; a closed socket raises", function()
    local code, out = sh("timeout 20 " .. quote(ludp_bin) .. " -e " .. quote(
      "local s = require('dgram').createSocket('unix') s:bind('" .. path() ..
      "', function() s:pause() print('paused') end)" ..
      " process.on('exit', function() s:close() end)"))
    assert.equal(0, code, out)
    assert.equal("paused\n", out)
    local s = dgram.createSocket("unix")
    s:close()
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", raised(s.pause, s).code)
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", raised(s.resume, s).code)
    core.run("nowait")
  end)
end)

describe("<close>", function()
  it("closes the socket at the end of the scope and removes its file",
     function()
    local p = path()
    local kept
    do
      local s <close> = dgram.createSocket("unix")
      s:bind(p)
      assert.is_true(exists(p))
      kept = s
    end
    assert.is_false(exists(p))
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING",
                 raised(kept.address, kept).code)
    -- and by an error; a socket closed already is left alone
    local ok = pcall(function()
      local s <close> = dgram.createSocket("unix")
      kept = s
      s:close()
      error("out")
    end)
    assert.is_false(ok)
    assert.is_true(kept._closed)
    core.run("nowait")
  end)
end)
