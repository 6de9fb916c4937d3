-- Spec for lua/ludp/async.lua under loss made by the kernel: inside a
-- private network namespace, an nftables rule drops 30% of the UDP
-- datagrams on lo at random (numgen random), both ways, and counts them;
-- sock:request with retries and match still gives each request its own
-- reply or ETIMEDOUT after exactly its retries, and what was sent and
-- not received is what the rule dropped (a packet it drops may carry a
-- run of datagrams sent as one UDP_SEGMENT message). The second check beside
-- spec/async_lossy_spec.lua's relay. Skipped, with the reason, where no
-- namespace can be made or nft (Debian's nftables) is missing.

local netns = require("netns")

local function has_nft()
  local p = io.popen("command -v nft 2>/dev/null")
  local out = p:read("a")
  p:close()
  return out ~= ""
end

describe("sock:request through lo dropping 30% (nftables)", function()
  it("answers or times out each request as it should, counts adding up",
     function()
    local ok, why = netns.available()
    if ok and not has_nft() then
      ok, why = false, "nft not installed (Debian package nftables)"
    end
    if not ok then
      print("skipped: " .. why)
      pending(why)
      return
    end
    netns.check(netns.run([[
      local ludp = require("ludp")
      local function sh(cmd)
        local p = io.popen(cmd .. " 2>&1")
        local out = p:read("a")
        local okc = p:close()
        check(okc, "%s: %s", cmd, out)
        return out
      end
      sh("nft add table inet lossy")
      sh("nft 'add chain inet lossy in { type filter hook input priority 0; }'")
      sh("nft add rule inet lossy in meta l4proto udp " ..
         "numgen random mod 100 '<' 30 counter drop")
      local N, RETRIES = 200, 3
      local server = dgram.createSocket("udp4")
      local server_got = 0
      server:on("message", function(msg, rinfo)
        server_got = server_got + 1
        server:send("re:" .. msg, rinfo.port, rinfo.address)
      end)
      server:bind(0, "127.0.0.1")
      local client = dgram.createSocket("udp4")
      local sends, answered, timed_out, finished = 0, 0, 0, 0
      local per = {}
      client.send = function(self, msg, ...)
        sends = sends + 1
        per[msg] = (per[msg] or 0) + 1
        return dgram.Socket.send(self, msg, ...)
      end
      ludp.async(function()
        assert(ludp.wait(server, "listening"))
        local port = server:address().port
        for w = 1, 20 do
          ludp.async(function()
            for k = 1, N // 20 do
              local q = "q" .. ((w - 1) * (N // 20) + k)
              local reply, err = client:request(q, port, "127.0.0.1", {
                timeout = 40, retries = RETRIES,
                match = function(m) return m == "re:" .. q end })
              if reply then
                eq("re:" .. q, reply, "reply")
                answered = answered + 1
              else
                eq("ETIMEDOUT", err.code, "error")
                eq(RETRIES + 1, per[q], "sends of " .. q)
                timed_out = timed_out + 1
              end
            end
            finished = finished + 1
          end)
        end
        while finished < 20 do ludp.sleep(10) end
        -- late replies: a listener reads them (the socket, read only by
        -- request, reads no more once none waits)
        local late = 0
        client:on("message", function() late = late + 1 end)
        ludp.sleep(50)
        eq(N, answered + timed_out, "requests")
        local dropped = tonumber(sh("nft list ruleset"):match("packets (%d+)"))
        -- every datagram sent (client's and server's) was received or
        -- dropped by the rule; the client received what it got back
        local delivered = require("ludp.core").udp_paths().delivered
        -- every datagram sent (client's and server's) was received or
        -- dropped by the rule; a dropped packet may carry several
        -- datagrams (a UDP_SEGMENT run of replies), so at least as many
        -- were lost as packets dropped
        local lost = sends + server_got - delivered
        check(lost >= dropped, "%d lost, %d dropped", lost, dropped)
        check(lost <= dropped * 64, "%d lost, %d dropped", lost, dropped)
        check(dropped > 0, "nothing dropped")
        check(answered > timed_out, "%d answered, %d timed out", answered,
              timed_out)
        print(string.format("nft: %d answered, %d timed out, %d sends, " ..
                            "%d dropped", answered, timed_out, sends, dropped))
        client:close()
        server:close()
        done()
      end)
    ]]))
  end)
end)
