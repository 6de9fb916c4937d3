-- A small authoritative DNS server for A records, over UDP: answers A
-- queries for the names of its zone, NXDOMAIN for any other name, an
-- empty answer for another type of a known name; header flags as RFC 1035
-- says (QR, AA, the query's opcode and RD; NOTIMP for an opcode other than
-- QUERY, FORMERR for what cannot be parsed), the question echoed, and the
-- answer's name a compression pointer to it.
--
--   ludp examples/dns_server.lua [port] [address] [name=ipv4 ...]
--
-- Defaults: port 5353, address 127.0.0.1, the zone below. SIGTERM or
-- SIGINT stops it. Try it with examples/dns_client.lua, or with dig:
--   dig @127.0.0.1 -p 5353 www.example.test A

local dgram = require("dgram")

local port = tonumber(arg[1]) or 5353
local address = arg[2] or "127.0.0.1"

local zone = {                         -- name (lower case) -> IPv4
  ["example.test"] = "192.0.2.1",
  ["www.example.test"] = "192.0.2.80",
}
for i = 3, #arg do
  local name, ip = arg[i]:match("^([^=]+)=(%d+%.%d+%.%d+%.%d+)$")
  if not name then
    io.stderr:write("dns_server: not name=ipv4: ", arg[i], "\n")
    os.exit(2)
  end
  zone[name:lower():gsub("%.$", "")] = ip
end

local TYPE_A, CLASS_IN, TTL = 1, 1, 300
local NOERROR, FORMERR, NXDOMAIN, NOTIMP = 0, 1, 3, 4

-- The question at offset 13 (1-based): its name, type, class and the
-- offset after it; nil for what is not a well-formed name.
local function parse_question(msg)
  local labels, pos = {}, 13
  while true do
    local len = msg:byte(pos)
    if len == nil or len >= 64 then return nil end  -- no pointer in a query
    pos = pos + 1
    if len == 0 then break end
    if pos + len - 1 > #msg then return nil end
    labels[#labels + 1] = msg:sub(pos, pos + len - 1)
    pos = pos + len
  end
  if pos + 3 > #msg then return nil end
  local qtype, qclass = string.unpack(">I2I2", msg, pos)
  return table.concat(labels, "."):lower(), qtype, qclass, pos + 4
end

local function ipv4_bytes(ip)
  local a, b, c, d = ip:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  return string.char(tonumber(a), tonumber(b), tonumber(c), tonumber(d))
end

-- The response to a query, or nil when it is not worth one (no header).
local function respond(msg)
  if #msg < 12 then return nil end
  local id, flags, qdcount = string.unpack(">I2I2I2", msg)
  if flags & 0x8000 ~= 0 then return nil end        -- a response: ignore
  local opcode = (flags >> 11) & 0xF
  local out = 0x8000 | (opcode << 11) | 0x0400 | (flags & 0x0100)
  local name, qtype, qclass, after
  if qdcount == 1 then name, qtype, qclass, after = parse_question(msg) end
  if opcode ~= 0 then
    return string.pack(">I2I2I2I2I2I2", id, out | NOTIMP, 0, 0, 0, 0)
  end
  if not name then
    return string.pack(">I2I2I2I2I2I2", id, out | FORMERR, 0, 0, 0, 0)
  end
  local question = msg:sub(13, after - 1)
  local ip = zone[name]
  local answers = ""
  local rcode = NOERROR
  if ip == nil then
    rcode = NXDOMAIN
  elseif qtype == TYPE_A and qclass == CLASS_IN then
    -- the name: a pointer to the question's, at offset 12 (0xC00C)
    answers = string.pack(">I2I2I2I4s2", 0xC00C, TYPE_A, CLASS_IN, TTL,
                          ipv4_bytes(ip))
  end
  return string.pack(">I2I2I2I2I2I2", id, out | rcode, 1,
                     answers == "" and 0 or 1, 0, 0) .. question .. answers
end

local server = dgram.createSocket(address:find(":", 1, true) and "udp6"
                                  or "udp4")
server:on("message", function(msg, rinfo)
  local reply = respond(msg)
  if reply then server:send(reply, rinfo.port, rinfo.address) end
end)
server:on("error", function(err)
  io.stderr:write("dns_server: ", tostring(err), "\n")
  process.exitCode = 1
  server:close()
end)
server:bind(port, address, function()
  local a = server:address()
  print(string.format("dns server listening %s:%d", a.address, a.port))
end)

local function stop()
  print("dns server closing")
  server:close()
end
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
