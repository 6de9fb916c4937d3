-- Spec for lua/dgram.lua: broadcast traffic, for real, inside a private
-- network namespace (spec/netns.lua): setBroadcast and sends to the
-- loopback broadcast address 127.255.255.255 and to 255.255.255.255.
-- Each test is a separate ludp process in its own namespace; nothing is
-- ever broadcast on the machine's own interfaces. Where no namespace can
-- be made the tests are pending, with the reason.

local netns = require("netns")

local function in_netns(chunk)
  local ok, why = netns.available()
  if not ok then return pending(why) end
  netns.check(netns.run(chunk))
end

describe("broadcast", function()
  it("a send to 127.255.255.255 fails with EACCES until setBroadcast(true)",
     function()
    in_netns([=[
      local s = dgram.createSocket("udp4")
      s:on("error", function(err) error("unexpected 'error': " .. tostring(err)) end)
      s:bind(0, function()
        local port = s:address().port
        s:send("no", port, "127.255.255.255", function(err, bytes)
          check(err, "the send succeeded without setBroadcast")
          eq(nil, bytes, "bytes")
          eq("EACCES", err.code, "code")
          eq("send", err.syscall, "syscall")
          eq("127.255.255.255", err.address, "address")
          eq(port, err.port, "port")
          eq("send EACCES 127.255.255.255:" .. port, err.message, "message")
          eq(nil, s:setBroadcast(true), "setBroadcast returns")
          s:send("yes", port, "127.255.255.255", function(err2, n)
            eq(nil, err2, "error with setBroadcast(true)")
            eq(3, n, "bytes")
            s:close(done)
          end)
        end)
      end)
    ]=])
  end)

  it("with setBroadcast(true) every socket bound to the port on 0.0.0.0 " ..
     "gets the datagram", function()
    in_netns([=[
      local a = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local b = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local sender = dgram.createSocket("udp4")
      local got = {}
      local function on(name, s)
        s:on("message", function(msg, rinfo)
          check(not got[name], "%s got it twice", name)
          eq("to all", msg, "msg")
          eq("127.0.0.1", rinfo.address, "rinfo.address")
          eq(sender:address().port, rinfo.port, "rinfo.port")
          got[name] = true
          if got.a and got.b then
            a:close()
            b:close()
            sender:close(done)
          end
        end)
      end
      on("a", a)
      on("b", b)
      a:bind(0, "0.0.0.0", function()
        b:bind(a:address().port, "0.0.0.0", function()
          sender:bind(0, "127.0.0.1", function()
            sender:setBroadcast(true)
            sender:send("to all", a:address().port, "127.255.255.255")
          end)
        end)
      end)
    ]=])
  end)

  it("255.255.255.255: EACCES without setBroadcast, delivered with it, " ..
     "EACCES again after setBroadcast(false)", function()
    in_netns([=[
      local r = dgram.createSocket("udp4")
      local s = dgram.createSocket("udp4")   -- bound to 127.0.0.1: lo
      local L = "255.255.255.255"
      r:on("message", function(msg, rinfo)
        eq("limited", msg, "msg")
        eq("127.0.0.1", rinfo.address, "rinfo.address")
        s:setBroadcast(false)
        s:send("again", r:address().port, L, function(err)
          check(err, "sent after setBroadcast(false)")
          eq("EACCES", err.code, "code")
          r:close()
          s:close(done)
        end)
      end)
      r:bind(0, function()
        s:bind(0, "127.0.0.1", function()
          local port = r:address().port
          s:send("no", port, L, function(err)
            check(err, "sent without setBroadcast")
            eq("EACCES", err.code, "code")
            eq(L, err.address, "address")
            s:setBroadcast(true)
            s:send("limited", port, L, function(err2)
              eq(nil, err2, "error with setBroadcast(true)")
            end)
          end)
        end)
      end)
    ]=])
  end)

  it("a reply refused at the end of a receive batch is an 'error' with " ..
     "its address and port, before the loop goes on", function()
    in_netns([=[
      local s = dgram.createSocket("udp4")
      local c = dgram.createSocket("udp4")
      local log = {}
      s:on("error", function(err)
        eq("EACCES", err.code, "code")
        eq("send", err.syscall, "syscall")
        eq("127.255.255.255", err.address, "address")
        eq(9, err.port, "port")
        log[#log + 1] = "error"
      end)
      s:on("message", function()
        s:send("no", 9, "127.255.255.255")  -- batched, refused at the end
        setImmediate(function()
          log[#log + 1] = "immediate"
          eq("error,immediate", table.concat(log, ","), "order")
          c:close()
          s:close(done)
        end)
      end)
      s:bind(0, "127.0.0.1", function()
        c:send("hi", s:address().port, "127.0.0.1")
      end)
    ]=])
  end)

  it("a reply refused after its socket closed is no 'error'", function()
    in_netns([=[
      local s = dgram.createSocket("udp4")
      local c = dgram.createSocket("udp4")
      s:on("error", function(err) check(false, "error: %s", err) end)
      s:on("message", function()
        s:send("no", 9, "127.255.255.255")  -- refused when close flushes
        s:close()
        c:close()
        setImmediate(done)
      end)
      s:bind(0, "127.0.0.1", function()
        c:send("hi", s:address().port, "127.0.0.1")
      end)
    ]=])
  end)

  -- A refused reply's report allocates while the batch is being sent; a
  -- collection there may run a finalizer that sends on the socket. With
  -- the incremental collector always in a cycle (a pause of 1%, a full
  -- collection first so that the pause is counted from now, whatever the
  -- generational collector's pacing left), steps run finalizers at every
  -- few allocations, those of the flush included: each such send must
  -- leave whole, after the batch, and the batch's replies all arrive
  -- intact.
  it("a finalizer that sends while a batch leaves: every datagram intact",
     function()
    in_netns([=[
      local s = dgram.createSocket("udp4")
      local c = dgram.createSocket("udp4")
      local count, echoes, fins = 30, {}, 0
      s:on("error", function(err) eq("EACCES", err.code, "code") end)
      s:on("message", function(msg, rinfo)
        s:send("no", 9, "127.255.255.255")  -- refused at the batch's end
        s:send(msg, rinfo.port, rinfo.address)
        setmetatable({}, { __gc = function()
          s:send(("fin"):rep(100), rinfo.port, rinfo.address)
        end })
      end)
      c:on("message", function(msg)
        if msg == ("fin"):rep(100) then fins = fins + 1
        else echoes[#echoes + 1] = msg end
        if #echoes == count and fins == count then
          collectgarbage("generational", 20)
          for i = 1, count do
            eq(("%04d"):format(i):rep(50), echoes[i], "echo " .. i)
          end
          c:close()
          s:close(done)
        end
      end)
      s:bind(0, "127.0.0.1", function()
        c:bind(0, "127.0.0.1", function()
          collectgarbage("incremental", 1, 100)
          collectgarbage()
          for i = 1, count do
            c:send(("%04d"):format(i):rep(50), s:address().port, "127.0.0.1")
          end
        end)
      end)
    ]=])
  end)

  it("a send failing with EACCES and no callback is an 'error' event",
     function()
    in_netns([=[
      local s = dgram.createSocket("udp4")
      s:on("error", function(err)
        eq("EACCES", err.code, "code")
        eq("send", err.syscall, "syscall")
        s:close(done)
      end)
      s:bind(0, function()
        s:send("no", s:address().port, "127.255.255.255")
      end)
    ]=])
  end)
end)
