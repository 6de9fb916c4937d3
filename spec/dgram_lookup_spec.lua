-- Spec for lua/dgram.lua: host names, the default resolver and the
-- `lookup` option (called for every address, literals and the default
-- any-address included, as Node). Only loopback is ever used: names are
-- "localhost" or names a custom lookup knows.

local dgram = require("dgram")
local core = require("ludp.core")
local errors = require("ludp.errors")
local T = require("ludp.test")

local recorder = require("helpers").recorder

-- A lookup that knows "my.host", answers literals with themselves and
-- fails anything else with an error of its own; it logs "host/family".
local function fake_lookup(log, async)
  return function(host, family, cb)
    log.push(host .. "/" .. family)
    local function answer()
      if host == "my.host" then
        cb(nil, family == 6 and "::1" or "127.0.0.1", family)
      elseif core.isip(host) ~= 0 then
        cb(nil, host, core.isip(host))
      else
        local e = errors.new("Error", "ENOTFOUND", "getaddrinfo ENOTFOUND "
                             .. host)
        e.hostname = host
        cb(e)
      end
    end
    if async then core.next_tick(answer) else answer() end
  end
end

describe("the lookup option", function()
  it("is called for the default any-address, the default host and literals",
     function()
    local calls = recorder()
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket({ type = "udp4",
                                          lookup = fake_lookup(calls) })
      server:on("message", T.expect(function(msg)
        if msg == "2" then
          client:close()
          server:close(done)
        end
      end, 2))
      server:bind(0, "127.0.0.1", function()
        local port = server:address().port
        client:bind(function()
          client:send("1", port)
          client:send("2", port, "127.0.0.1")
        end)
      end)
    end)
    assert.same({ "0.0.0.0/4", "127.0.0.1/4", "127.0.0.1/4" }, calls)
  end)

  it("gets family 6 and the IPv6 defaults on udp6", function()
    local calls = recorder()
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp6",
                                     lookup = fake_lookup(calls) })
      s:on("message", T.expect(function(msg, rinfo)
        assert.equal("to myself", msg)
        assert.equal("::1", rinfo.address)
        s:close(done)
      end))
      s:bind(0, "my.host", function()
        s:send("to myself", s:address().port)
      end)
    end)
    assert.same({ "my.host/6", "::1/6" }, calls)
  end)

  it("resolves names for bind, send and connect", function()
    local calls = recorder()
    local remote
    T.run(function(done)
      local lookup = fake_lookup(calls)
      local server = dgram.createSocket({ type = "udp4", lookup = lookup })
      local client = dgram.createSocket({ type = "udp4", lookup = lookup })
      server:on("message", T.expect(function(msg)
        if msg == "connected" then
          client:close()
          server:close(done)
        end
      end, 2))
      server:bind(0, "my.host", function()
        local port = server:address().port
        assert.equal("127.0.0.1", server:address().address)
        client:send("unconnected", port, "my.host")
        client:connect(port, "my.host", T.expect(function()
          remote = client:remoteAddress()
          client:send("connected")
        end))
      end)
    end)
    assert.same({ "my.host/4", "0.0.0.0/4", "my.host/4", "my.host/4" },
                calls)
    assert.equal("127.0.0.1", remote.address)
  end)

  it("may answer later: bind waits, sends wait in order", function()
    local calls, log = recorder(), recorder()
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket({ type = "udp4",
                                          lookup = fake_lookup(calls, true) })
      server:on("message", function(msg)
        log.push(msg)
        if msg == "4" then
          client:close()
          server:close(done)
        end
      end)
      server:bind(0, "127.0.0.1", function()
        local port = server:address().port
        client:on("listening", function() log.push("listening") end)
        client:send("1", port, "my.host")
        client:send("2", port)
        client:send("3", port, "my.host")
        client:send("4", port, "127.0.0.1")
      end)
    end)
    assert.same({ "listening", "1", "2", "3", "4" }, log)
    assert.same({ "0.0.0.0/4", "my.host/4", "127.0.0.1/4", "my.host/4",
                  "127.0.0.1/4" }, calls)
  end)

  it("answering at once still makes 'listening' come after bind returns",
     function()
    local log = recorder()
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4",
                                     lookup = fake_lookup(recorder()) })
      s:on("listening", function() log.push("listening") end)
      s:bind(0, "my.host", function()
        log.push("callback")
        s:close(done)
      end)
      log.push("returned")
    end)
    assert.same({ "returned", "listening", "callback" }, log)
  end)

  it("counts only the first answer of a lookup that calls back twice",
     function()
    local a
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4",
        lookup = function(_, _, cb)
          cb(nil, "127.0.0.1", 4)
          cb(nil, "0.0.0.0", 4)
        end })
      s:bind(0, "x", T.expect(function()
        a = s:address()
        s:close(done)
      end))
    end)
    assert.equal("127.0.0.1", a.address)
  end)

  it("that throws makes the call that used it throw; the socket goes on",
     function()
    local got = {}
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4",
        lookup = function(host, family, cb)
          if host == "throws" then error("lookup failed", 0) end
          return fake_lookup({ push = function() end })(host, family, cb)
        end })
      local ok, err = pcall(s.bind, s, 0, "throws")
      assert.is_false(ok)
      assert.equal("lookup failed", err)
      s:on("message", function(msg)
        got[#got + 1] = msg
        if msg == "after" then s:close(done) end
      end)
      s:bind(0, "127.0.0.1", T.expect(function()
        local port = s:address().port
        ok, err = pcall(s.send, s, "lost", port, "throws")
        assert.is_false(ok)
        assert.equal("lookup failed", err)
        s:send("after", port, "my.host")
      end))
    end)
    assert.same({ "after" }, got)
  end)

  it("fails bind with EINVAL when it gives no address", function()
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4",
        lookup = function(_, _, cb) cb(nil, nil) end })
      s:on("error", T.expect(function(err)
        assert.equal("EINVAL", err.code)
        assert.equal("bind", err.syscall)
        s:close(done)
      end))
      s:bind(0, "x", T.expect(nil, 0))
    end)
  end)
