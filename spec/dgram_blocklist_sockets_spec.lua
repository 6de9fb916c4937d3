-- Spec for the block lists of sockets: createSocket's receiveBlockList
-- drops a datagram from a blocked address before any listener sees it and
-- counts it in stats().blocked; sendBlockList fails a send (or a connect)
-- to a blocked address with ERR_IP_BLOCKED, through its callback or an
-- 'error' event, and sends nothing. Rules added after the socket was made
-- count. Loopback only (127.0.0.2 is loopback on Linux), port 0 only.

local dgram = require("dgram")
local T = require("ludp.test")

local raised = require("helpers").raised

describe("receiveBlockList", function()
  it("drops and counts datagrams from blocked addresses", function()
    local got, stats = {}, nil
    local list = dgram.BlockList.new()
    list:addAddress("127.0.0.2")
    T.run(function(done)
      local server = dgram.createSocket({ type = "udp4",
                                          receiveBlockList = list })
      local bad = dgram.createSocket("udp4")
      local good = dgram.createSocket("udp4")
      server:on("message", function(msg, rinfo)
        got[#got + 1] = msg .. "@" .. rinfo.address
        if msg == "last" then
          stats = server:stats()
          bad:close()
          good:close()
          server:close(done)
        end
      end)
      server:bind(0, "127.0.0.1", function()
        local port = server:address().port
        bad:bind(0, "127.0.0.2", function()
          bad:send("a", port, "127.0.0.1")
          bad:send("b", port, "127.0.0.1", function()
            good:send("last", port, "127.0.0.1")
          end)
        end)
      end)
    end)
    assert.same({ "last@127.0.0.1" }, got)
    assert.equal(2, stats.blocked)
    assert.equal(3, stats.received)
  end)

  it("matches an IPv6 socket's IPv4-mapped peers against IPv4 rules",
     function()
    local got = {}
    local list = dgram.BlockList.new()
    list:addSubnet("127.0.0.2", 32)
    local ok = pcall(function()
      local s = dgram.createSocket("udp6")
      T.run(function(done)
        s:on("error", function() s:close(done) end)
        s:bind(0, "::", function() s:close(done) end)
      end)
    end)
    if not ok then return pending("no IPv6 any-address socket here") end
    T.run(function(done)
      local server = dgram.createSocket({ type = "udp6",
                                          receiveBlockList = list })
      local bad = dgram.createSocket("udp4")
      server:on("message", function(msg)
        got[#got + 1] = msg
        assert.equal(1, server:stats().blocked)
        bad:close()
        server:close(done)
      end)
      server:bind(0, "::", function()
        local port = server:address().port
        bad:bind(0, "127.0.0.2", function()
          bad:send("blocked", port, "127.0.0.1", function()
            local other = dgram.createSocket("udp4")
            other:send("ok", port, "127.0.0.1", function() other:close() end)
          end)
        end)
      end)
    end)
    assert.same({ "ok" }, got)
  end)
end)

describe("sendBlockList", function()
  it("fails sends to blocked addresses with ERR_IP_BLOCKED", function()
    local errs, got = {}, {}
    local list = dgram.BlockList.new()
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket({ type = "udp4",
                                          sendBlockList = list })
      server:on("message", function(msg)
        got[#got + 1] = "blocked one arrived: " .. msg
      end)
      client:on("error", T.expect(function(err)
        errs[#errs + 1] = err
      end))
      server:bind(0, "127.0.0.1", function()
        local port = server:address().port
        client:bind(0, "127.0.0.1", function()
          list:addAddress("127.0.0.1")          -- after the socket was made
          client:send("no-cb", port, "127.0.0.1") -- the C reply form's shape
          client:send("cb", port, "127.0.0.1", T.expect(function(err)
            errs[#errs + 1] = err
            client:send("ok", port, "127.0.0.2")
          end))
        end)
      end)
      -- a second server on 127.0.0.2 takes the allowed datagram
      local other = dgram.createSocket("udp4")
      other:on("message", function(msg)
        got[#got + 1] = msg
        assert.equal(2, client:stats().sendErrors)
        other:close()
        client:close()
        server:close(done)
      end)
      server:once("listening", function()
        other:bind(server:address().port, "127.0.0.2")
      end)
    end)
    assert.same({ "ok" }, got)
    assert.equal(2, #errs)
    for _, e in ipairs(errs) do
      assert.equal("ERR_IP_BLOCKED", e.code)
      assert.equal("IP(127.0.0.1) is blocked by dgram.BlockList", e.message)
    end
  end)

  it("fails a connect to a blocked address", function()
    local err
    local list = dgram.BlockList.new()
    list:addAddress("127.0.0.1")
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4", sendBlockList = list })
      s:on("error", T.expect(function(e)
        err = e
        s:close(done)
      end))
      s:connect(9, "127.0.0.1")
    end)
    assert.equal("ERR_IP_BLOCKED", err.code)
  end)

  it("refuses what is not a BlockList", function()
    for _, name in ipairs({ "receiveBlockList", "sendBlockList" }) do
      for _, v in ipairs({ 1, "x", {}, { check = function() end } }) do
        local e = raised(dgram.createSocket, { type = "udp4", [name] = v })
        assert.equal("ERR_INVALID_ARG_TYPE", e.code)
      end
    end
  end)
end)

describe("receiveBlockList and ludp.async", function()
  it("keeps a blocked datagram from a waiting recv", function()
    local ludp = require("ludp")
    local got, blocked
    local list = dgram.BlockList.new()
    list:addAddress("127.0.0.2")
    T.run(function(done)
      local server = dgram.createSocket({ type = "udp4",
                                          receiveBlockList = list })
      local bad = dgram.createSocket("udp4")
      local good = dgram.createSocket("udp4")
      server:bind(0, "127.0.0.1")
      ludp.async(function()
        assert(ludp.wait(server, "listening"))
        local port = server:address().port
        bad:bind(0, "127.0.0.2")
        assert(ludp.wait(bad, "listening"))
        bad:send("blocked", port, "127.0.0.1", function()
          good:send("let through", port, "127.0.0.1")
        end)
        local msg, rinfo = server:recv({ timeout = 5000 })
        got = msg .. "@" .. rinfo.address
        blocked = server:stats().blocked
        bad:close()
        good:close()
        server:close(done)
      end)
    end)
    assert.equal("let through@127.0.0.1", got)
    assert.equal(1, blocked)
  end)
end)
