-- ludp.blocklist: dgram.BlockList, Node's net.BlockList: rules of single
-- addresses, ranges and subnets, IPv4 and IPv6, and check(address).
--
--   local bl = dgram.BlockList.new()
--   bl:addSubnet("10.0.0.0", 8)
--   bl:check("10.1.2.3")                  --> true
--   bl.rules                               --> { "Subnet: IPv4 10.0.0.0/8" }
--
-- Every address is one point of the IPv6 space: an IPv4 address a.b.c.d is
-- ::ffff:a.b.c.d, so that an IPv4-mapped IPv6 address matches an IPv4 rule
-- and the other way round, as in Node (src/node_sockaddr.cc). A point is
-- two integers, the high and low 64 bits, compared unsigned. The rules are
-- parsed once, when added; check() parses its address once (and keeps the
-- last few thousand parsed), because a socket's block list is checked for
-- every datagram.

local core = require("ludp.core")
local errors = require("ludp.errors")

local type, tonumber, tostring, rawget, setmetatable, getmetatable =
  type, tonumber, tostring, rawget, setmetatable, getmetatable
local ult = math.ult
local format, find, match, gmatch, lower =
  string.format, string.find, string.match, string.gmatch, string.lower
local isip = core.isip

-- The high 32 bits of the low half of an IPv4-mapped address (::ffff:0:0).
local MAPPED = 0xffff00000000

-- x ~ FLIP < y ~ FLIP is math.ult(x, y), without a call.
local FLIP = math.mininteger

local blocklist = {}


-- ---------------------------------------------------------------- parsing

