-- Spec for lua/dgram.lua: multicast traffic, for real, inside a private
-- network namespace (spec/netns.lua): membership, the loopback flag, TTL,
-- the outgoing interface, source-specific membership, IPv4 and IPv6.
-- Each test is a separate ludp process in its own namespace; nothing is
-- ever sent to a group on the machine's own interfaces. Where no
-- namespace can be made the tests are pending, with the reason.
--
-- "Not received" is shown without sleeping: after the datagram that must
-- not arrive, the socket sends itself a unicast "marker" over loopback;
-- the kernel delivers both in the order sent, so once the marker is in,
-- anything sent before it would be too.

local netns = require("netns")

-- Runs chunk in a namespace, or makes the test pending; need: "ipv6",
-- "veth" (a feature the test cannot do without).
local function in_netns(chunk, need)
  local ok, why = netns.available()
  if not ok then return pending(why) end
  if need and not netns.features[need] then
    return pending("the namespace has no " .. need .. " support (" ..
                   (need == "veth" and "no veth device type"
                    or "no local route for ff00::/8 on lo") .. ")")
  end
  netns.check(netns.run(chunk))
end

-- Shared by the chunks: a socket's datagrams in phases. phase(s, send,
-- want, host, after) calls send(), then sends the marker to the socket's
-- own port on host once send's datagrams are out (send calls its argument
-- when they are); at the marker, and once `want` datagrams came, it calls
-- after(got) with the datagrams before the marker ({ msg, rinfo } each).
local PHASES = [=[
-- send_group(text) is a phase's send: text to 'group' on s's own port.
local function group_sender(s, group)
  return function(text)
    return function(sent) s:send(text, s:address().port, group, sent) end
  end
end

local function phase(s, send, want, host, after)
  local got, marker = {}, false
  local function on_message(msg, rinfo)
    if msg == "marker" then marker = true else
      got[#got + 1] = { msg = msg, rinfo = rinfo }
    end
    if marker and #got >= want then
      s:removeListener("message", on_message)
      after(got)
    end
  end
  s:on("message", on_message)
  send(function(err)
    check(err == nil, "send failed: %s", tostring(err))
    s:send("marker", s:address().port, host)
  end)
end
]=]

describe("IPv4 multicast through lo", function()
  it("addMembership: a member gets its own datagram to the group, " ..
     "setMulticastLoopback(true)", function()
    in_netns([=[
      local s = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local text = "to 224.0.0.114"
      s:on("message", function(msg, rinfo)
        eq(text, msg, "msg")
        eq("127.0.0.1", rinfo.address, "rinfo.address")
        eq("IPv4", rinfo.family, "rinfo.family")
        eq(s:address().port, rinfo.port, "rinfo.port")
        eq(#text, rinfo.size, "rinfo.size")
        s:close(done)
      end)
      s:bind(0, function()
        eq(nil, s:addMembership("224.0.0.114"), "addMembership returns")
        eq(true, s:setMulticastLoopback(true), "setMulticastLoopback")
        s:send(text, s:address().port, "224.0.0.114")
      end)
    ]=])
  end)

  it("two members bound to one port with reuseAddr both get the datagram",
     function()
    in_netns([=[
      local a = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local b = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local got = {}
      local function on(name, s)
        s:on("message", function(msg)
          check(not got[name], "%s got the datagram twice", name)
          got[name] = msg
          if got.a and got.b then
            a:close()
            b:close(done)
          end
        end)
      end
      on("a", a)
      on("b", b)
      a:bind(0, function()
        a:addMembership("224.0.0.114")
        b:bind(a:address().port, function()
          b:addMembership("224.0.0.114")
          a:send("both", a:address().port, "224.0.0.114")
        end)
      end)
    ]=])
  end)

  it("dropMembership: no datagram of the group after it; dropping again " ..
     "raises EADDRNOTAVAIL", function()
    in_netns(PHASES .. [=[
      local s = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local G = "239.1.2.3"
      local send_group = group_sender(s, G)
      s:bind(0, function()
        s:addMembership(G)
        phase(s, send_group("joined"), 1, "127.0.0.1", function(got)
          eq(1, #got, "datagrams while a member")
          eq("joined", got[1].msg, "msg")
          s:dropMembership(G)
          phase(s, send_group("dropped"), 0, "127.0.0.1", function(after)
            eq(0, #after, "datagrams after dropMembership")
            local ok, err = pcall(s.dropMembership, s, G)
            check(not ok, "a second dropMembership did not raise")
            eq("EADDRNOTAVAIL", err.code, "code")
            eq("dropMembership", err.syscall, "syscall")
            s:close(done)
          end)
        end)
      end)
    ]=])
  end)

  it("setMulticastTTL returns its argument; TTL 1 and TTL 0 (which stays " ..
     "on the host) still reach a local member", function()
    in_netns(PHASES .. [=[
      local s = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local G = "224.0.0.114"
      s:bind(0, function()
        s:addMembership(G)
        eq(1, s:setMulticastTTL(1), "setMulticastTTL(1)")
        phase(s, function(sent) s:send("ttl 1", s:address().port, G, sent) end,
              1, "127.0.0.1", function(got)
          eq("ttl 1", got[1].msg, "msg")
          eq(0, s:setMulticastTTL(0), "setMulticastTTL(0)")
          phase(s, function(sent)
            s:send("ttl 0", s:address().port, G, sent)
          end, 1, "127.0.0.1", function(got0)
            eq("ttl 0", got0[1].msg, "msg")
            local ok, err = pcall(s.setMulticastTTL, s, 256)
            check(not ok, "setMulticastTTL(256) did not raise")
            eq("EINVAL", err.code, "code")
            s:close(done)
          end)
        end)
      end)
    ]=])
  end)

  it("setMulticastInterface('127.0.0.1') sends through lo; '0.0.0.0' " ..
     "gives the choice back to the system", function()
    in_netns([=[
      local s = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local n = 0
      s:on("message", function(msg, rinfo)
        n = n + 1
        eq("127.0.0.1", rinfo.address, "rinfo.address")
        if n == 1 then
          eq("via lo", msg, "msg")
          eq(nil, s:setMulticastInterface("0.0.0.0"), "returns")
          s:send("default", s:address().port, "224.0.0.114")
        else
          eq("default", msg, "msg")
          s:close(done)
        end
      end)
      s:bind(0, function()
        s:addMembership("224.0.0.114", "127.0.0.1")
        s:setMulticastInterface("127.0.0.1")
        s:send("via lo", s:address().port, "224.0.0.114")
      end)
    ]=])
  end)

  it("addSourceSpecificMembership: only datagrams from the source come; " ..
     "dropSourceSpecificMembership ends it", function()
    in_netns(PHASES .. [=[
      local r = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local a = dgram.createSocket("udp4")    -- from 127.0.0.1: the source
      local b = dgram.createSocket("udp4")    -- from 127.0.0.2: another
      local G = "232.1.2.3"
      r:bind(0, function()
        local port = r:address().port
        eq(nil, r:addSourceSpecificMembership("127.0.0.1", G), "returns")
        a:bind(0, "127.0.0.1", function()
          b:bind(0, "127.0.0.2", function()
            phase(r, function(sent)
              b:send("from b", port, G, function(err)
                check(not err, tostring(err))
                a:send("from a", port, G, sent)
              end)
            end, 1, "127.0.0.1", function(got)
              eq(1, #got, "datagrams")
              eq("from a", got[1].msg, "msg")
              eq("127.0.0.1", got[1].rinfo.address, "rinfo.address")
              r:dropSourceSpecificMembership("127.0.0.1", G)
              phase(r, function(sent)
                a:send("after drop", port, G, sent)
              end, 0, "127.0.0.1", function(after)
                eq(0, #after, "datagrams after the drop")
                a:close()
                b:close()
                r:close(done)
              end)
            end)
          end)
        end)
      end)
    ]=])
  end)
end)

describe("IPv4 multicast on a veth interface", function()
  it("setMulticastLoopback(false) keeps a socket's own datagram from " ..
     "coming back; true brings it back", function()
    in_netns(PHASES .. [=[
      local s = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local G = "224.0.0.114"
      local send_group = group_sender(s, G)
      s:bind(0, function()
        s:addMembership(G, "10.250.0.1")
        s:setMulticastInterface("10.250.0.1")
        eq(false, s:setMulticastLoopback(false), "setMulticastLoopback")
        phase(s, send_group("loop off"), 0, "127.0.0.1", function(off)
          eq(0, #off, "datagrams with loopback off")
          eq(true, s:setMulticastLoopback(true), "setMulticastLoopback")
          phase(s, send_group("loop on"), 1, "127.0.0.1", function(on)
            eq(1, #on, "datagrams with loopback on")
            eq("loop on", on[1].msg, "msg")
            eq("10.250.0.1", on[1].rinfo.address, "rinfo.address")
            s:close(done)
          end)
        end)
      end)
    ]=], "veth")
  end)

  it("setMulticastInterface picks the interface the datagram leaves by",
     function()
    in_netns([=[
      local s = dgram.createSocket({ type = "udp4", reuseAddr = true })
      local G = "224.0.0.114"
      local from = {}
      s:on("message", function(msg, rinfo)
        from[#from + 1] = msg .. " from " .. rinfo.address
        if #from == 1 then
          s:setMulticastInterface("10.250.0.1")
          s:send("second", s:address().port, G)
        else
          eq("first from 127.0.0.1", from[1], "through lo")
          eq("second from 10.250.0.1", from[2], "through ludp0")
          s:close(done)
        end
      end)
      s:bind(0, function()
        s:addMembership(G, "127.0.0.1")
        s:addMembership(G, "10.250.0.1")
        s:setMulticastInterface("127.0.0.1")
        s:send("first", s:address().port, G)
      end)
    ]=], "veth")
  end)
end)

describe("IPv6 multicast", function()
  it("addMembership of ff02::114 on lo: the member gets its own datagram " ..
     "from ::1", function()
    in_netns([=[
      local s = dgram.createSocket({ type = "udp6", reuseAddr = true })
      s:on("message", function(msg, rinfo)
        eq("link scope", msg, "msg")
        eq("::1", rinfo.address, "rinfo.address")
        eq("IPv6", rinfo.family, "rinfo.family")
        eq(s:address().port, rinfo.port, "rinfo.port")
        s:close(done)
      end)
      s:bind(0, function()
        s:addMembership("ff02::114", "::%lo")
        s:setMulticastInterface("::%lo")
        eq(true, s:setMulticastLoopback(true), "setMulticastLoopback")
        eq(1, s:setMulticastTTL(1), "setMulticastTTL")
        s:send("link scope", s:address().port, "ff02::114%lo")
      end)
    ]=], "ipv6")
  end)

  it("site (ff05::) and global (ff0e::) scopes; nothing after " ..
     "dropMembership", function()
    in_netns(PHASES .. [=[
      local s = dgram.createSocket({ type = "udp6", reuseAddr = true })
      local function send_to(group, text)
        return function(sent) s:send(text, s:address().port, group, sent) end
      end
      s:bind(0, function()
        s:addMembership("ff05::1:3", "::%lo")
        s:addMembership("ff0e::1234", "::%lo")
        s:setMulticastInterface("::%lo")
        phase(s, send_to("ff05::1:3", "site"), 1, "::1", function(site)
          eq("site", site[1].msg, "msg")
          phase(s, send_to("ff0e::1234", "global"), 1, "::1", function(glob)
            eq("global", glob[1].msg, "msg")
            s:dropMembership("ff05::1:3", "::%lo")
            phase(s, send_to("ff05::1:3", "dropped"), 0, "::1",
                  function(after)
              eq(0, #after, "datagrams after dropMembership")
              s:close(done)
            end)
          end)
        end)
      end)
    ]=], "ipv6")
  end)

  it("addSourceSpecificMembership with source ::1 (ff3e::), then " ..
     "dropSourceSpecificMembership", function()
    in_netns(PHASES .. [=[
      local s = dgram.createSocket({ type = "udp6", reuseAddr = true })
      local G = "ff3e::4321"
      local send_group = group_sender(s, G)
      s:bind(0, function()
        s:addSourceSpecificMembership("::1", G, "::%lo")
        s:setMulticastInterface("::%lo")
        phase(s, send_group("ssm"), 1, "::1", function(got)
          eq("ssm", got[1].msg, "msg")
          eq("::1", got[1].rinfo.address, "rinfo.address")
          s:dropSourceSpecificMembership("::1", G, "::%lo")
          phase(s, send_group("dropped"), 0, "::1", function(after)
            eq(0, #after, "datagrams after the drop")
            s:close(done)
          end)
        end)
      end)
    ]=], "ipv6")
  end)

  it("setMulticastLoopback(false) on a veth interface: no datagram back",
     function()
    in_netns(PHASES .. [=[
      local s = dgram.createSocket({ type = "udp6", reuseAddr = true })
      local G = "ff02::114%ludp0"
      local send_group = group_sender(s, G)
      s:bind(0, function()
        s:addMembership("ff02::114", "::%ludp0")
        s:setMulticastInterface("::%ludp0")
        s:setMulticastLoopback(false)
        phase(s, send_group("loop off"), 0, "::1", function(off)
          eq(0, #off, "datagrams with loopback off")
          s:setMulticastLoopback(true)
          phase(s, send_group("loop on"), 1, "::1", function(on)
            eq(1, #on, "datagrams with loopback on")
            eq("fe80::1%ludp0", on[1].rinfo.address, "rinfo.address")
            s:close(done)
          end)
        end)
      end)
    ]=], "veth")
  end)
end)
