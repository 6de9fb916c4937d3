-- Spec for createSocket's recvInfo and Socket:reply: every rinfo of a
-- socket made with recvInfo = true has localAddress (where the datagram
-- was sent), interface (the index it came in on) and tos; reply(msg,
-- rinfo) answers from that address, so a server bound to the any-address
-- answers each query from the address it was asked on. IPv4 uses
-- 127.0.0.2 and 127.0.0.3, which are loopback on Linux; IPv6 runs in a
-- private network namespace with extra addresses on its lo (skipped with
-- the reason where none can be made). Loopback only, port 0 only.

local dgram = require("dgram")
local T = require("ludp.test")
local netns = require("netns")

local raised = require("helpers").raised

-- Binds a recvInfo server on 0.0.0.0 that answers each datagram with
-- reply(); a client on 127.0.0.1 sends one datagram to each of
-- 'targets' in turn. Returns the server's rinfos and the client's.
local function ask_each(targets, opts)
  local seen, answers = {}, {}
  T.run(function(done)
    local server = dgram.createSocket(opts or { type = "udp4",
                                                recvInfo = true })
    local client = dgram.createSocket("udp4")
    server:on("message", function(msg, rinfo)
      seen[#seen + 1] = rinfo
      server:reply("re:" .. msg, rinfo)
    end)
    client:on("message", function(msg, rinfo)
      answers[#answers + 1] = { msg = msg, address = rinfo.address,
                                port = rinfo.port }
      if #answers == #targets then
        client:close()
        server:close(done)
      else
        client:send(targets[#answers + 1], server:address().port,
                    targets[#answers + 1])
      end
    end)
    server:bind(0, "0.0.0.0", function()
      client:bind(0, "127.0.0.1", function()
        client:setTOS(0x28)
        client:send(targets[1], server:address().port, targets[1])
      end)
    end)
  end)
  return seen, answers
end

describe("recvInfo = true", function()
  it("gives each rinfo localAddress, interface and tos (IPv4)", function()
    local seen = ask_each({ "127.0.0.2", "127.0.0.3" })
    assert.equal(2, #seen)
    assert.equal("127.0.0.2", seen[1].localAddress)
    assert.equal("127.0.0.3", seen[2].localAddress)
    for _, r in ipairs(seen) do
      assert.equal("127.0.0.1", r.address)
      assert.equal("IPv4", r.family)
      assert.equal(0x28, r.tos)
      assert.equal("integer", math.type(r.interface))
      assert.is_true(r.interface > 0)
      assert.is_nil(r.truncated)
    end
  end)

  it("reply() answers from the address the datagram was sent to", function()
    local _, answers = ask_each({ "127.0.0.2", "127.0.0.3", "127.0.0.2" })
    assert.equal("re:127.0.0.2", answers[1].msg)
    assert.equal("127.0.0.2", answers[1].address)
    assert.equal("127.0.0.3", answers[2].address)
    assert.equal("127.0.0.2", answers[3].address)
  end)

  it("without it, rinfo has none of the fields and reply() is send()",
     function()
    local seen, answers = ask_each({ "127.0.0.2" }, "udp4")
    local keys = {}
    for k in pairs(seen[1]) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.same({ "address", "family", "port", "size" }, keys)
    -- from the address the kernel picks for the peer, not the one asked
    assert.equal("127.0.0.1", answers[1].address)
  end)

  it("reply(msg, rinfo) is done in C; with a callback, in Lua", function()
    local before = require("ludp.core").udp_paths().reply_from
    local _, answers = ask_each({ "127.0.0.2", "127.0.0.3" })
    assert.equal(2, #answers)
    assert.equal(before + 2, require("ludp.core").udp_paths().reply_from)
  end)

  it("reply() with a callback gets the bytes sent", function()
    local got
    T.run(function(done)
      local server = dgram.createSocket({ type = "udp4", recvInfo = true })
      local client = dgram.createSocket("udp4")
      server:on("message", function(_, rinfo)
        server:reply({ "ab", "cd" }, rinfo, T.expect(function(err, bytes)
          got = { err = err, bytes = bytes }
        end))
      end)
      client:on("message", T.expect(function(msg)
        assert.equal("abcd", msg)
        client:close()
        server:close(done)
      end))
      server:bind(0, "0.0.0.0", function()
        client:send("x", server:address().port, "127.0.0.3")
      end)
    end)
    assert.same({ bytes = 4 }, got)
  end)

  it("checks its value, and reply() its arguments", function()
    local e = raised(dgram.createSocket, { type = "udp4", recvInfo = 1 })
    assert.equal("ERR_INVALID_ARG_TYPE", e.code)
    local s = dgram.createSocket({ type = "udp4", recvInfo = true })
    assert.equal("ERR_INVALID_ARG_TYPE", raised(s.reply, s, "x", nil).code)
    assert.equal("ERR_INVALID_ARG_TYPE", raised(s.reply, s, "x", "rinfo").code)
    assert.equal("ERR_INVALID_ARG_TYPE",
                 raised(s.reply, s, "x", { address = "127.0.0.1", port = 9 },
                        42).code)
    assert.equal("ERR_SOCKET_BAD_PORT",
                 raised(s.reply, s, "x", { address = "127.0.0.1" }).code)
    -- no address is an error, not a reply to 127.0.0.1
    assert.equal("ERR_INVALID_ARG_TYPE", raised(s.reply, s, "x", { port = 9 }).code)
    local plain = dgram.createSocket("udp4")
    assert.equal("ERR_INVALID_ARG_TYPE",
                 raised(plain.reply, plain, "x", { port = 9 }).code)
    plain:close()
    assert.equal("ERR_INVALID_ARG_TYPE",
                 raised(s.reply, s, 7, { address = "127.0.0.1",
                        port = 9, localAddress = "127.0.0.1",
                        interface = 1 }).code)
    assert.equal("ERR_INVALID_ARG_TYPE", raised(s.reply, {}, "x", {}).code)
    s:close()
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING",
                 raised(s.reply, s, "x", { address = "127.0.0.1",
                                           port = 9 }).code)
    T.run(function(done) setImmediate(done) end)
  end)

  it("a reply the kernel refuses is an 'error' (or its callback's)",
     function()
    local errs = {}
    T.run(function(done)
      local server = dgram.createSocket({ type = "udp4", recvInfo = true })
      local client = dgram.createSocket("udp4")
      server:on("error", T.expect(function(err)
        errs[#errs + 1] = err.code
      end))
      server:on("message", function(_, rinfo)
        local bad = {}
        for k, v in pairs(rinfo) do bad[k] = v end
        bad.localAddress = "127.0.0.1"
        bad.interface = 999999         -- no such interface
        server:reply("x", bad)
        server:reply("x", bad, T.expect(function(err)
          errs[#errs + 1] = err.code
          setImmediate(function()
            client:close()
            server:close(done)
          end)
        end))
      end)
      server:bind(0, "0.0.0.0", function()
        client:send("x", server:address().port, "127.0.0.2")
      end)
    end)
    assert.equal(2, #errs)
    assert.equal(errs[1], errs[2])
    assert.truthy(errs[1] == "ENXIO" or errs[1] == "ENODEV", errs[1])
  end)
end)

describe("recvInfo on IPv6 (in a network namespace)", function()
  local ok, why = netns.available()
  local run = ok and it or pending

  run("gives localAddress and answers from it, IPv6 and IPv4-mapped" ..
      (ok and "" or ": " .. tostring(why)), function()
    netns.check(netns.run([[
      assert(os.execute("ip -6 addr add fd00::2/128 dev lo nodad"))
      assert(os.execute("ip -6 addr add fd00::3/128 dev lo nodad"))
      local server = dgram.createSocket({ type = "udp6", recvInfo = true })
      local c6 = dgram.createSocket("udp6")
      local c4 = dgram.createSocket("udp4")
      local asked = { {c6, "fd00::2"}, {c6, "fd00::3"}, {c4, "127.0.0.2"} }
      local n = 0
      server:on("message", function(msg, rinfo)
        eq(msg, rinfo.localAddress:gsub("^::ffff:", ""), "localAddress")
        check(rinfo.interface > 0, "interface %s", tostring(rinfo.interface))
        eq(0x48, rinfo.tos, "tos")
        server:reply(msg, rinfo)
      end)
      local function next_one()
        n = n + 1
        if n > #asked then
          c6:close() c4:close() server:close() return done()
        end
        asked[n][1]:send(asked[n][2], server:address().port, asked[n][2])
      end
      local function answer(msg, rinfo)
        eq(asked[n][2], msg, "echo")
        eq(asked[n][2], rinfo.address, "answered from")
        next_one()
      end
      c6:on("message", answer)
      c4:on("message", answer)
      server:bind(0, "::", function()
        c6:bind(0, "::1", function()
          c4:bind(0, "127.0.0.1", function()
            c6:setTOS(0x48)
            c4:setTOS(0x48)
            next_one()
          end)
        end)
      end)
    ]]))
  end)
end)
