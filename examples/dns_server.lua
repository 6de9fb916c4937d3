-- A small authoritative DNS server over UDP, for a zone given as a Lua
-- table: A, AAAA and TXT records; NXDOMAIN for a name it does not have;
-- the AA flag; EDNS0 (the query's OPT answered with one of ours, its
-- DO bit echoed, BADVERS for a version other than 0); answers too large
-- for the client's buffer (512 bytes without EDNS0) sent empty with the
-- TC flag, so the client asks again over TCP. Header flags as RFC 1035
-- says: QR, AA, the query's opcode and RD; NOTIMP for an opcode other
-- than QUERY, FORMERR for what cannot be parsed, nothing for what is not
-- even a header or is a response.
--
-- It binds the any-address and answers with reply() on a socket created
-- with recvInfo: each answer leaves from the address the query was sent
-- to, so a client asking 127.0.0.2 (or one address of a multihomed host)
-- hears back from that address, as a resolver requires.
--
--   ludp examples/dns_server.lua [port] [address] [name=address ...]
--
-- Defaults: port 5353, address 0.0.0.0 (give "::" for IPv6 and IPv4),
-- the zone below; name=address adds an A (IPv4) or AAAA (IPv6) record.
-- SIGTERM or SIGINT stops it. Try it with examples/dns_client.lua, or:
--   dig @127.0.0.1 -p 5353 +norecurse www.example.test AAAA
--   dig @127.0.0.1 -p 5353 +norecurse +noedns big.example.test TXT  (TC)

local dgram = require("dgram")

local port = tonumber(arg[1]) or 5353
local address = arg[2] or "0.0.0.0"

-- The zone: name -> records by type. A name is written without the final
-- dot; case does not matter (RFC 4343).
local zone = {
  ["example.test"] = { A = { "192.0.2.1" }, AAAA = { "2001:db8::1" },
                       TXT = { { "v=spf1 -all" } } },
  ["www.example.test"] = { A = { "192.0.2.80", "192.0.2.81" },
                           AAAA = { "2001:db8::80" } },
  ["ipv6only.example.test"] = { AAAA = { "2001:db8:0:1::6" } },
  ["txt.example.test"] = { TXT = { { "hello", "world" },
                                   { "a second record" } } },
  -- about 700 bytes of TXT: more than 512, so truncated without EDNS0
  ["big.example.test"] = { TXT = { { ("a"):rep(230), ("b"):rep(230),
                                     ("c"):rep(230) } } },
}
for i = 3, #arg do
  local name, ip = arg[i]:match("^([^=]+)=(.+)$")
  if not name then
    io.stderr:write("dns_server: not name=address: ", arg[i], "\n")
    os.exit(2)
  end
  name = name:lower():gsub("%.$", "")
  zone[name] = zone[name] or {}
  local rtype = ip:find(":", 1, true) and "AAAA" or "A"
  zone[name][rtype] = zone[name][rtype] or {}
  table.insert(zone[name][rtype], ip)
end

local TYPE = { A = 1, TXT = 16, AAAA = 28 }
local TYPE_OPT, TYPE_ANY, CLASS_IN, TTL = 41, 255, 1, 300
local FORMERR, NXDOMAIN, NOTIMP = 1, 3, 4  -- rcodes; NOERROR is 0
local BADVERS_HIGH = 1          -- rcode 16: its upper 8 bits go in the OPT
local EDNS_SIZE = 1232          -- what we accept and send (DNS flag day 2020)

---------------------------------------------------------------------------
-- The zone, compiled once into the bytes of its answers
---------------------------------------------------------------------------

local function ipv4_bytes(ip)
  local a, b, c, d = ip:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  local parts = { tonumber(a), tonumber(b), tonumber(c), tonumber(d) }
  for i = 1, 4 do
    assert(parts[i] and parts[i] < 256, "not an IPv4 address: " .. ip)
  end
  return string.char(table.unpack(parts))
end

