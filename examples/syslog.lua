-- A syslog collector: reads syslog messages over UDP, or on a Unix
-- datagram socket like /dev/log, and writes each as one JSON line on
-- stdout. It reads both formats in use: RFC 3164 (BSD: "<13>Dec  7
-- 02:28:57 host tag[pid]: text", the host left out by local senders)
-- and RFC 5424 ("<13>1 2026-12-07T02:28:47.22Z host app 27437 ID47
-- [id k="v"] text": structured data, a message ID, a process ID, and a
-- UTF-8 text marked by a byte order mark). Each line has the fields, in
-- this order: format, facility, severity, timestamp, hostname, appName,
-- procId, msgId, structuredData ({id = {param = value}}), message, utf8
-- (the text had the BOM), from (the sender); null where a field is absent.
--
--   ludp examples/syslog.lua [port] [address]
--   ludp examples/syslog.lua /path/to/socket        (a /dev/log-style path)
--
-- Defaults: port 5514 on 127.0.0.1. Try it with util-linux's logger:
--   logger --udp -n 127.0.0.1 -P 5514 --rfc5424 --msgid ID1 "hello"
--   logger -u /tmp/log.sock -d "hello"
-- SIGUSR1 prints the socket's counts on stderr (kernelDrops: messages
-- lost because the receive buffer was full); SIGINT or SIGTERM prints
-- them and stops.

local dgram = require("dgram")
local cjson = require("cjson")

local path = arg[1] and (arg[1]:find("/", 1, true) or arg[1]:sub(1, 1) == "@")
             and arg[1]
local port = not path and tonumber(arg[1]) or 5514
local address = arg[2] or "127.0.0.1"

local FACILITY = { [0] = "kern", "user", "mail", "daemon", "auth", "syslog",
  "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security",
  "console", "solaris-cron", "local0", "local1", "local2", "local3",
  "local4", "local5", "local6", "local7" }
local SEVERITY = { [0] = "emerg", "alert", "crit", "err", "warning",
  "notice", "info", "debug" }
local BOM = "\xEF\xBB\xBF"

---------------------------------------------------------------------------
-- Parsing
---------------------------------------------------------------------------

-- "-" is RFC 5424's nil value.
local function field(s)
  if s == "-" then return nil end
  return s
end