-- The low half of an IPv4 literal that isip accepted (hi is 0).
local function parse4(s)
  local a, b, c, d = match(s, "^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  return MAPPED | tonumber(a) << 24 | tonumber(b) << 16 | tonumber(c) << 8
         | tonumber(d)
end

-- The 16-bit groups of part of an IPv6 literal ("1:2" or "" or
-- "ffff:1.2.3.4"), appended to g.
local function groups(part, g)
  if part == "" then return g end
  for piece in gmatch(part, "[^:]+") do
    if find(piece, ".", 1, true) then
      local v4 = parse4(piece) & 0xffffffff
      g[#g + 1] = v4 >> 16
      g[#g + 1] = v4 & 0xffff
    else
      g[#g + 1] = tonumber(piece, 16)
    end
  end
  return g
end

-- hi, lo of an IPv6 literal that isip accepted; a zone ("%eth0") is not
-- part of the address, as in Node's rules.
local function parse6(s)
  local z = find(s, "%", 1, true)
  if z then s = s:sub(1, z - 1) end
  local head, tail = match(s, "^(.-)::(.*)$")
  local g
  if head then
    g = groups(head, {})
    local t = groups(tail, {})
    for _ = 1, 8 - #g - #t do g[#g + 1] = 0 end
    for i = 1, #t do g[#g + 1] = t[i] end
  else
    g = groups(s, {})
  end
  return g[1] << 48 | g[2] << 32 | g[3] << 16 | g[4],
         g[5] << 48 | g[6] << 32 | g[7] << 16 | g[8]
end

-- What check() parsed: address -> low half (IPv4), or high and low halves
-- (IPv6); false for a string that is not an address of that family.
-- Emptied when full, so that a flood of new peers cannot grow it.
local CACHE_MAX = 4096
local cache4, cache6_hi, cache6_lo = {}, {}, {}
local cached4, cached6 = 0, 0

-- hi, lo of address as family 4 or 6, or nil when it is not one.
local function point(address, fam)
  if fam == 4 then
    local lo = cache4[address]
    if lo == nil then
      if isip(address) == 4 then lo = parse4(address) else lo = false end
      if cached4 >= CACHE_MAX then cache4, cached4 = {}, 0 end
      cache4[address], cached4 = lo, cached4 + 1
    end
    if lo then return 0, lo end
    return nil
  end
  local hi = cache6_hi[address]
  if hi == nil then
    local lo = false
    hi = false
    if isip(address) == 6 then hi, lo = parse6(address) end
    if cached6 >= CACHE_MAX then cache6_hi, cache6_lo, cached6 = {}, {}, 0 end
    cache6_hi[address], cache6_lo[address] = hi, lo
    cached6 = cached6 + 1
  end
  if hi then return hi, cache6_lo[address] end
  return nil
end

-- Whether a point is an IPv4-mapped address (or an IPv4 one).
local function is_mapped(hi, lo)
  return hi == 0 and lo >> 32 == 0xffff
end

-- a <= b, unsigned, on 128-bit points.
local function le(ahi, alo, bhi, blo)
  if ahi ~= bhi then return ult(ahi, bhi) end
  return alo == blo or ult(alo, blo)
end


-- ------------------------------------------------------------- formatting

local function ntop4(lo)
  return format("%d.%d.%d.%d", lo >> 24 & 0xff, lo >> 16 & 0xff,
                lo >> 8 & 0xff, lo & 0xff)
end

-- An IPv6 address in a rule's text: its eight groups in hex, without
-- leading zeros and without "::" ("2001:db8:0:0:0:0:0:0"), so that a
-- rule reads the same whichever way its address was written.
local function ntop6(hi, lo)
  return format("%x:%x:%x:%x:%x:%x:%x:%x", hi >> 48 & 0xffff,
                hi >> 32 & 0xffff, hi >> 16 & 0xffff, hi & 0xffff,
                lo >> 48 & 0xffff, lo >> 32 & 0xffff, lo >> 16 & 0xffff,
                lo & 0xffff)
end

local function ntop(fam, hi, lo)
  if fam == 4 then return ntop4(lo) end
  return ntop6(hi, lo)
end


-- -------------------------------------------------------------- arguments

local BlockList = {}
BlockList.__name = "BlockList"

local methods = {}

local function check_this(self)
  if type(self) ~= "table" or getmetatable(self) ~= BlockList
     or rawget(self, "_ranges") == nil then
    errors.invalid_this("an instance of BlockList", self)
  end
end

-- A string argument (an address is checked before the family, as Node
-- checks them).
local function check_string(v, name)
  if type(v) ~= "string" then errors.arg_type(name, "of type string", v) end
end

-- family: nil (IPv4), "ipv4" or "ipv6" in any case -> 4 or 6, with Node's
-- errors.
local function family_of(family)
  if family == nil or family == "ipv4" then return 4 end
  if family == "ipv6" then return 6 end
  check_string(family, "family")
  local f = lower(family)
  if f == "ipv4" then return 4 end
  if f == "ipv6" then return 6 end
  errors.invalid_value("options.family", family, "is invalid")
end

-- hi, lo of an address argument (a string already), raising as Node's
-- SocketAddress.
local function parse_arg(address, fam)
  local hi, lo = point(address, fam)
  if hi == nil then
    errors.raise("Error", "ERR_INVALID_ADDRESS", "Invalid socket address")
  end
  return hi, lo
end


-- ------------------------------------------------------------------ rules

-- A BlockList keeps its rules by kind, for check(); _text holds their
-- strings, oldest first.
--   _single[hi][lo] = true             addresses
--   _ranges: flat array of start hi, lo, end hi, lo (each with its top bit
--            flipped, so that < on them is the unsigned order), and
--            whether the range is one no IPv4 address can be compared with
--            (Node's NOT_COMPARABLE: an IPv6 end that is not IPv4-mapped)
--   _subnets: flat array of network hi, lo, mask hi, lo

function methods:addAddress(address, family)
  check_this(self)
  check_string(address, "address")
  local fam = family_of(family)
  local hi, lo = parse_arg(address, fam)
  local single = self._single
  local row = single[hi]
  if row == nil then
    row = {}
    single[hi] = row
  end
  row[lo] = true
  local text = self._text
  text[#text + 1] = format("Address: IPv%d %s", fam, ntop(fam, hi, lo))
end

function methods:addRange(first, last, family)
  check_this(self)
  check_string(first, "start")
  check_string(last, "end")
  local fam = family_of(family)
  local shi, slo = parse_arg(first, fam)
  local ehi, elo = parse_arg(last, fam)
  if not le(shi, slo, ehi, elo) then
    errors.invalid_value("start", first, "must come before end")
  end
  local r = self._ranges
  local n = #r
  r[n + 1], r[n + 2], r[n + 3], r[n + 4] =
    shi ~ FLIP, slo ~ FLIP, ehi ~ FLIP, elo ~ FLIP
  r[n + 5] = fam == 6 and not (is_mapped(shi, slo) and is_mapped(ehi, elo))
  local text = self._text
  text[#text + 1] = format("Range: IPv%d %s-%s", fam, ntop(fam, shi, slo),
                           ntop(fam, ehi, elo))
end

-- The mask of the first 'bits' bits of the 128, as hi, lo.
local function mask(bits)
  local function part(b)
    if b <= 0 then return 0 end
    if b >= 64 then return -1 end
    return -1 << (64 - b)
  end
  return part(bits), part(bits - 64)
end

function methods:addSubnet(network, prefix, family)
  check_this(self)
  check_string(network, "network")
  local fam = family_of(family)
  local hi, lo = parse_arg(network, fam)
  local max = fam == 4 and 32 or 128
  if type(prefix) ~= "number" then
    errors.arg_type("prefix", "of type number", prefix)
  end
  local p = math.tointeger(prefix)
  if p == nil and (prefix ~= prefix or prefix ~= math.floor(prefix)
                   or prefix == math.huge or prefix == -math.huge) then
    errors.range_error("ERR_OUT_OF_RANGE", format('The value of "prefix" is '
      .. "out of range. It must be an integer. Received %s", tostring(prefix)))
  end
  if p == nil or p < 0 or p > max then
    errors.range_error("ERR_OUT_OF_RANGE", format('The value of "prefix" is '
      .. "out of range. It must be >= 0 && <= %d. Received %s", max,
      tostring(p or prefix)))
  end
  prefix = p
  local mhi, mlo = mask(fam == 4 and prefix + 96 or prefix)
  local s = self._subnets
  local n = #s
  s[n + 1], s[n + 2], s[n + 3], s[n + 4] = hi & mhi, lo & mlo, mhi, mlo
  local text = self._text
  text[#text + 1] = format("Subnet: IPv%d %s/%d", fam, ntop(fam, hi, lo),
                           prefix)
end

-- Whether the point (of family fam) matches a rule of self.
local function matches(self, hi, lo, fam)
  local row = self._single[hi]
  if row and row[lo] then return true end
  local s = self._subnets
  for i = 1, #s, 4 do
    if hi & s[i + 2] == s[i] and lo & s[i + 3] == s[i + 1] then
      return true
    end
  end
  local r = self._ranges
  local n = #r
  if n == 0 then return false end
  local h, l = hi ~ FLIP, lo ~ FLIP
  for i = 1, n, 5 do
    local sh, eh = r[i], r[i + 2]
    if (sh < h or (sh == h and r[i + 1] <= l))
       and (h < eh or (h == eh and l <= r[i + 3]))
       and not (fam == 4 and r[i + 4]) then
      return true
    end
  end
  return false
end

-- check(address[, family]): false for a string that is not an address of
-- that family, as in Node.
function methods:check(address, family)
  check_this(self)
  check_string(address, "address")
  local fam = family_of(family)
  local hi, lo = point(address, fam)
  if hi == nil then return false end
  return matches(self, hi, lo, fam)
end

-- The rules as Node's getter gives them: a new array, newest first.
local function rules(self)
  local text, out = self._text, {}
  local n = #text
  for i = 1, n do out[i] = text[n + 1 - i] end
  return out
end

function BlockList.__index(self, key)
  if key == "rules" then return rules(self) end
  return methods[key]
end

function BlockList.__tostring(self)
  local n = #self._text
  return format("BlockList<%d rule%s>", n, n == 1 and "" or "s")
end

-- BlockList.new() -> an empty block list.
function blocklist.new()
  return setmetatable({ _single = {}, _ranges = {}, _subnets = {},
                        _text = {} }, BlockList)
end

-- BlockList.isBlockList(value), as Node's.
function blocklist.isBlockList(v)
  return type(v) == "table" and getmetatable(v) == BlockList
         and rawget(v, "_ranges") ~= nil
end

-- For sockets, per datagram: whether 'address' (a literal of family 4 or
-- 6 that the system gave) is blocked by bl. No argument checks.
function blocklist.blocked(bl, address, fam)
  local hi, lo = point(address, fam)
  if hi == nil then return false end
  return matches(bl, hi, lo, fam)
end

return blocklist
