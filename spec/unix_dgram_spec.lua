-- Spec for Unix datagram sockets (createSocket("unix"): lua/ludp/
-- unix_socket.lua over src/unix_dgram.c), on real sockets in a temporary
-- folder and abstract names with a random suffix: bind, send and receive
-- both ways, rinfo, connect, the errors, the file close() removes (and
-- the one it must not), a stale file, large datagrams, a flood that fills
-- the kernel's queue (the sender's queue and its retries), collection of
-- unreachable sockets, and real clients: logger(1) and socat(1).
-- stats(), pause()/resume() and <close>: unix_dgram_control_spec.lua.

local dgram = require("dgram")
local core = require("ludp.core")
local T = require("ludp.test")
local helpers = require("helpers")
local raised, quote = helpers.raised, helpers.quote

local ludp_bin = os.getenv("LUDP_BIN") or "build/ludp"

local u = require("unix_helpers").new(setup, teardown, "spec")
local sh, exists, path, abstract, bound =
  u.sh, u.exists, u.path, u.abstract, u.bound

describe("a unix datagram socket", function()
  it("binds to a file, and two sockets talk both ways", function()
    local log = {}
    local pa, pb = path("a"), path("b")
    T.run(function(done)
      bound(pa, function(a)
        bound(pb, function(b)
          a:on("message", T.expect(function(msg, rinfo)
            log[#log + 1] = { msg, rinfo.address, rinfo.family, rinfo.size }
            a:send("pong", rinfo.address)
          end))
          b:on("message", T.expect(function(msg, rinfo)
            log[#log + 1] = { msg, rinfo.address, rinfo.family, rinfo.size }
            assert.same({ address = pa, family = "unix" }, a:address())
            assert.equal("Socket<unix " .. pa .. " bound>", tostring(a))
            a:close()
            b:close(done)
          end))
          b:send("ping", pa, T.expect(function(err, bytes)
            assert.is_nil(err)
            assert.equal(4, bytes)
          end))
        end)
      end)
    end)
    assert.same({ { "ping", pb, "unix", 4 }, { "pong", pa, "unix", 4 } }, log)
    assert.is_false(exists(pa))
    assert.is_false(exists(pb))
  end)

  it("binds to an abstract name, and without a path to one of the kernel's",
     function()
    local name = abstract()
    local got
    T.run(function(done)
      bound(name, function(a)
        assert.equal(name, a:address().address)
        local b = dgram.createSocket("unix")
        b:bind(T.expect(function()
          got = b:address().address
          b:send("x", name)
        end))
        a:on("message", T.expect(function(msg, rinfo)
          assert.equal("x", msg)
          assert.equal(got, rinfo.address)
          a:close()
          b:close(done)
        end))
      end)
    end)
    assert.truthy(got:match("^@%x%x%x%x%x$"), got)
  end)

  it("gives \"\" as the address of a sender that is not bound", function()
    local p = path()
    local rinfo_got
    T.run(function(done)
      bound(p, function(a)
        local c = dgram.createSocket("unix")
        assert.equal("Socket<unix unbound>", tostring(c))
        c:send("anon", p)
        a:on("message", T.expect(function(_, rinfo)
          rinfo_got = rinfo
          a:close()
          c:close(done)
        end))
      end)
    end)
    assert.same({ address = "", family = "unix", size = 4 }, rinfo_got)
  end)

  it("tells senders apart when they take turns (the last one's path is " ..
     "reused)", function()
    local p = path()
    local long1 = path(string.rep("l", 50))
    local long2 = path(string.rep("m", 50))
    local got, want = {}, {}
    T.run(function(done)
      bound(p, function(a)
        bound(long1, function(b)
          bound(long2, function(c)
            local anon = dgram.createSocket("unix")
            local order = { b, b, c, anon, c, b, anon, anon, b }
            local names = { [b] = long1, [c] = long2, [anon] = "" }
            a:on("message", function(msg, rinfo)
              got[#got + 1] = msg .. "=" .. rinfo.address
              if #got == #order then
                for _, s in ipairs({ a, b, c, anon }) do s:close() end
                done()
              end
            end)
            local function send(i)
              if i > #order then return end
              want[i] = i .. "=" .. names[order[i]]
              order[i]:send(tostring(i), p, function() send(i + 1) end)
            end
            send(1)
          end)
        end)
      end)
    end)
    assert.same(want, got)
  end)

  it("emits 'listening', the messages, 'close' in order", function()
    local log = {}
    local p = path()
    T.run(function(done)
      local s = dgram.createSocket("unix", function(msg)
        log[#log + 1] = "message " .. msg
      end)
      s:on("listening", function() log[#log + 1] = "listening" end)
      s:on("close", function()
        log[#log + 1] = "close"
        done()
      end)
      s:bind(p, function()
        log[#log + 1] = "bind callback"
        local c = dgram.createSocket("unix")
        c:send("1", p)
        c:send("2", p, function()
          c:close()
          setImmediate(function() s:close() end)
        end)
      end)
      log[#log + 1] = "after bind()"
    end)
    assert.same({ "after bind()", "listening", "bind callback", "message 1",
                  "message 2", "close" }, log)
  end)

  it("takes the forms of send: offset and length, an array of strings",
     function()
    local p = path()
    local got = {}
    T.run(function(done)
      bound(p, function(a)
        local c = dgram.createSocket("unix")
        a:on("message", function(msg)
          got[#got + 1] = msg
          if #got == 2 then
            a:close()
            c:close(done)
          end
        end)
        c:send("hello world", 6, 5, p)
        c:send({ "a", "b", "c" }, p, T.expect(function(err, bytes)
          assert.is_nil(err)
          assert.equal(3, bytes)
        end))
      end)
    end)
    assert.same({ "world", "abc" }, got)
  end)
end)

describe("connect", function()
  it("sends without a path, knows its peer, and disconnects", function()
    local p = path()
    local log = {}
    T.run(function(done)
      bound(p, function(a)
        local c = dgram.createSocket("unix")
        a:on("message", function(msg) log[#log + 1] = msg end)
        c:connect(p, T.expect(function()
          assert.same({ address = p, family = "unix" }, c:remoteAddress())
          assert.equal("Socket<unix connected to " .. p .. ">", tostring(c))
          local err = raised(c.send, c, "x", p)
          assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED", err.code)
          err = raised(c.connect, c, p)
          assert.equal("ERR_SOCKET_DGRAM_IS_CONNECTED", err.code)
          c:send("connected", function(e)
            assert.is_nil(e)
            c:disconnect()
            assert.equal("ERR_SOCKET_DGRAM_NOT_CONNECTED",
                         raised(c.remoteAddress, c).code)
            assert.equal("ERR_SOCKET_DGRAM_NOT_CONNECTED",
                         raised(c.disconnect, c).code)
            assert.equal("ERR_INVALID_ARG_TYPE", raised(c.send, c, "y").code)
            c:send("after", p, function()
              setImmediate(function()
                a:close()
                c:close(done)
              end)
            end)
          end)
        end))
      end)
    end)
    assert.same({ "connected", "after" }, log)
  end)

  it("fails with ENOENT for a missing file, to the callback or as 'error'",
     function()
    local missing = path("missing")
    local codes = {}
    T.run(function(done)
      local c = dgram.createSocket("unix")
      c:connect(missing, T.expect(function(err)
        codes[#codes + 1] = err.code .. " " .. err.syscall .. " " ..
                            tostring(err.address)
        c:on("error", T.expect(function(e)
          codes[#codes + 1] = e.code
          c:close(done)
        end))
        c:connect(missing)
      end))
    end)
    assert.same({ "ENOENT connect " .. missing, "ENOENT" }, codes)
  end)
end)

describe("errors", function()
  it("EADDRINUSE for a live path, as 'error' and no 'listening'", function()
    local p = path()
    local got
    T.run(function(done)
      bound(p, function(a)
        local b = dgram.createSocket("unix")
        b:on("listening", function() error("must not listen") end)
        b:on("error", T.expect(function(err)
          got = err
          assert.equal("Socket<unix unbound>", tostring(b))
          a:close()
          b:close(done)
        end))
        b:bind(p)
      end)
    end)
    assert.equal("EADDRINUSE", got.code)
    assert.equal("bind", got.syscall)
    assert.equal(p, got.address)
    assert.equal("bind EADDRINUSE " .. p, got.message)
  end)

  it("ENOENT for a send to a missing peer, to the callback or as 'error'",
     function()
    local codes = {}
    T.run(function(done)
      local c = dgram.createSocket("unix")
      c:send("x", path("nobody"), T.expect(function(err)
        codes[#codes + 1] = err.code
        c:on("error", T.expect(function(e)
          codes[#codes + 1] = e.code .. " " .. e.syscall
          c:close(done)
        end))
        c:send("y", path("nobody"))
      end))
    end)
    assert.same({ "ENOENT", "ENOENT send" }, codes)
  end)

  it("refuses paths that are not strings, empty, too long or with a NUL",
     function()
    local s = dgram.createSocket("unix")
    local err = raised(s.bind, s, 5)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    assert.equal('The "path" argument must be of type string. '
                 .. "Received type number (5)", err.message)
    err = raised(s.bind, s, "")
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    err = raised(s.bind, s, "@")
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    err = raised(s.bind, s, u.dir .. "/a\0b")
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    assert.truthy(err.message:find("without null bytes", 1, true))
    local long = u.dir .. "/" .. string.rep("x", 108 - #u.dir - 1)  -- 108 bytes
    err = raised(s.bind, s, long)
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    assert.truthy(err.message:find("must be shorter than 108 bytes", 1, true))
    err = raised(s.send, s, "x", long)
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    err = raised(s.connect, s, "@" .. string.rep("y", 107))
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    err = raised(s.send, s, "x")
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    err = raised(s.send, s, 42, path())
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    err = raised(s.connect, s, path(), 7)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    -- the longest path that fits binds
    local longest = u.dir .. "/" .. string.rep("z", 107 - #u.dir - 1)
    s:bind(longest)
    assert.equal("ERR_SOCKET_ALREADY_BOUND", raised(s.bind, s, path()).code)
    assert.equal(longest, s:address().address)
    s:close()
    core.run("nowait")
    assert.is_false(exists(longest))
  end)

  it("raises ERR_SOCKET_BAD_TYPE for what only IP sockets have", function()
    local s = dgram.createSocket({ type = "unix" })
    for _, call in ipairs({ { "setTTL", 1 }, { "setBroadcast", true },
                            { "setMulticastTTL", 1 },
                            { "setMulticastLoopback", true },
                            { "setMulticastInterface", "127.0.0.1" },
                            { "addMembership", "224.0.0.1" },
                            { "dropMembership", "224.0.0.1" },
                            { "addSourceSpecificMembership", "127.0.0.1",
                              "232.1.1.1" },
                            { "dropSourceSpecificMembership", "127.0.0.1",
                              "232.1.1.1" } }) do
      local err = raised(s[call[1]], s, call[2], call[3])
      assert.equal("ERR_SOCKET_BAD_TYPE", err.code)
      assert.equal("TypeError", err.name)
      assert.equal(call[1] .. " is not supported by a socket of type unix",
                   err.message)
    end
    -- a method of IP sockets called on it by hand
    for _, m in ipairs({ "setTTL", "bind", "send", "connect", "close",
                         "address", "__tostring", "ref" }) do
      local err = raised(dgram.Socket[m], s, "x")
      assert.equal("ERR_SOCKET_BAD_TYPE", err.code)
      assert.equal("This method is not supported by a socket of type unix",
                   err.message)
    end
    -- what IP sockets have beyond Node: raised as well, the receiver first
    for _, m in ipairs({ "reply", "setTOS", "getTOS", "setDontFragment",
                         "getMTU", "request" }) do
      local err = raised(s[m], s, "x", {})
      assert.equal("ERR_SOCKET_BAD_TYPE", err.code, m)
      assert.equal("TypeError", err.name)
    end
    assert.equal("EBADF", raised(s.address, s).code)   -- not bound
    s:close()
    for _, m in ipairs({ "bind", "send", "connect", "address", "close",
                         "setTTL", "getRecvBufferSize", "stats", "pause",
                         "resume" }) do
      assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", raised(s[m], s, "x").code)
    end
    assert.equal("Socket<unix closed>", tostring(s))
    assert.equal(s, s:ref())
    assert.equal(s, s:unref())
    core.run("nowait")
  end)

  it("refuses a receiver that is not a socket", function()
    local s = dgram.createSocket("unix")
    local err = raised(s.bind, nil)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    assert.equal('The "this" argument must be an instance of Socket. '
                 .. "Received nil", err.message)
    err = raised(s.send, {}, "x", path())
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    s:close()
    core.run("nowait")
  end)
end)

describe("the file of a bound socket", function()
  it("is removed by close(), but not a file that took its place", function()
    local p, q = path(), path()
    T.run(function(done)
      bound(p, function(a)
        assert.is_true(exists(p))
        a:close(function()
          assert.is_false(exists(p))
          bound(q, function(b)
            os.remove(q)                          -- someone removes it and
            local f = assert(io.open(q, "w"))     -- puts a file there
            f:write("mine")
            f:close()
            b:close(done)
          end)
        end)
      end)
    end)
    assert.equal("mine", helpers.read_file(q))
  end)

  it("left behind by a process that did not close it: EADDRINUSE to bind, " ..
     "ECONNREFUSED to send and connect; close() of another socket keeps it",
     function()
    local p = path("stale")
    local code, out = sh(quote(ludp_bin) .. " -e " .. quote(
      "local s = require('dgram').createSocket('unix') s:bind('" .. p ..
      "') os.exit(0)"))
    assert.equal(0, code, out)
    assert.is_true(exists(p))
    local codes = {}
    T.run(function(done)
      local s = dgram.createSocket("unix")
      s:on("error", T.expect(function(err)
        codes[#codes + 1] = err.code
        s:send("x", p, T.expect(function(e)
          codes[#codes + 1] = e.code
          s:connect(p, T.expect(function(e2)
            codes[#codes + 1] = e2.code
            s:close(done)
          end))
        end))
      end))
      s:bind(p)
    end)
    assert.same({ "EADDRINUSE", "ECONNREFUSED", "ECONNREFUSED" }, codes)
    assert.is_true(exists(p))
    os.remove(p)
  end)
end)

describe("sizes", function()
  it("carries a large datagram whole, and refuses one larger than the " ..
     "send buffer with EMSGSIZE", function()
    local p = path()
    local big = string.rep("0123456789abcdef", 12000)    -- 192000 bytes
    local got, code
    T.run(function(done)
      bound(p, function(a)
        local c = dgram.createSocket({ type = "unix", sendBufferSize = 300000 })
        assert.is_true(c:getSendBufferSize() >= 300000)
        a:on("message", T.expect(function(msg, rinfo)
          got = msg
          assert.equal(#big, rinfo.size)
          assert.is_nil(rinfo.truncated)
          c:send(string.rep("x", 4 * 1024 * 1024), p, T.expect(function(err)
            code = err.code
            a:close()
            c:close(done)
          end))
        end))
        c:send(big, p)
      end)
    end)
    assert.is_true(got == big)
    assert.equal("EMSGSIZE", code)
  end)

  it("sets and reads the buffer sizes", function()
    local s = dgram.createSocket({ type = "unix", recvBufferSize = 65536 })
    assert.is_true(s:getRecvBufferSize() >= 65536)
    s:setSendBufferSize(32768)
    assert.is_true(s:getSendBufferSize() >= 32768)
    assert.equal("ERR_SOCKET_BAD_BUFFER_SIZE",
                 raised(s.setRecvBufferSize, s, -1).code)
    assert.equal("ERR_SOCKET_BAD_BUFFER_SIZE", raised(dgram.createSocket,
      { type = "unix", sendBufferSize = 0 }).code)
    s:close()
    core.run("nowait")
  end)
end)

-- Sends n datagrams at once from a sender with a small send buffer to a
-- receiver that reads them; connected or not. Returns what arrived, the
-- most the sender held at once, and its callbacks' errors.
local function flood(n, connected)
  local p = path("flood")
  local got, held, errs, sent = {}, 0, {}, 0
  local counts = {}
  T.run(function(done)
    bound(p, function(a)
      local c = dgram.createSocket({ type = "unix", sendBufferSize = 4096 })
      local function go()
        for i = 1, n do
          c:send(string.format("%05d", i) .. string.rep(".", 500),
                 (not connected) and p or nil, function(err)
            if err then errs[#errs + 1] = err.code end
            sent = sent + 1
          end)
        end
        held = c:getSendQueueCount()
        assert.is_true(c:getSendQueueSize() >= held * 505)
      end
      a:on("message", function(msg)
        got[#got + 1] = msg:sub(1, 5)
        if #got == n then
          setImmediate(function()
            assert.equal(n, sent)
            assert.equal(0, c:getSendQueueCount())
            counts.sender, counts.receiver = c:stats(), a:stats()
            a:close()
            c:close(done)
          end)
        end
      end)
      if connected then c:connect(p, go) else go() end
    end)
  end, 4 * T.timeout)
  return got, held, errs, counts
end

describe("a flood", function()
  for _, connected in ipairs({ false, true }) do
    it("waits in order in the sender's queue, nothing lost (" ..
       (connected and "connected" or "unconnected") .. ")", function()
      local n = T.timeout > 5000 and 1000 or 3000   -- slowed: fewer
      local got, held, errs, counts = flood(n, connected)
      assert.same({}, errs)
      -- the sends that waited counted once sent, as the ones sent at once
      local c, a = counts.sender, counts.receiver
      assert.equal(n, c.sent)
      assert.equal(n * 505, c.sentBytes)
      assert.equal(0, c.sendErrors)
      assert.equal(n, a.received)
      assert.equal(n * 505, a.receivedBytes)
      assert.is_true(held > 0, "the kernel never said EAGAIN")
      assert.equal(n, #got)
      for i = 1, n do
        if got[i] ~= string.format("%05d", i) then
          error("datagram " .. i .. " arrived as " .. tostring(got[i]))
        end
      end
    end)
  end

  it("cancels what still waits when the sender closes", function()
    local p = path()
    local cancelled, waiting = 0, 0
    T.run(function(done)
      bound(p, function(a)
        local c = dgram.createSocket({ type = "unix", sendBufferSize = 4096 })
        for _ = 1, 200 do
          c:send(string.rep("x", 1000), p, function(err)
            if err then
              assert.equal("ECANCELED", err.code)
              cancelled = cancelled + 1
              if cancelled == waiting then a:close(done) end
            end
          end)
        end
        waiting = c:getSendQueueCount()
        assert.is_true(waiting > 0)
        c:close()
      end)
    end)
    assert.equal(waiting, cancelled)
  end)
end)

describe("lifetime", function()
  it("collects an unreachable socket that is not bound, or closed", function()
    local weak = setmetatable({}, { __mode = "v" })
    weak[1] = dgram.createSocket("unix")
    local s = dgram.createSocket("unix")
    s:bind(path())
    s:close()
    weak[2] = s
    s = nil                                 -- luacheck: ignore 311
    core.run("nowait")
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
    assert.is_nil(weak[2])
  end)

  it("keeps a bound socket while it listens, and one with sends waiting",
     function()
    local weak = setmetatable({}, { __mode = "v" })
    local p = path()
    local got = 0
    T.run(function(done)
      local s = dgram.createSocket("unix", function()
        got = got + 1
        if got == 1 then
          weak[1]:close()
          done()
        end
      end)
      s:bind(p)
      weak[1] = s
      s = nil                               -- luacheck: ignore 311
      collectgarbage()
      collectgarbage()
      assert.is_table(weak[1])
      local c = dgram.createSocket("unix")
      c:send("hi", p, function() c:close() end)
    end)
    assert.equal(1, got)
  end)

  it("lets the loop end when unref'd, and closes with the process", function()
    local p = path()
    local code, out = sh("timeout 20 " .. quote(ludp_bin) .. " -e " .. quote(
      "local s = require('dgram').createSocket('unix') s:bind('" .. p ..
      "') s:unref() s:on('listening', function() print('listening') end)"))
    assert.equal(0, code, out)
    assert.equal("listening\n", out)
    assert.is_false(exists(p))
  end)
end)

describe("real clients", function()
  it("logger(1) sends syslog lines to a ludp socket", function()
    local code = sh("command -v logger")
    if code ~= 0 then
      print("skipped: logger(1) is not installed (scripts/setup installs it)")
      return
    end
    local p = path("log")
    local got, rinfo_got
    T.run(function(done)
      bound(p, function(s)
        s:on("message", T.expect(function(msg, rinfo)
          got, rinfo_got = msg, rinfo
          s:close(done)
        end))
        local c, out = sh("logger -d -u " .. quote(p) ..
                          " -t ludpspec -p user.notice 'hello from logger'")
        assert.equal(0, c, out)
      end)
    end)
    assert.truthy(got:find("^<13>"), got)               -- user.notice
    assert.truthy(got:find("ludpspec", 1, true), got)
    assert.truthy(got:find("hello from logger", 1, true), got)
    assert.equal("", rinfo_got.address)
    assert.equal("unix", rinfo_got.family)
  end)

  it("socat(1) sends to ludp and receives its reply", function()
    local code = sh("command -v socat")
    if code ~= 0 then
      print("skipped: socat(1) is not installed (scripts/setup installs it)")
      return
    end
    local p, q = path("srv"), path("socat")
    local out_file = u.dir .. "/socat.out"
    local got, from
    T.run(function(done)
      bound(p, function(s)
        s:on("message", T.expect(function(msg, rinfo)
          got, from = msg, rinfo.address
          s:send("reply:" .. msg, rinfo.address, function(err)
            assert.is_nil(err)
            s:close(done)
          end)
        end))
        -- socat binds q, sends its stdin to p and writes what comes back;
        -- it runs in the background and ends after a second of silence
        os.execute("printf 'from socat' | timeout 10 socat -t 1 - " ..
                   "UNIX-SENDTO:" .. p .. ",bind=" .. q .. " > " ..
                   quote(out_file) .. " 2>&1 &")
      end)
    end, 4 * T.timeout)
    assert.equal("from socat", got)
    assert.equal(q, from)
    -- wait for socat to write what it got and end
    for _ = 1, 100 do
      if helpers.read_file(out_file, true) == "reply:from socat" then break end
      os.execute("sleep 0.1")
    end
    assert.equal("reply:from socat", helpers.read_file(out_file, true))
  end)
end)
