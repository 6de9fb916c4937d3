-- A stub resolver for A records: asks a DNS server for each name given,
-- one coroutine per name, all at once on one socket, and prints what it
-- answers. The query is built and the answer read with string.pack and
-- string.unpack; sock:request resends after a timeout and takes only the
-- response whose ID and question are this query's (its match).
--
--   ludp examples/dns_client.lua <server> <port> <name> [name ...]
--
-- Prints one line per name: "<name> A <ipv4>" for each address,
-- "<name> NXDOMAIN", "<name> no A record", or "<name> timed out" after
-- 3 tries of 500 ms. The exit status is 1 when any name had no address.

local dgram = require("dgram")
local ludp = require("ludp")

local server, port = arg[1], tonumber(arg[2])
if not server or not port or not arg[3] then
  io.stderr:write("usage: dns_client.lua <server> <port> <name> [name ...]\n")
  os.exit(2)
end

local TYPE_A, CLASS_IN = 1, 1

local function query(id, name)
  local parts = {}
  for label in name:gmatch("[^.]+") do
    parts[#parts + 1] = string.pack("s1", label)
  end
  -- header: ID, RD set, one question
  return string.pack(">I2I2I2I2I2I2", id, 0x0100, 1, 0, 0, 0) ..
         table.concat(parts) .. "\0" .. string.pack(">I2I2", TYPE_A, CLASS_IN)
end

-- Skips a name (labels, or a compression pointer) at pos; the offset
-- after it.
local function skip_name(msg, pos)
  while true do
    local len = msg:byte(pos)
    if len == nil then error("truncated name") end
    if len >= 0xC0 then return pos + 2 end
    if len == 0 then return pos + 1 end
    pos = pos + 1 + len
  end
end

-- The A records of a response: addresses, or nil and the rcode's name.
local function addresses(msg, question)
  local _, flags, _, ancount = string.unpack(">I2I2I2I2", msg)
  local rcode = flags & 0xF
  if rcode == 3 then return nil, "NXDOMAIN" end
  if rcode ~= 0 then return nil, "rcode " .. rcode end
  local pos = 13 + #question
  local list = {}
  for _ = 1, ancount do
    pos = skip_name(msg, pos)
    local rtype, rclass, _, rdata, after =
      string.unpack(">I2I2I4s2", msg, pos)
    if rtype == TYPE_A and rclass == CLASS_IN and #rdata == 4 then
      list[#list + 1] = table.concat({ rdata:byte(1, 4) }, ".")
    end
    pos = after
  end
  if #list == 0 then return nil, "no A record" end
  return list
end

local sock = dgram.createSocket(server:find(":", 1, true) and "udp6"
                                or "udp4")
local pending = #arg - 2

for i = 3, #arg do
  ludp.async(function(name)
    local id = math.random(0, 0xffff)
    local q = query(id, name)
    local question = q:sub(13)
    local reply, err = sock:request(q, port, server, {
      timeout = 500, retries = 2,
      -- a response (QR set) to this ID, for this question
      match = function(msg)
        if #msg < 12 then return false end
        local rid, flags = string.unpack(">I2I2", msg)
        return rid == id and flags & 0x8000 ~= 0
               and msg:sub(13, 12 + #question) == question
      end,
    })
    if not reply then
      print(name .. (err.code == "ETIMEDOUT" and " timed out"
                     or " " .. tostring(err)))
      process.exitCode = 1
    else
      local ok, list, why = pcall(addresses, reply, question)
      if not ok then list, why = nil, "bad response: " .. tostring(list) end
      if list then
        for _, ip in ipairs(list) do print(name .. " A " .. ip) end
      else
        print(name .. " " .. why)
        process.exitCode = 1
      end
    end
    pending = pending - 1
    if pending == 0 then sock:close() end
  end, arg[i])
end
