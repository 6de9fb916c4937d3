-- A netcat-style UDP client: each line of standard input goes to HOST:PORT
-- as one datagram (without its end of line), and each reply is printed on
-- a line of its own. At the end of the input it waits until replies have
-- stopped for SECONDS (default 1), then exits.
--
--   ludp examples/netcat.lua [-w SECONDS] HOST PORT
--   printf 'hello\nworld\n' | ludp examples/netcat.lua 127.0.0.1 41234

local dgram = require("dgram")

local function usage()
  io.stderr:write("usage: ludp netcat.lua [-w SECONDS] HOST PORT\n")
  process.exit(2)
end

local args, wait = {}, 1
local i = 1
while i <= #arg do
  if arg[i] == "-w" then
    wait = tonumber(arg[i + 1]) or usage()
    i = i + 2
  else
    args[#args + 1] = arg[i]
    i = i + 1
  end
end
local host, port = args[1], tonumber(args[2])
if not host or not port or #args ~= 2 or wait < 0 then usage() end

local sock = dgram.createSocket(host:find(":", 1, true) and "udp6" or "udp4")
local sending, ended, idle, failed = 0, false, nil, false

local function close_when_quiet()
  if ended and sending == 0 and not idle and not failed then
    idle = setTimeout(function()
      if not failed then sock:close() end
    end, wait * 1000)
  end
end

sock:on("message", function(msg)
  process.stdout:write(msg .. "\n")
  if idle then idle:refresh() end
end)

sock:on("error", function(err)
  console.error("netcat: %s", err.message)
  process.exitCode = 1
  failed = true
  if idle then clearTimeout(idle) end
  sock:close()
  process.stdin:pause()
end)

sock:connect(port, host)

process.stdin:on("line", function(line)
  if failed then return end
  sending = sending + 1
  sock:send(line, function()
    sending = sending - 1
    close_when_quiet()
  end)
end)

process.stdin:on("end", function()
  ended = true
  close_when_quiet()
end)