-- Eight 16-bit groups, "::" standing for the zeros left out.
local function ipv6_bytes(ip)
  local head, tail = ip:match("^(.-)::(.*)$")
  local function groups(s)
    local list = {}
    for g in s:gmatch("[^:]+") do
      local n = tonumber(g, 16)
      assert(n and #g <= 4, "not an IPv6 address: " .. ip)
      list[#list + 1] = n
    end
    return list
  end
  local words
  if head then
    local left, right = groups(head), groups(tail)
    words = left
    for _ = 1, 8 - #left - #right do words[#words + 1] = 0 end
    for _, w in ipairs(right) do words[#words + 1] = w end
  else
    words = groups(ip)
  end
  assert(#words == 8, "not an IPv6 address: " .. ip)
  return string.pack(">I2I2I2I2I2I2I2I2", table.unpack(words))
end

local function txt_bytes(strings)
  local parts = {}
  for i, s in ipairs(strings) do
    assert(#s <= 255, "a TXT string is at most 255 bytes")
    parts[i] = string.pack("s1", s)
  end
  return table.concat(parts)
end

local RDATA = { A = ipv4_bytes, AAAA = ipv6_bytes, TXT = txt_bytes }

-- A name as it is on the wire, lower case: lengths and labels, then 0.
-- The lengths are below 64, so lower() leaves them alone: a query's name
-- lowered is a key of this form as it stands.
local function wire_name(name)
  local parts = {}
  for label in name:gmatch("[^.]+") do
    parts[#parts + 1] = string.pack("s1", label)
  end
  return table.concat(parts):lower() .. "\0"
end

-- wire name -> qtype -> { count = n, rrs = bytes }: each record's name a
-- compression pointer to the question's (offset 12: 0xC00C).
local answers = {}
for name, records in pairs(zone) do
  local by_type, all = {}, { count = 0, rrs = "" }
  for tname, list in pairs(records) do
    local rrs = {}
    for _, value in ipairs(list) do
      rrs[#rrs + 1] = string.pack(">I2I2I2I4s2", 0xC00C, TYPE[tname],
                                  CLASS_IN, TTL, RDATA[tname](value))
    end
    by_type[TYPE[tname]] = { count = #rrs, rrs = table.concat(rrs) }
    all.count, all.rrs = all.count + #rrs, all.rrs .. table.concat(rrs)
  end
  by_type[TYPE_ANY] = all
  answers[wire_name(name)] = by_type
end
local NONE = { count = 0, rrs = "" }  -- a name without the type asked

---------------------------------------------------------------------------
-- A query, and its response
---------------------------------------------------------------------------

-- The offset just after the question's name, which starts at 13
-- (1-based); nil when it is not a well-formed name of labels.
local function name_end(msg)
  local pos, n = 13, #msg
  while true do
    local len = msg:byte(pos)
    if len == nil or len >= 64 then return nil end  -- no pointer in a query
    if len == 0 then return pos + 1 end
    pos = pos + 1 + len
    if pos > n then return nil end
  end
end

-- The OPT record that starts at pos (the first additional record), as
-- its payload size, version and DO bit; nil for another record; false
-- when it is cut short.
local function read_opt(msg, pos)
  if pos + 10 > #msg then return false end
  local root, rtype, size, ext_rcode, version, flags, rdlen =
    string.unpack(">BI2I2BBI2I2", msg, pos)
  if root ~= 0 or rtype ~= TYPE_OPT then return nil end
  if pos + 10 + rdlen > #msg then return false end
  return math.max(size, 512), version, flags & 0x8000, ext_rcode
end

local function header(id, flags, qd, an, ar)
  return string.pack(">I2I2I2I2I2I2", id, flags, qd, an, 0, ar)
end

-- The response to a query, or nil when it is not worth one.
local function respond(msg)
  if #msg < 12 then return nil end                  -- not even a header
  local id, flags, qdcount, ancount, nscount, arcount =
    string.unpack(">I2I2I2I2I2I2", msg)
  if flags & 0x8000 ~= 0 then return nil end        -- a response: ignore
  local opcode = (flags >> 11) & 0xF
  local out = 0x8000 | (opcode << 11) | 0x0400 | (flags & 0x0100)
  if opcode ~= 0 then return header(id, out | NOTIMP, 0, 0, 0) end
  local after = qdcount == 1 and ancount == 0 and nscount == 0
                and name_end(msg)
  if not after or after + 3 > #msg then
    return header(id, out | FORMERR, 0, 0, 0)
  end
  local qtype, qclass = string.unpack(">I2I2", msg, after)
  local question = msg:sub(13, after + 3)

  -- EDNS0: the client's buffer size, and an OPT of ours in the answer
  local limit, opt = 512, ""
  if arcount > 0 then
    local size, version, dnssec_ok = read_opt(msg, after + 4)
    if size == false then return header(id, out | FORMERR, 0, 0, 0) end
    if size then
      if version ~= 0 then
        return header(id, out, 1, 0, 1) .. question ..
          string.pack(">BI2I2BBI2I2", 0, TYPE_OPT, EDNS_SIZE, BADVERS_HIGH,
                      0, dnssec_ok, 0)
      end
      limit = math.min(size, EDNS_SIZE)
      opt = string.pack(">BI2I2BBI2I2", 0, TYPE_OPT, EDNS_SIZE, 0, 0,
                        dnssec_ok, 0)
    end
  end

  local by_type = answers[msg:sub(13, after - 1):lower()]
  if by_type == nil then
    return header(id, out | NXDOMAIN, 1, 0, #opt > 0 and 1 or 0) ..
           question .. opt
  end
  local found = qclass == CLASS_IN and by_type[qtype] or NONE
  local ar = #opt > 0 and 1 or 0
  if 12 + #question + #found.rrs + #opt > limit then
    -- too large for the client: no answer, TC set, and it asks over TCP
    return header(id, out | 0x0200, 1, 0, ar) .. question .. opt
  end
  return header(id, out, 1, found.count, ar) .. question .. found.rrs .. opt
end

---------------------------------------------------------------------------
-- The server
---------------------------------------------------------------------------

local server = dgram.createSocket({
  type = address:find(":", 1, true) and "udp6" or "udp4",
  recvInfo = true,               -- each rinfo says where it was sent to
})
local listening, unsent = false, 0
server:on("message", function(msg, rinfo)
  local response = respond(msg)
  if response then server:reply(response, rinfo) end  -- from where asked
end)
server:on("error", function(err)
  if listening then
    -- a reply the kernel could not take now (EAGAIN: the send buffer is
    -- full): dropped, as a loaded server drops; the client asks again
    unsent = unsent + 1
    return
  end
  io.stderr:write("dns_server: ", tostring(err), "\n")
  process.exitCode = 1
  server:close()
end)
server:bind(port, address, function()
  listening = true
  local a = server:address()
  print(string.format("dns server listening %s:%d", a.address, a.port))
end)

local stopped = false
local function stop()
  if stopped then return end              -- a second signal while closing
  stopped = true
  local st = server:stats()
  print(string.format("dns server closing: %d queries, %d answers, " ..
                      "%d unsent, %d kernel drops", st.received, st.sent,
                      unsent, st.kernelDrops))
  server:close()
end
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
