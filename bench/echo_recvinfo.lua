-- examples/echo.lua with recvInfo = true, for bench/callgrind.sh
-- (SCRIPT=bench/echo_recvinfo.lua): what the control messages of each
-- datagram cost. With REPLY set in its arguments' place (the script's
-- first argument "reply"), it answers with reply(), from the address it
-- was asked on; else with send(), as echo.lua.
--
--   ludp bench/echo_recvinfo.lua [reply] PORT

local dgram = require("dgram")

local port = tonumber(arg[#arg]) or 41234
local use_reply = arg[1] == "reply"
local sock = dgram.createSocket({ type = "udp4", recvInfo = true })

if use_reply then
  sock:on("message", function(msg, rinfo)
    sock:reply(msg, rinfo)
  end)
else
  sock:on("message", function(msg, rinfo)
    sock:send(msg, rinfo.port, rinfo.address)
  end)
end

process.on("SIGTERM", function() sock:close() end)
sock:bind(port, "127.0.0.1")
