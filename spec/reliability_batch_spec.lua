-- What a receive batch holds survives what stops the loop: the replies
-- a listener made before the process exits leave, by every exit path,
-- and the datagrams read after a listener's failing one are delivered
-- when whoever caught the error runs the loop again.

local core = require("ludp.core")
local dgram = require("dgram")
local T = require("ludp.test")

local LUDP = os.getenv("LUDP_BIN") or "build/ludp"

-- A server that replies to each datagram and leaves by 'how' at the
-- tenth; it tells its port with a "ready" datagram to the port in arg[1].
local SERVER = [[
local dgram = require("dgram")
local port, how = tonumber(arg[1]), arg[2]
local s = dgram.createSocket("udp4")
local n = 0
s:on("message", function(msg, rinfo)
  n = n + 1
  s:send("re" .. msg, rinfo.port, rinfo.address)
  if n == 10 then
    if how == "process.exit" then process.exit(0)
    elseif how == "os.exit" then os.exit(0)
    elseif how == "os.exit, closing the state" then os.exit(0, true)
    else error("an uncaught error") end
  end
end)
s:bind(0, "127.0.0.1", function() s:send("ready", port, "127.0.0.1") end)
setTimeout(function() os.exit(3) end, 10000):unref()
]]

describe("a receive batch", function()
  local script
  setup(function()
    script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(SERVER)
    f:close()
  end)
  teardown(function() os.remove(script) end)

  for _, how in ipairs({ "process.exit", "os.exit",
                         "os.exit, closing the state", "an uncaught error" }) do
    it("whose listener leaves by " .. how .. ": every reply made leaves",
       function()
      local replies = {}
      T.run(function(done)
        local c = dgram.createSocket("udp4")
        c:on("message", function(msg, rinfo)
          if msg == "ready" then          -- ten at once: one batch there
            for i = 1, 10 do c:send(tostring(i), rinfo.port, "127.0.0.1") end
            return
          end
          replies[#replies + 1] = msg
          if #replies == 10 then c:close(done) end
        end)
        c:bind(0, "127.0.0.1", function()
          os.execute(string.format("%s %s %d '%s' >/dev/null 2>&1 &", LUDP,
                                   script, c:address().port, how))
        end)
      end)
      table.sort(replies)
      assert.same({ "re1", "re10", "re2", "re3", "re4", "re5", "re6", "re7",
                    "re8", "re9" }, replies)
    end)
  end

  it("cut by a listener's error: the rest is delivered by the next run()",
     function()
    local got = {}
    local s = dgram.createSocket("udp4")
    local c = dgram.createSocket("udp4")
    s:on("message", function(msg)
      got[#got + 1] = msg
      if msg == "3" or msg == "6" then error("failed at " .. msg) end
      if #got == 10 then
        s:close()
        c:close()
      end
    end)
    s:bind(0, "127.0.0.1", function()
      for i = 1, 10 do c:send(tostring(i), s:address().port, "127.0.0.1") end
    end)
    local watchdog = core.timer()
    watchdog:start(5000, 0, function() core.stop() end)
    watchdog:unref()
    local ok, err = pcall(core.run)
    assert.is_false(ok)
    assert.matches("failed at 3", tostring(err))
    ok, err = pcall(core.run)
    assert.is_false(ok)
    assert.matches("failed at 6", tostring(err))
    core.run()
    watchdog:close()
    core.run("nowait")
    assert.same({ "1", "2", "3", "4", "5", "6", "7", "8", "9", "10" }, got)
    assert.same({}, core.handles())
  end)
end)