-- RFC 5424's structured data at pos: "-", or elements "[id k="v" ...]"
-- whose values escape '"', '\' and ']' with '\'. The elements ({id =
-- {param = value}}, or nil for "-") and the position after them; nil
-- when it is malformed.
local function structured_data(line, pos)
  if line:sub(pos, pos) == "-" then return false, pos + 1 end
  local sd = {}
  while line:sub(pos, pos) == "[" do
    local id, after = line:match("^([^%s%]=\"]+)()", pos + 1)
    if not id then return nil end
    local params = {}
    pos = after
    while line:sub(pos, pos) == " " do
      local name, open = line:match('^ ([^%s%]="]+)="()', pos)
      if not name then return nil end
      local value, i = {}, open
      while true do
        local c = line:sub(i, i)
        if c == "" then return nil end
        if c == '"' then break end
        if c == "\\" and line:sub(i + 1, i + 1):find('["\\%]]') then
          i = i + 1
          c = line:sub(i, i)
        end
        value[#value + 1] = c
        i = i + 1
      end
      params[name] = table.concat(value)
      pos = i + 1
    end
    if line:sub(pos, pos) ~= "]" then return nil end
    sd[id] = params
    pos = pos + 1
  end
  if next(sd) == nil then return nil end
  return sd, pos
end

-- "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]", the text
-- after "<PRI>"; nil when it is not that.
local function rfc5424(rest)
  local ts, host, app, proc, msgid, pos =
    rest:match("^1 (%S+) (%S+) (%S+) (%S+) (%S+) ()")
  if not ts then return nil end
  local sd, after = structured_data(rest, pos)
  if sd == nil or not rest:find("^ ?$", after) and
     rest:sub(after, after) ~= " " then
    return nil
  end
  local text = rest:sub(after + 1)       -- after the space, if any
  local utf8_text = text:sub(1, 3) == BOM
  if utf8_text then text = text:sub(4) end
  return { format = "rfc5424", timestamp = field(ts), hostname = field(host),
           appName = field(app), procId = field(proc), msgId = field(msgid),
           structuredData = sd or nil, message = text, utf8 = utf8_text }
end

-- "TIMESTAMP HOSTNAME TAG[PID]: MSG", the text after "<PRI>". Local
-- senders (logger on /dev/log) leave the host out: a first word that ends
-- with ':' or holds '[' is the tag. Without a timestamp, all of it is the
-- message (RFC 3164 4.3.3).
local function rfc3164(rest)
  local m = { format = "rfc3164", utf8 = false }
  local ts, pos = rest:match("^(%a%a%a [ %d]%d %d%d:%d%d:%d%d) ()")
  if not ts then
    m.message = rest
    return m
  end
  m.timestamp = ts
  local word, after = rest:match("^(%S+) ()", pos)
  if word and not word:find("[:%[]") then
    m.hostname, pos = word, after
  end
  local tag, pid, text = rest:match("^([^%s%[:]+)%[(%d+)%]: ?(.*)$", pos)
  if not tag then tag, text = rest:match("^([^%s%[:]+): ?(.*)$", pos) end
  if tag then
    m.appName, m.procId, m.message = tag, pid, text
  else
    m.message = rest:sub(pos)
  end
  return m
end

-- A message as a table; a datagram without "<PRI>" is user.notice, all
-- of it the text (RFC 3164 4.3.3).
local function parse(datagram)
  local pri, rest = datagram:match("^<(%d%d?%d?)>(.*)$")
  pri = tonumber(pri)
  if not pri or pri > 191 then pri, rest = 13, datagram end
  rest = rest:gsub("[\r\n%z]+$", "")     -- some senders end with a newline
  local m = rfc5424(rest) or rfc3164(rest)
  m.facility, m.severity = FACILITY[pri >> 3], SEVERITY[pri & 7]
  return m
end

---------------------------------------------------------------------------
-- Output: one JSON line, its fields in a fixed order
---------------------------------------------------------------------------

local ORDER = { "format", "facility", "severity", "timestamp", "hostname",
  "appName", "procId", "msgId", "structuredData", "message", "utf8", "from" }

-- Invalid UTF-8 bytes as U+FFFD, so the line is valid JSON.
local function valid_utf8(s)
  local out = {}
  while true do
    local ok, bad = utf8.len(s)
    if ok then break end
    out[#out + 1] = s:sub(1, bad - 1) .. "\xEF\xBF\xBD"
    s = s:sub(bad + 1)
  end
  out[#out + 1] = s
  return table.concat(out)
end

local function encode(v)
  if v == nil then return "null" end
  if type(v) == "string" then v = valid_utf8(v) end
  if type(v) == "table" then                 -- structured data, sorted
    local ids, parts = {}, {}
    for id in pairs(v) do ids[#ids + 1] = id end
    table.sort(ids)
    for _, id in ipairs(ids) do
      local names, params = {}, {}
      for name in pairs(v[id]) do names[#names + 1] = name end
      table.sort(names)
      for _, name in ipairs(names) do
        params[#params + 1] = encode(name) .. ":" .. encode(v[id][name])
      end
      parts[#parts + 1] = encode(id) .. ":{" .. table.concat(params, ",") .. "}"
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  -- cjson writes "/" as "\\/": valid, but a path reads better without
  return (cjson.encode(v):gsub("\\/", "/"))
end

local function json_line(m)
  local parts = {}
  for i, key in ipairs(ORDER) do
    parts[i] = '"' .. key .. '":' .. encode(m[key])
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

---------------------------------------------------------------------------
-- The collector
---------------------------------------------------------------------------

-- A larger receive buffer than the system's default (often 208 KiB): a
-- burst of log lines (a service starting, a crash) arrives faster than
-- they are written out, and what the buffer cannot hold the kernel
-- drops, counted in stats().kernelDrops. Linux caps it at
-- net.core.rmem_max unless the process is privileged.
local RECV_BUFFER = 4 * 1024 * 1024

local server = dgram.createSocket({ type = path and "unix" or "udp4",
                                    recvBufferSize = RECV_BUFFER })
local out = io.stdout
out:setvbuf("line")

server:on("message", function(msg, rinfo)
  local m = parse(msg)
  m.from = rinfo.family == "unix" and rinfo.address
           or rinfo.address .. ":" .. rinfo.port
  out:write(json_line(m), "\n")
end)
server:on("error", function(err)
  io.stderr:write("syslog: ", tostring(err), "\n")
  process.exitCode = 1
  server:close()
end)

-- The socket's counts, either type. On a unix socket kernelDrops stays 0:
-- its senders wait for room (logger blocks) rather than the kernel
-- dropping.
local function report()
  local st = server:stats()
  io.stderr:write(string.format("syslog: received=%d kernelDrops=%d\n",
                                st.received, st.kernelDrops))
end

local function listening()
  local a = server:address()
  io.stderr:write("syslog listening ", a.address,
                  a.port and ":" .. a.port or "", "\n")
end
if path then
  server:bind(path, listening)
else
  server:bind(port, address, listening)
end

local stopped = false
process.on("SIGUSR1", function()
  if not stopped then report() end
end)
local function stop()
  if stopped then return end              -- a second signal while closing
  stopped = true
  report()
  server:close()
end
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
