-- Spec: bad input from the network. Datagrams of every size from 0 to
-- 65507 bytes (IPv4's largest), holding every byte value, arrive in
-- 'message' unchanged, in length and content, and so do the replies an
-- echo server sends back from its 'message' handler (the batched reply
-- path of src/udp.c); a send over the largest size fails with EMSGSIZE and
-- the socket goes on working. Loopback only, port 0 only.
--
-- Every size is sent in the plain run. Under LUDP_GC_STRESS or valgrind
-- (LUDP_VALGRIND), where each callback costs a full collection or a
-- simulated CPU, the sizes are every size to 1500 (an Ethernet MTU and
-- around it), a stride of odd steps above it and the last 64 below the
-- limit.

local dgram = require("dgram")
local T = require("ludp.test")

local MAX4 = 65507                 -- 65535 - 8 (UDP) - 20 (IPv4)
local MAX6 = 65527                 -- 65535 - 8 (UDP); IPv6 fragments it

local function flag(name)
  local v = os.getenv(name)
  return v ~= nil and v ~= "" and v ~= "0"
end
local QUICK = flag("LUDP_GC_STRESS") or flag("LUDP_VALGRIND")

-- 256 + MAX6 bytes cycling through every byte value; the datagram of size
-- n starts at byte n % 256, so that consecutive datagrams differ and every
-- single-byte value is sent as a datagram of its own.
local BASE
do
  local all = {}
  for b = 0, 255 do all[#all + 1] = string.char(b) end
  local cycle = table.concat(all)
  BASE = cycle:rep((MAX6 + 512) // 256)
end

local function payload(n)
  local k = n % 256
  return BASE:sub(k + 1, k + n)
end

-- The sizes to send, in increasing order, up to 'max'.
local function sizes_upto(max, quick)
  local list = {}
  if not quick then
    for n = 0, max do list[#list + 1] = n end
    return list
  end
  for n = 0, 1500 do list[#list + 1] = n end
  for n = 1501, max - 64, 257 do list[#list + 1] = n end
  for n = max - 63, max do list[#list + 1] = n end
  return list
end

-- Where two strings first differ (1-based), for a readable failure.
local function first_difference(a, b)
  for i = 1, math.min(#a, #b) do
    if a:byte(i) ~= b:byte(i) then return i end
  end
  return math.min(#a, #b) + 1
end

local function check_same(where, got, want)
  if got ~= want then
    error(string.format("%s: a datagram of %d bytes arrived as %d bytes, " ..
                        "first difference at byte %d", where, #want, #got,
                        first_difference(got, want)), 0)
  end
end

-- Large receive buffers so that a window of datagrams fits (the kernel
-- caps the request at net.core.rmem_max; the window follows what it gave).
local BUFSIZE = 4 * 1024 * 1024

-- Sends every size of 'sizes' from a client to an echo server and back:
-- the server checks what it gets and answers from its 'message' handler,
-- the client checks the answer. 'connected' sends from a connected client.
-- Returns the count of datagrams checked at the server and at the client.
local function echo_sizes(kind, sizes, connected)
  local address = kind == "udp6" and "::1" or "127.0.0.1"
  local at_server, at_client = 0, 0
  T.run(function(done)
    local server = dgram.createSocket({ type = kind, recvBufferSize = BUFSIZE })
    local client = dgram.createSocket({ type = kind, recvBufferSize = BUFSIZE })
    local fifo, head, tail = {}, 1, 0   -- sent, not yet back at the client
    local next_size, inflight, limit = 1, 0, 0
    local server_port

    local function pump()
      while next_size <= #sizes do
        local n = sizes[next_size]
        if tail - head + 1 >= 64
           or (inflight > 0 and inflight + n > limit) then
          return
        end
        local msg = payload(n)
        tail = tail + 1
        fifo[tail] = msg
        inflight = inflight + n
        next_size = next_size + 1
        if connected then
          client:send(msg)
        else
          client:send(msg, server_port, address)
        end
      end
    end

    server:on("message", function(msg, rinfo)
      at_server = at_server + 1
      check_same("at the server", msg, fifo[at_server])
      if rinfo.size ~= #msg then error("rinfo.size is not #msg", 0) end
      server:send(msg, rinfo.port, rinfo.address)
    end)
    client:on("message", function(msg, rinfo)
      at_client = at_client + 1
      check_same("back at the client", msg, fifo[head])
      if rinfo.port ~= server_port then error("reply from elsewhere", 0) end
      fifo[head] = nil
      head = head + 1
      inflight = inflight - #msg
      if at_client == #sizes then
        client:close()
        server:close(done)
      else
        pump()
      end
    end)
    server:bind(0, address, function()
      server_port = server:address().port
      client:bind(0, address, function()
        limit = math.min(client:getRecvBufferSize(),
                         server:getRecvBufferSize()) // 4
        if connected then
          client:connect(server_port, address, pump)
        else
          pump()
        end
      end)
    end)
  end, QUICK and 120000 or 300000)
  return at_server, at_client
end

describe("datagrams of every size and byte value", function()
  it("arrive unchanged at an udp4 server and back, 0.." .. MAX4 .. " bytes",
     function()
    local sizes = sizes_upto(MAX4, QUICK)
    local s, c = echo_sizes("udp4", sizes, false)
    assert.equal(#sizes, s)
    assert.equal(#sizes, c)
  end)

  it("arrive unchanged at an udp6 server and back, 0.." .. MAX6 .. " bytes",
     function()
    local sizes = sizes_upto(MAX6, true)
    local s, c = echo_sizes("udp6", sizes, false)
    assert.equal(#sizes, s)
    assert.equal(#sizes, c)
  end)

  it("arrive unchanged from a connected client", function()
    local sizes = sizes_upto(MAX4, true)
    local s, c = echo_sizes("udp4", sizes, true)
    assert.equal(#sizes, s)
    assert.equal(#sizes, c)
  end)

  it("arrive unchanged when sent as arrays of pieces", function()
    local got = {}
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      local want = {}
      s:on("message", function(msg)
        got[#got + 1] = msg
        check_same("array datagram " .. #got, msg, want[#got])
        if #got == #want then s:close(done) end
      end)
      s:bind(0, "127.0.0.1", function()
        local port = s:address().port
        for _, n in ipairs({ 0, 1, 255, 256, 1500, 40000, MAX4 }) do
          local msg = payload(n)
          -- pieces of uneven lengths, empty ones included
          local pieces, i, step = {}, 1, 1
          while i <= n do
            pieces[#pieces + 1] = msg:sub(i, i + step - 1)
            pieces[#pieces + 1] = ""
            i = i + step
            step = step * 3
          end
          want[#want + 1] = msg
          s:send(pieces, port, "127.0.0.1")
        end
      end)
    end)
    assert.equal(7, #got)
  end)
end)

-- An over-size datagram: err (to the callback) or the 'error' event.
describe("an over-size send", function()
  local function oversize_then_works(kind, size, how)
    local address = kind == "udp6" and "::1" or "127.0.0.1"
    local errs, got = {}, {}
    T.run(function(done)
      local s = dgram.createSocket(kind)
      s:on("message", function(msg)
        got[#got + 1] = msg
        if #got == 2 then s:close(done) end
      end)
      s:on("error", function(err) errs[#errs + 1] = err end)
      s:bind(0, address, function()
        local port = s:address().port
        local big = payload(size)
        if how == "callback" then
          s:send(big, port, address, T.expect(function(err)
            errs[#errs + 1] = err
            s:send("after", port, address)
            s:send(payload(MAX4), port, address)
          end))
        elseif how == "event" then
          s:send(big, port, address)
          s:once("error", function()
            s:send("after", port, address)
            s:send(payload(MAX4), port, address)
          end)
        elseif how == "pieces" then
          s:send({ big:sub(1, 1000), big:sub(1001) }, port, address,
                 function(err)
            errs[#errs + 1] = err
            s:send("after", port, address)
            s:send(payload(MAX4), port, address)
          end)
        end
      end)
    end)
    assert.equal(1, #errs)
    assert.equal("EMSGSIZE", errs[1].code)
    assert.equal("send", errs[1].syscall)
    assert.equal("SystemError", errs[1].name)
    assert.same({ "after", payload(MAX4) }, got)
  end

  it("of 65508 bytes on udp4 calls back EMSGSIZE; the socket works on",
     function()
    oversize_then_works("udp4", MAX4 + 1, "callback")
  end)

  it("without a callback emits 'error' EMSGSIZE; the socket works on",
     function()
    oversize_then_works("udp4", MAX4 + 1, "event")
  end)

  it("made of pieces fails as one datagram", function()
    oversize_then_works("udp4", MAX4 + 1, "pieces")
  end)

  it("of 65528 bytes on udp6 calls back EMSGSIZE", function()
    oversize_then_works("udp6", MAX6 + 1, "callback")
  end)

  it("of a megabyte calls back EMSGSIZE", function()
    oversize_then_works("udp4", 1024 * 1024, "callback")
  end)

  it("on a connected socket calls back EMSGSIZE; it works on", function()
    local errs, got = {}, {}
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      server:on("message", function(msg)
        got[#got + 1] = msg
        client:close()
        server:close(done)
      end)
      server:bind(0, "127.0.0.1", function()
        client:connect(server:address().port, "127.0.0.1", function()
          client:send(payload(MAX4 + 1), T.expect(function(err)
            errs[#errs + 1] = err
            client:send("after")
          end))
        end)
      end)
    end)
    assert.equal("EMSGSIZE", errs[1].code)
    assert.same({ "after" }, got)
  end)

  it("made as a reply inside 'message' emits EMSGSIZE; replies go on",
     function()
    local errs, replies = {}, {}
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      server:on("error", function(err) errs[#errs + 1] = err end)
      server:on("message", function(msg, rinfo)
        if msg == "big" then
          server:send(payload(MAX4 + 1), rinfo.port, rinfo.address)
        else
          server:send("re " .. msg, rinfo.port, rinfo.address)
        end
      end)
      client:on("message", function(msg)
        replies[#replies + 1] = msg
        if #replies == 2 then
          client:close()
          server:close(done)
        end
      end)
      server:bind(0, "127.0.0.1", function()
        local port = server:address().port
        client:bind(0, "127.0.0.1", function()
          client:send("one", port, "127.0.0.1")
          client:send("big", port, "127.0.0.1")
          client:send("two", port, "127.0.0.1")
        end)
      end)
    end)
    assert.equal(1, #errs)
    assert.equal("EMSGSIZE", errs[1].code)
    assert.equal("send", errs[1].syscall)
    assert.same({ "re one", "re two" }, replies)
  end)
end)
