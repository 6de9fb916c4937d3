-- Spec for pause()/resume() and stats(): a paused socket reads nothing
-- (its datagrams wait in the kernel, and are delivered on resume), listeners
-- added meanwhile do not resume it; stats() counts every datagram and byte
-- each way, whatever path it took (the lone read, recvmmsg, the reply
-- form done in C, the reply batch and its UDP_SEGMENT runs, libuv's
-- queue), and the kernel's drops for the socket: with a small receive
-- buffer, a paused socket flooded loses datagrams, its kernelDrops counts
-- them, and once resumed it receives every one the kernel kept.
-- Loopback only, port 0 only.

local core = require("ludp.core")
local dgram = require("dgram")
local T = require("ludp.test")

local raised = require("helpers").raised

local ZERO = { received = 0, receivedBytes = 0, sent = 0, sentBytes = 0,
               sendErrors = 0, truncated = 0, blocked = 0, kernelDrops = 0 }

describe("stats()", function()
  it("is a fresh table of zeros on a new socket, bound or not", function()
    local s = dgram.createSocket("udp4")
    local a = s:stats()
    assert.same(ZERO, a)
    assert.are_not.equal(a, s:stats())
    T.run(function(done)
      s:bind(0, "127.0.0.1", function()
        assert.same(ZERO, s:stats())
        s:close(done)
      end)
    end)
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", raised(s.stats, s).code)
    assert.equal("ERR_INVALID_ARG_TYPE", raised(s.stats, {}).code)
  end)

  it("counts both ways on every path, a burst's batched replies included",
     function()
    local n, size, got = 48, 99, 0
    local before = core.udp_paths()
    local server_stats, client_stats
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      server:on("message", function(msg, rinfo)
        server:send(msg, rinfo.port, rinfo.address)   -- the C reply form
      end)
      client:on("message", function()
        got = got + 1
        if got == n then
          server_stats, client_stats = server:stats(), client:stats()
          client:close()
          server:close(done)
        end
      end)
      server:bind(0, "127.0.0.1", function()
        client:bind(0, "127.0.0.1", function()
          local port = server:address().port
          for i = 1, n - 1 do
            client:send(string.format("%0" .. size .. "d", i), port,
                        "127.0.0.1")
          end
          -- and one through libuv's queue or try_send, with a callback
          client:send(string.rep("z", size), port, "127.0.0.1", function() end)
        end)
      end)
    end)
    local after = core.udp_paths()
    assert.is_true(after.batched > before.batched, "no batch: nothing shown")
    assert.is_true(after.gso_datagrams > before.gso_datagrams,
                   "no UDP_SEGMENT run: nothing shown")
    for _, st in ipairs({ server_stats, client_stats }) do
      assert.equal(n, st.received)
      assert.equal(n * size, st.receivedBytes)
      assert.equal(n, st.sent)
      assert.equal(n * size, st.sentBytes)
      assert.equal(0, st.sendErrors)
    end
  end)

  it("counts a send the kernel refuses as a send error", function()
    local st
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:bind(0, "127.0.0.1", function()
        s:send(string.rep("x", 65508), s:address().port, "127.0.0.1",
               T.expect(function(err)
          assert.equal("EMSGSIZE", err.code)
          st = s:stats()
          s:close(done)
        end))
      end)
    end)
    assert.equal(1, st.sendErrors)
    assert.equal(0, st.sent)
  end)
end)

describe("pause() and resume()", function()
  it("return the socket and check it", function()
    local s = dgram.createSocket("udp4")
    assert.equal(s, s:pause())
    assert.equal(s, s:resume())
    assert.equal("ERR_INVALID_ARG_TYPE", raised(s.pause, {}).code)
    s:close()
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", raised(s.pause, s).code)
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", raised(s.resume, s).code)
    T.run(function(done) setImmediate(done) end)
  end)

  it("a socket paused before its bind reads nothing until resumed, " ..
     "listeners added meanwhile or not", function()
    local log = {}
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      server:pause()
      server:bind(0, "127.0.0.1", function()
        server:on("message", function(msg)
          log[#log + 1] = msg
          if #log == 4 then
            client:close()
            server:close(done)
          end
        end)
        local port = server:address().port
        client:send("a", port, "127.0.0.1")
        client:send("b", port, "127.0.0.1", function()
          -- a round trip through the loop: it would have read them
          setTimeout(function()
            log[#log + 1] = "resume"
            server:resume()
            client:send("c", port, "127.0.0.1")
          end, 10)
        end)
      end)
    end)
    assert.same({ "resume", "a", "b", "c" }, log)
  end)

  it("pause() in a listener stops reading; resume() goes on", function()
    local log = {}
    T.run(function(done)
      local server = dgram.createSocket({ type = "udp4", recvInfo = true })
      local client = dgram.createSocket("udp4")
      server:on("message", function(msg)
        log[#log + 1] = msg
        if msg == "1" then
          server:pause()
          client:send("2", server:address().port, "127.0.0.1", function()
            setTimeout(function()
              log[#log + 1] = "resume"
              server:resume()
            end, 10)
          end)
        elseif msg == "2" then
          client:close()
          server:close(done)
        end
      end)
      server:bind(0, "127.0.0.1", function()
        client:send("1", server:address().port, "127.0.0.1")
      end)
    end)
    assert.same({ "1", "resume", "2" }, log)
  end)

  it("a paused socket's kernel drops are counted, and what the kernel " ..
     "kept arrives on resume", function()
    local n, size = 400, 1000
    local drops, received
    T.run(function(done)
      local server = dgram.createSocket({ type = "udp4",
                                          recvBufferSize = 4096 })
      local client = dgram.createSocket("udp4")
      local sent, got = 0, 0
      server:on("message", function()
        got = got + 1
        if got == n - drops then
          received = server:stats().received
          client:close()
          server:close(done)
        end
      end)
      server:pause()
      server:bind(0, "127.0.0.1", function()
        local port = server:address().port
        for _ = 1, n do
          client:send(string.rep("x", size), port, "127.0.0.1", function(err)
            assert.is_nil(err)
            sent = sent + 1
            if sent == n then
              drops = server:stats().kernelDrops
              assert.is_true(drops > 0, "no drops")
              assert.is_true(drops < n, "nothing kept")
              assert.equal(0, server:stats().received)
              server:resume()
            end
          end)
        end
      end)
    end)
    assert.equal(n - drops, received)
  end)
end)