end)

describe("lookup errors", function()
  it("make bind emit 'error' with the lookup's error; bind works again",
     function()
    local log = recorder()
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4",
                                     lookup = fake_lookup(recorder(), true) })
      s:once("error", T.expect(function(err)
        log.push("error " .. err.code .. " " .. err.hostname)
        assert.equal(0, s:listenerCount("listening"))
        s:bind(0, "my.host", T.expect(function()
          log.push("bound")
          s:close(done)
        end))
      end))
      s:bind(0, "no.such.host", T.expect(nil, 0))
    end)
    assert.same({ "error ENOTFOUND no.such.host", "bound" }, log)
  end)

  it("go to send's callback, after send returns", function()
    local log = recorder()
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4",
                                     lookup = fake_lookup(recorder()) })
      s:on("error", T.expect(nil, 0))
      s:bind(0, "127.0.0.1", function()
        s:send("x", 9, "no.such.host", T.expect(function(err, bytes)
          log.push("callback " .. err.code)
          assert.is_nil(bytes)
          s:close(done)
        end))
        log.push("returned")
      end)
    end)
    assert.same({ "returned", "callback ENOTFOUND" }, log)
  end)

  it("are an 'error' event for a send without a callback", function()
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4",
                                     lookup = fake_lookup(recorder()) })
      s:on("error", T.expect(function(err)
        assert.equal("ENOTFOUND", err.code)
        s:close(done)
      end))
      s:send("x", 9, "no.such.host")
    end)
  end)
end)

describe("the default resolver", function()
  it("resolves localhost", function()
    local a
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("message", T.expect(function(msg, rinfo)
        assert.equal("via name", msg)
        assert.equal("127.0.0.1", rinfo.address)
        s:close(done)
      end))
      s:bind(0, "localhost", function()
        a = s:address()
        s:send("via name", a.port, "localhost")
      end)
    end)
    assert.equal("127.0.0.1", a.address)
  end)

  -- A name that is not valid IDNA fails inside uv_getaddrinfo at once, so
  -- no resolver is asked.
  it("reports a name it cannot look up as a getaddrinfo error", function()
    local bad = "\xff.example"
    local log = recorder()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:once("error", T.expect(function(err)
        assert.equal("getaddrinfo", err.syscall)
        assert.equal(bad, err.hostname)
        assert.equal("EINVAL", err.code)
        assert.equal(-22, err.errno)
        log.push("bind error")
        s:send("x", 9, bad, T.expect(function(e)
          assert.equal("getaddrinfo", e.syscall)
          log.push("send error")
          s:close(done)
        end))
      end))
      s:bind(0, bad)
    end)
    assert.same({ "bind error", "send error" }, log)
  end)

  it("names EAI_NONAME and EAI_NODATA ENOTFOUND, as Node", function()
    local e = errors.dns(-3008, "getaddrinfo", "nowhere")
    assert.equal("ENOTFOUND", e.code)
    assert.equal(-3008, e.errno)
    assert.equal("getaddrinfo", e.syscall)
    assert.equal("nowhere", e.hostname)
    assert.equal("getaddrinfo ENOTFOUND nowhere", e.message)
    assert.equal("ENOTFOUND", errors.dns(-3007, "getaddrinfo", "x").code)
    assert.equal("EAI_AGAIN", errors.dns(-3001, "getaddrinfo", "x").code)
  end)
end)
