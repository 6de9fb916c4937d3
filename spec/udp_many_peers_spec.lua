-- Spec for a server that hears from many peers (src/udp_recv.c's peers'
-- strings kept, udp.c's reply to the datagram's own peer, src/sockaddr.c's
-- destinations parsed lately): each
-- datagram's rinfo.address is its own sender's, and each reply to it
-- reaches that sender, with more peers than the slots kept (so that they
-- share slots and push each other out) and in batches that mix them.
-- Clients on 127.0.0.2 and up (loopback: Linux routes all of 127/8 to lo).

local core = require("ludp.core")
local dgram = require("dgram")
local T = require("ludp.test")
local setImmediate = require("timers").setImmediate

local WINDOW = 64 -- datagrams in flight

-- n clients, client i bound to 127.0.0.(2 + i) (127.0.1.x past 253);
-- each sends 'rounds' datagrams to an echo server, which records where
-- each came from. Returns the server's records and what each client got back.
-- reply(server, msg, rinfo) answers (default: at once, from the listener).
local function flood(n, rounds, reply)
  local seen, back = {}, {}
  reply = reply or function(server, msg, rinfo)
    server:send(msg, rinfo.port, rinfo.address)
  end
  T.run(function(done)
    local server = dgram.createSocket("udp4")
    local clients, bound, echoed = {}, 0, 0
    server:on("message", function(msg, rinfo)
      seen[#seen + 1] = { msg = msg, address = rinfo.address }
      reply(server, msg, rinfo)
    end)
    -- The datagrams in turn (every client's first, then the second ones),
    -- WINDOW in flight: the server's batches mix peers, and its receive
    -- buffer never overflows.
    local sent = 0
    local function send_next()
      if sent == n * rounds then return end
      local i, r = sent % n + 1, sent // n + 1
      sent = sent + 1
      clients[i]:send(i .. ":" .. r, server:address().port, "127.0.0.1")
    end
    local function start()
      for _ = 1, WINDOW do send_next() end
    end
    server:bind(0, "127.0.0.1", function()
      for i = 1, n do
        local c = dgram.createSocket("udp4")
        local k = 1 + i -- 127.0.0.2 ... then 127.0.1.0 ...
        local address = string.format("127.0.%d.%d", k // 256, k % 256)
        c:on("message", function(msg)
          back[#back + 1] = { msg = msg, client = i, address = address }
          echoed = echoed + 1
          send_next()
          if echoed == n * rounds then
            for _, x in ipairs(clients) do x:close() end
            server:close(done)
          end
        end)
        clients[i] = c
        c:bind(0, address, function()
          bound = bound + 1
          if bound == n then start() end
        end)
      end
    end)
  end, 20000)
  return seen, back
end

-- Checks that each of the n * rounds datagrams came from its own client
-- and that each echo reached the client it answered.
local function check(n, rounds, seen, back)
  assert.equal(n * rounds, #seen)
  for _, s in ipairs(seen) do
    local i = tonumber(s.msg:match("^(%d+):"))
    local k = 1 + i
    assert.equal(string.format("127.0.%d.%d", k // 256, k % 256), s.address)
  end
  assert.equal(n * rounds, #back)
  for _, b in ipairs(back) do
    assert.equal(b.client, tonumber(b.msg:match("^(%d+):")), b.address)
  end
end

describe("a server that hears from many peers", function()
  it("sees each datagram's own sender and answers it, past the slots kept",
     function()
    local n, rounds = 600, 3
    local seen, back = flood(n, rounds)
    check(n, rounds, seen, back)
  end)

  it("answers each datagram's peer with its own address, parsing none",
     function()
    -- Counted from the server's first datagram on (the clients' binds
    -- parse their addresses). The clients' sends to "127.0.0.1" from
    -- their listeners take that path too: Lua keeps one string of each
    -- short text, so "127.0.0.1" there is their rinfo.address.
    local n, rounds = 256, 3
    local first
    local seen, back = flood(n, rounds, function(server, msg, rinfo)
      first = first or core.udp_paths()
      server:send(msg, rinfo.port, rinfo.address)
    end)
    check(n, rounds, seen, back)
    local now = core.udp_paths()
    assert.is_true(now.reply_peer - first.reply_peer >= n * rounds,
                   "reply_peer " .. now.reply_peer - first.reply_peer)
    assert.equal(0, now.dst_parsed - first.dst_parsed)
  end)

  it("answers from a later tick through the cache: each peer parsed " ..
     "about once", function()
    -- Out of the listener, rinfo.address is a string like any other: the
    -- cache finds it by where it is. 256 peers in its 1024 slots, two for
    -- each key: a few share a pair with two others and are parsed again
    -- each round; the others never are.
    local n, rounds = 256, 3
    local first
    local seen, back = flood(n, rounds, function(server, msg, rinfo)
      first = first or core.udp_paths()
      setImmediate(function()
        server:send(msg, rinfo.port, rinfo.address)
      end)
    end)
    check(n, rounds, seen, back)
    local parsed = core.udp_paths().dst_parsed - first.dst_parsed
    assert.is_true(parsed <= n + n * (rounds - 1) / 4, "dst_parsed " .. parsed)
  end)

  it("answers a changed port or another address through the cache, " ..
     "to where it was told", function()
    local got = {}
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      local other = dgram.createSocket("udp4")
      server:on("message", function(msg, rinfo)
        if msg == "to other" then
          server:send(msg, other:address().port, rinfo.address)
        else -- an equal string, not rinfo's: "127.0.0.2"
          server:send(msg, rinfo.port, ("127.0.0.%d"):format(2))
        end
      end)
      local function got_one(who)
        return function(msg)
          got[#got + 1] = who .. " " .. msg
          if #got == 2 then
            client:close()
            other:close()
            server:close(done)
          end
        end
      end
      client:on("message", got_one("client"))
      other:on("message", got_one("other"))
      server:bind(0, "127.0.0.1", function()
        other:bind(0, "127.0.0.2", function()
          client:bind(0, "127.0.0.2", function()
            client:send("to other", server:address().port, "127.0.0.1")
            client:send("to client", server:address().port, "127.0.0.1")
          end)
        end)
      end)
    end)
    table.sort(got)
    assert.same({ "client to client", "other to other" }, got)
  end)
end)
