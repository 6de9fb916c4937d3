-- Spec for lua/dgram.lua: send in every form of Node's documentation,
-- datagram boundaries and sizes, the implicit bind, the queue of sends
-- made before the socket is bound, and send's checks. Real sockets on
-- 127.0.0.1 and ::1, port 0 only.

local dgram = require("dgram")
local core = require("ludp.core")
local T = require("ludp.test")

local raised = require("helpers").raised

local recorder = require("helpers").recorder

local with_pair = require("helpers").with_pair

local texts = require("helpers").texts

describe("send forms, unconnected", function()
  it("accepts every form of Node's send and delivers each datagram",
     function()
    local got = with_pair("udp4", function(_, c, port)
      c:send("a", port)                                  -- default host
      c:send("b", port, "127.0.0.1")
      c:send("c", port, "127.0.0.1", T.expect())
      c:send("d", port, T.expect())
      c:send("xey", 1, 1, port)
      c:send("xfy", 1, 1, port, "127.0.0.1")
      c:send("xgy", 1, 1, port, "127.0.0.1", T.expect())
      c:send("xhy", 1, 1, port, T.expect())
      c:send("i", port, nil, T.expect())
      c:send("j", port, "", T.expect())                  -- default host
      c:send("xky", 1, 1, port, nil, T.expect())
    end, 11)
    assert.same({ "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k" },
                texts(got))
  end)

  it("sends an array of strings as one datagram", function()
    local got = with_pair("udp4", function(_, c, port)
      c:send({ "one ", "two ", "three" }, port, "127.0.0.1",
             T.expect(function(err, bytes)
        assert.is_nil(err)
        assert.equal(13, bytes)
      end))
      c:send({ "x" }, port)
    end, 2)
    assert.same({ "one two three", "x" }, texts(got))
    assert.equal(13, got.rinfo[1].size)
  end)

  it("sends an array of more than 64 pieces as one datagram", function()
    local pieces = {}
    for i = 1, 200 do pieces[i] = string.char(65 + i % 26) end
    local got = with_pair("udp4", function(_, c, port)
      c:send(pieces, port)
    end, 1)
    assert.equal(table.concat(pieces), got[1])
  end)

  it("sends empty datagrams: an empty string and an empty array", function()
    local got = with_pair("udp4", function(_, c, port)
      c:send("", port, T.expect(function(err, bytes)
        assert.is_nil(err)
        assert.equal(0, bytes)
      end))
      c:send({}, port)
      c:send("hello", 2, 0, port)
      c:send("end", port)
    end, 4)
    assert.same({ "", "", "", "end" }, texts(got))
    assert.equal(0, got.rinfo[1].size)
  end)

  it("counts offset and length in bytes, from 0", function()
    local s = "h\u{e9}llo"               -- 6 bytes: the e with acute is 2
    local got = with_pair("udp4", function(_, c, port)
      c:send(s, 1, 2, port)
      c:send(s, 0, #s, port)
      c:send(s, #s, 0, port)
      c:send(s, 3, 3, port)
    end, 4)
    assert.same({ "\u{e9}", s, "", "llo" }, texts(got))
  end)

  it("defaults the address to ::1 on udp6 and works over IPv6", function()
    local got = with_pair("udp6", function(_, c, port)
      c:send("six", port, T.expect(function(err, bytes)
        assert.is_nil(err)
        assert.equal(3, bytes)
        assert.equal("IPv6", c:address().family)
      end))
      c:send("six again", port, "::1")
    end, 2)
    assert.same({ "six", "six again" }, texts(got))
    assert.equal("::1", got.rinfo[1].address)
    assert.equal("IPv6", got.rinfo[1].family)
  end)

  it("sends a 65507-byte datagram, the largest of UDP over IPv4", function()
    local big = string.rep("\0\1\2", 65507 // 3) .. "zz"
    local got = with_pair("udp4", function(server, c, port)
      server:setRecvBufferSize(1024 * 1024)
      c:send(big, port, T.expect(function(err, bytes)
        assert.is_nil(err)
        assert.equal(65507, bytes)
      end))
    end, 1)
    assert.equal(65507, #got[1])
    assert.equal(big, got[1])
  end)
end)

describe("send callback", function()
  it("runs after send returns, with nil and the bytes sent", function()
    local log = recorder()
    with_pair("udp4", function(_, c, port, finish)
      c:bind(0, "127.0.0.1", function()
        c:send("12345", port, function(err, bytes)
          log.push("callback")
          assert.is_nil(err)
          assert.equal(5, bytes)
          finish()
        end)
        log.push("returned")
      end)
    end)
    assert.same({ "returned", "callback" }, log)
  end)

  it("runs in the order of the sends", function()
    local log = recorder()
    with_pair("udp4", function(_, c, port, finish)
      for i = 1, 5 do
        c:send(tostring(i), port, function()
          log.push(i)
          if i == 5 then finish() end
        end)
      end
    end)
    assert.same({ 1, 2, 3, 4, 5 }, log)
  end)

  it("ignores a callback that is not a function", function()
    local got = with_pair("udp4", function(_, c, port)
      c:send("x", 0, 1, port, "127.0.0.1", "not a function")
    end, 1)
    assert.same({ "x" }, texts(got))
  end)
end)

describe("implicit bind", function()
  it("binds an unbound socket to the any-address and a random port",
     function()
    local a
    local got = with_pair("udp4", function(_, c, port)
      c:on("listening", T.expect())
      c:send("hi", port, T.expect(function()
        a = c:address()
      end))
    end, 1)
    assert.equal("0.0.0.0", a.address)
    assert.is_true(a.port > 0)
    assert.equal(a.port, got.rinfo[1].port)
  end)

  it("queues sends made before the bind completes; they go out in order",
     function()
    local log = recorder()
    local got = with_pair("udp4", function(_, c, port)
      for i = 1, 20 do
        c:send(tostring(i), port, function(err)
          assert.is_nil(err)
          log.push(i)
        end)
      end
      c:send("last", port, "localhost", function() log.push("last") end)
    end, 21)
    local want = {}
    for i = 1, 20 do want[i] = tostring(i) end
    want[21] = "last"
    assert.same(want, texts(got))
    local want_log = {}
    for i = 1, 20 do want_log[i] = i end
    want_log[21] = "last"
    assert.same(want_log, log)
  end)

  it("keeps order behind a send whose host name is being resolved",
     function()
    local got = with_pair("udp4", function(_, c, port)
      c:bind(0, "127.0.0.1", function()
        c:send("1", port, "127.0.0.1")
        c:send("2", port, "localhost")
        c:send("3", port, "127.0.0.1")
        c:send("4", port)
      end)
    end, 4)
    assert.same({ "1", "2", "3", "4" }, texts(got))
  end)

  it("queues sends made while an explicit bind resolves its host",
     function()
    local log = recorder()
    local got = with_pair("udp4", function(_, c, port)
      c:bind(0, "localhost", function() log.push("bound") end)
      c:send("a", port, function() log.push("a") end)
      c:send("b", port, function() log.push("b") end)
    end, 2)
    assert.same({ "a", "b" }, texts(got))
    assert.same({ "bound", "a", "b" }, log)
  end)
end)

describe("send failures", function()
  it("fails a datagram over the limit with EMSGSIZE; the socket stays usable",
     function()
    local got = with_pair("udp4", function(_, c, port)
      c:send(string.rep("x", 65508), port, "127.0.0.1",
             T.expect(function(err, bytes)
        assert.is_nil(bytes)
        assert.equal("EMSGSIZE", err.code)
        assert.equal(-90, err.errno)
        assert.equal("send", err.syscall)
        assert.equal("127.0.0.1", err.address)
        assert.equal(port, err.port)
        assert.equal("send EMSGSIZE 127.0.0.1:" .. port, err.message)
        c:send("after", port)
      end))
    end, 1)
    assert.same({ "after" }, texts(got))
  end)

  it("emits 'error' for a failure without a callback, after send returns",
     function()
    local log = recorder()
    local got = with_pair("udp6", function(_, c, port)
      c:bind(0, "::1", function()
        c:on("error", T.expect(function(err)
          log.push("error")
          assert.equal("EMSGSIZE", err.code)
          assert.equal("::1", err.address)
          c:send("still usable", port)
        end))
        c:send(string.rep("x", 70000), port)
        log.push("returned")
      end)
    end, 1)
    assert.same({ "returned", "error" }, log)
    assert.same({ "still usable" }, texts(got))
  end)

  it("fails with EINVAL sending to an address of the other family",
     function()
    with_pair("udp4", function(_, c, port, finish)
      c:send("x", port, "::1", T.expect(function(err)
        assert.equal("EINVAL", err.code)
        assert.equal("send", err.syscall)
        finish()
      end))
    end)
  end)
end)

describe("send checks", function()
  local s
  before_each(function() s = dgram.createSocket("udp4") end)
  after_each(function()
    s:close()
    require("ludp").run("nowait")
  end)

  it("throws ERR_SOCKET_BAD_PORT for a port outside 1..65535", function()
    for _, port in ipairs({ 0, -1, 65536, 1.5, "0", "80 ", "0x50", "65536",
                            true }) do
      local err = raised(s.send, s, "x", port, "127.0.0.1")
      assert.equal("ERR_SOCKET_BAD_PORT", err.code, tostring(port))
      assert.equal("RangeError", err.name)
      assert.matches("^Port should be > 0 and < 65536", err.message)
    end
    assert.equal("ERR_SOCKET_BAD_PORT", raised(s.send, s, "x").code)
    assert.equal("ERR_SOCKET_BAD_PORT",
                 raised(s.send, s, "xx", 0, 1, 65536, "127.0.0.1").code)
    assert.equal("ERR_SOCKET_BAD_PORT",
                 raised(s.send, s, "xx", 0, 1, 0, "127.0.0.1").code)
  end)

  it("throws ERR_INVALID_ARG_TYPE for a message of the wrong type",
     function()
    for _, msg in ipairs({ 23, true, function() end }) do
      local err = raised(s.send, s, msg, 1234, "127.0.0.1")
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.equal("TypeError", err.name)
      assert.matches('"buffer"', err.message)
    end
    assert.equal("ERR_INVALID_ARG_TYPE", raised(s.send, s).code)
    local err = raised(s.send, s, { "a", 23 }, 1234, "127.0.0.1")
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    assert.matches('"buffer list arguments"', err.message)
    -- offset and length apply to a string only
    assert.equal("ERR_INVALID_ARG_TYPE",
                 raised(s.send, s, { "ab" }, 0, 1, 1234, "127.0.0.1").code)
  end)

  it("throws ERR_INVALID_ARG_TYPE for an address that is not a string",
     function()
    local err = raised(s.send, s, "x", 1234, 127)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    assert.matches('"address"', err.message)
    assert.equal("ERR_INVALID_ARG_TYPE",
                 raised(s.send, s, "x", 0, 1, 1234, {}).code)
  end)

  it("checks offset and length against the message's bytes", function()
    local function code(...) return raised(s.send, s, ...).code end
    assert.equal("ERR_BUFFER_OUT_OF_BOUNDS", code("hello", 6, 0, 1234, "h"))
    assert.equal("ERR_BUFFER_OUT_OF_BOUNDS", code("hello", 0, 6, 1234, "h"))
    assert.equal("ERR_BUFFER_OUT_OF_BOUNDS", code("hello", 3, 4, 1234, "h"))
    assert.equal("ERR_BUFFER_OUT_OF_BOUNDS", code("hello", -1, 1, 1234, "h"))
    assert.equal("ERR_BUFFER_OUT_OF_BOUNDS", code("hello", 0, -1, 1234, "h"))
    assert.equal("ERR_OUT_OF_RANGE", code("hello", 0.5, 1, 1234, "h"))
    assert.equal("ERR_INVALID_ARG_TYPE", code("hello", "0", 1, 1234, "h"))
    assert.equal("ERR_INVALID_ARG_TYPE", code("hello", 0, nil, 1234, "h"))
    local err = raised(s.send, s, "hello", 6, 0, 1234, "h")
    assert.equal("RangeError", err.name)
    assert.equal('"offset" is outside of buffer bounds', err.message)
  end)

  it("raises before doing anything: the socket stays unbound", function()
    raised(s.send, s, "x", 0)
    assert.equal("EBADF", raised(s.address, s).code)
  end)
end)

describe("sends queued by libuv", function()
  -- The kernel rarely says EAGAIN over loopback, so the binding's "queued"
  -- answer (1, bytes; cb(status) later) is played by a stand-in handle.
  it("complete in order, each with its own callback and error", function()
    local log, port_used = recorder(), nil
    with_pair("udp4", function(_, c, port, finish)
      port_used = port
      c:bind(0, "127.0.0.1", function()
        local real, later = c._handle, {}
        c._handle = setmetatable({
          send = function(_, data, ip, p, cb)
            local _, bytes = real:send(data, ip, p)
            later[#later + 1] = cb
            return 1, bytes
          end,
        }, { __index = function(_, k)
          return function(_, ...) return real[k](real, ...) end
        end })
        c:send("aa", port, function(err, bytes)
          log.push("aa " .. tostring(err) .. " " .. tostring(bytes))
        end)
        c:send("bbb", port)
        c:send("c", port, function(err)
          log.push("c " .. err.code .. " " .. err.syscall .. " " .. err.port)
        end)
        c:on("error", function(err) log.push("error " .. err.code) end)
        c._handle = real
        log.push("sent")
        core.next_tick(function()
          later[1](0)
          later[2](-90)
          later[3](-105)
          finish()
        end)
      end)
    end)
    assert.same({ "sent", "aa nil 2", "error EMSGSIZE",
                  "c ENOBUFS send " .. port_used }, log)
  end)
end)

describe("replies batched to one peer (UDP_SEGMENT runs)", function()
  for _, case in ipairs({ { "udp4", "127.0.0.1" }, { "udp6", "::1" } }) do
    local kind, host = case[1], case[2]
    it("arrive as the datagrams sent, in order, sizes kept (" .. kind .. ")",
       function()
      -- Equal sizes make a run; a shorter one ends it; an empty one and a
      -- bigger one each start again.
      local sizes = {}
      for _ = 1, 30 do sizes[#sizes + 1] = 700 end
      for _, n in ipairs({ 5, 0, 700, 700, 1200, 1200, 1200, 3, 9000, 9000 }) do
        sizes[#sizes + 1] = n
      end
      local sent, got = {}, {}
      T.run(function(done)
        local server = dgram.createSocket(kind)
        local client = dgram.createSocket(kind)
        server:on("message", function(msg, rinfo)
          server:send(msg, rinfo.port, rinfo.address)
        end)
        client:on("message", function(msg)
          got[#got + 1] = msg
          if #got == #sizes then
            client:close()
            server:close(done)
          end
        end)
        server:bind(0, host, function()
          local port = server:address().port
          client:bind(0, host, function()
            for i, n in ipairs(sizes) do
              local s = (string.char(64 + i % 26)):rep(n)
              sent[i] = s
              client:send(s, port, host)
            end
          end)
        end)
      end)
      assert.equal(#sent, #got)
      for i = 1, #sent do assert.equal(sent[i], got[i]) end
    end)
  end
  -- A batched reply is sent from its string's own bytes when the batch
  -- ends: a string made in the listener, which nothing else holds, must
  -- outlive full collections made before the batch leaves.
  it("send strings made in the listener intact, collections between", function()
    local count, sent, got = 40, {}, {}
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      local n = 0
      server:on("message", function(msg, rinfo)
        n = n + 1
        server:send(msg:upper() .. string.format("#%04d", n), rinfo.port,
                    rinfo.address)
        collectgarbage()
      end)
      client:on("message", function(msg)
        got[#got + 1] = msg
        if #got == count then
          client:close()
          server:close(done)
        end
      end)
      server:bind(0, "127.0.0.1", function()
        local port = server:address().port
        client:bind(0, "127.0.0.1", function()
          for i = 1, count do
            sent[i] = string.char(97 + i % 26):rep(1200)
            client:send(sent[i], port, "127.0.0.1")
          end
        end)
      end)
    end)
    assert.equal(count, #got)
    for i = 1, count do
      assert.equal(sent[i]:upper() .. string.format("#%04d", i), got[i])
    end
  end)
end)

-- A run the kernel refuses must still leave, one datagram at a time. On
-- loopback nothing refuses one; in a private namespace (spec/netns.lua)
-- lo's MTU is set to 1300, and a run of 1400 B replies is then refused
-- (EMSGSIZE: a segment must fit the route's MTU) where each datagram
-- alone is sent in IP fragments.
describe("replies batched to one peer, UDP_SEGMENT refused", function()
  local function netns() return require("netns") end
  for _, case in ipairs({ { "udp4", "127.0.0.1" }, { "udp6", "::1" } }) do
    local kind, host = case[1], case[2]
    it("leave one by one, in order, and the socket keeps echoing (" ..
       kind .. ")", function()
      local ns = netns()
      local ok, why = ns.available()
      if not ok then return pending(why) end
      if kind == "udp6" and not ns.features.ipv6 then
        return pending("no IPv6 in the namespace")
      end
      ns.check(ns.run(string.format([=[
        local kind, host = %q, %q
        -- Three bursts: big replies (the run refused), big again (the
        -- socket sends no more runs), then small ones.
        local bursts = { { 20, 1400 }, { 20, 1400 }, { 30, 100 } }
        local server = dgram.createSocket(kind)
        local client = dgram.createSocket(kind)
        local b, sent, got = 0, {}, 0
        local function burst(port)
          b = b + 1
          local count, size = bursts[b][1], bursts[b][2]
          sent, got = {}, 0
          for i = 1, count do
            sent[i] = string.char(64 + (b * 7 + i) %% 26):rep(size - 4) ..
                      string.format("%%04d", i)
            client:send(sent[i], port, host)
          end
        end
        server:on("message", function(msg, rinfo)
          server:send(msg, rinfo.port, rinfo.address)
        end)
        client:on("message", function(msg)
          got = got + 1
          eq(sent[got], msg, "burst " .. b .. ", echo " .. got)
          if got < #sent then return end
          if b < #bursts then return burst(server:address().port) end
          client:close()
          server:close(done)
        end)
        server:bind(0, host, function()
          client:bind(0, host, function() burst(server:address().port) end)
        end)
      ]=], kind, host), { lo_mtu = 1300 }))
    end)
  end
end)

-- Scripts take ports from 'arg', which holds strings: a string of decimal
-- digits is a port, as in Node's validatePort.
describe("a port given as a string of digits", function()
  it("binds, sends and connects", function()
    local got = {}
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      server:on("message", function(msg)
        got[#got + 1] = msg
        if #got == 3 then
          client:close()
          server:close(done)
        end
      end)
      server:bind("0", "127.0.0.1", function()    -- "0": any free port
        local port = tostring(server:address().port)
        client:send("by string", port, "127.0.0.1")
        client:send("padded", "000" .. port, "127.0.0.1", function(err)
          assert.is_nil(err)
          client:connect(port, "127.0.0.1", function()
            assert.equal(tonumber(port), client:remoteAddress().port)
            client:send("connected")
          end)
        end)
      end)
    end)
    assert.same({ "by string", "padded", "connected" }, got)
  end)
end)
