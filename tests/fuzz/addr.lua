-- Fuzz driver: address and port parsing. The input is an address string
-- (any bytes, NULs included) and a port (any integer or float), given to
-- core.isip and to the C binding's bind/connect/send (parse_addr and its
-- cache of the last destination), then to dgram's bind, connect and send.
-- The binding may raise for a bad argument but never crash; dgram must
-- work or raise one of the errors of docs/reference.md, and every
-- asynchronous failure must be one of them too.
--
-- The same string goes to dgram.BlockList (as an address, a range's ends,
-- a subnet with the port as prefix, and to check, compared with a rule of
-- that very address), and as a path to a unix socket's bind, send and
-- connect (inside the drivers' own folder, or under an abstract name of
-- their own: fz.unix_path).
--
-- Input: byte 0 picks the family (bit 0), how the port is read (bits 1-3)
-- and the operations (bits 4-7); then the port bytes; the rest is the
-- address. Outside a network namespace (FUZZ_NETNS unset) ports of bind
-- become 0 and sends go only to addresses that cannot leave the machine.

local fz = require("fuzzlib")     -- first: it installs the resolver
local core = require("ludp.core")
local dgram = require("dgram")

local NETNS = os.getenv("FUZZ_NETNS") == "1"

local SPECIAL_PORTS = { 0, 1, 65535, 65536, -1, 0.5, 0 / 0, math.huge,
                        -math.huge, math.maxinteger, math.mininteger, 2 ^ 53,
                        -0.0, 80.0, 2 ^ 63 }

-- A port as the input says: an integer of 2 or 8 bytes, a float, or a
-- special value.
local function read_port(d, how)
  if how == 0 or how == 1 then return d.u16() end
  if how == 2 then return d.integer() end
  if how == 3 then return d.float() end
  if how == 4 then return d.u16() + 0.0 end
  if how == 5 then return -d.u16() end
  return d.pick(SPECIAL_PORTS)
end

-- The C binding with raw arguments: a raise is fine, a crash is not; a
-- status must be 0 or a negative libuv code.
local function check_status(what, ok, r)
  if ok and (math.type(r) ~= "integer" or r > 0) then
    fz.fail(what .. " returned " .. tostring(r))
  end
end

local function binding(fam, address, port)
  local kind = core.isip(address)
  if kind ~= 0 and kind ~= 4 and kind ~= 6 then
    fz.fail("isip returned " .. tostring(kind))
  end
  local _, h = core.udp(fam)
  local bind_port = NETNS and port or 0
  check_status("bind", pcall(h.bind, h, address, bind_port))
  local ok = h:bind(fam == 6 and "::1" or "127.0.0.1", 0) == 0
  if ok then
    check_status("connect", pcall(h.connect, h, address, port))
    h:disconnect()
    -- twice: the second parse comes from the cache of the last address
    for _ = 1, 2 do
      if NETNS or fz.safe(address) == address then
        check_status("send", pcall(h.send, h, "x", address, port))
      end
      check_status("send", pcall(h.send, h, "x", fam == 6 and "::1" or
                                 "127.0.0.1", 9))
    end
  end
  h:close()
end

-- An error given to a callback or an 'error' listener: one of
-- docs/reference.md's, and a SystemError's address, when it has one, is a
-- string.
local function well_formed(err)
  if not fz.acceptable(err) then return false end
  if err.name ~= "SystemError" then return true end
  return err.address == nil or type(err.address) == "string"
end

local function api(fam, address, port, ops)
  local kind = fam == 6 and "udp6" or "udp4"
  local function errored(what)
    return function(err)
      if err ~= nil and not well_formed(err) then
        fz.fail(what .. " gave a bad error: " .. tostring(err))
      end
    end
  end
  local socks = {}
  local function new()
    local s = dgram.createSocket(kind)
    s:on("error", errored("'error'"))
    socks[#socks + 1] = s
    return s
  end
  if ops & 1 ~= 0 then               -- bind(port, address)
    local s = new()
    fz.call("bind", s.bind, s, NETNS and port or 0, address, errored("bind"))
    fz.call("bind", s.bind, s, { port = NETNS and port or 0,
                                 address = address })
  end
  if ops & 2 ~= 0 and (NETNS or fz.safe(address) == address) then
    local s = new()                  -- send(msg, port, address, cb)
    fz.call("send", s.send, s, "x", port, address, errored("send"))
    fz.call("send", s.send, s, "x", 0, 1, port, address)
  end
  if ops & 4 ~= 0 then               -- connect(port, address, cb)
    local s = new()
    fz.call("connect", s.connect, s, port, address, errored("connect"))
  end
  if ops & 8 ~= 0 then               -- as the lookup's answer
    local s = dgram.createSocket({ type = kind, lookup = function(_, f, cb)
      cb(nil, address, f)
    end })
    s:on("error", errored("'error'"))
    socks[#socks + 1] = s
    fz.call("bind", s.bind, s, 0, "localhost")
    if NETNS or fz.safe(address) == address then
      fz.call("send", s.send, s, "x", 9, "localhost")
    end
  end
  fz.run(4)
  fz.close_all("after the input", socks)
end

-- BlockList: every call works or raises a documented error; check gives a
-- boolean, true for the address of an address rule (and its family).
local function blocklist(fam, address, port)
  local family = fam == 6 and "ipv6" or "ipv4"
  local bl = dgram.BlockList.new()
  local added = fz.call("addAddress", bl.addAddress, bl, address, family)
  fz.call("addRange", bl.addRange, bl, address, address, family)
  fz.call("addSubnet", bl.addSubnet, bl, address, port, family)
  for _, f in ipairs({ family, nil, "IPV6", "ipv5", port }) do
    local ok, r = fz.call("check", bl.check, bl, address, f)
    if ok and type(r) ~= "boolean" then
      fz.fail("check returned " .. tostring(r))
    end
  end
  if added and not bl:check(address, family) then
    fz.fail("an address rule does not match its address: " .. address)
  end
  for _, rule in ipairs(bl.rules) do
    if type(rule) ~= "string" then fz.fail("a rule is not a string") end
  end
end

-- A unix socket with the string as its path (see fz.unix_path).
local function unix(address, ops)
  local path = fz.unix_path(address)
  local socks = {}
  local function errored(what)
    return function(err)
      if err ~= nil and not well_formed(err) then
        fz.fail(what .. " gave a bad error: " .. tostring(err))
      end
    end
  end
  local s = dgram.createSocket("unix")
  s:on("error", errored("'error'"))
  socks[1] = s
  if ops & 1 ~= 0 then fz.call("bind", s.bind, s, path, errored("bind")) end
  fz.call("send", s.send, s, "x", path, errored("send"))
  if ops & 2 ~= 0 then
    fz.call("connect", s.connect, s, path, errored("connect"))
    fz.call("send", s.send, s, "y", errored("send"))
  end
  fz.run(2)
  fz.close_all("after the unix input", socks)
end

return function(bytes)
  fz.begin()
  local d = fz.decoder(bytes)
  local head = d.byte()
  local fam = head & 1 == 1 and 6 or 4
  local port = read_port(d, (head >> 1) & 7)
  local address = bytes:sub(d.pos)
  binding(fam, address, math.type(port) == "integer" and port >= 0
                        and port <= 65535 and port or 9)
  api(fam, address, port, head >> 4)
  blocklist(fam, address, port)
  unix(address, head >> 4)
end
