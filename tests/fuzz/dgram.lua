-- Fuzz driver: bytes -> a sequence of dgram calls with arbitrary Lua values
-- (nil, booleans, numbers of every kind with NaN, infinities, huge and
-- negative ones, strings with NULs and of every length, tables, option
-- tables, functions that throw, close sockets or make more calls, open and
-- closed sockets) on a live loop, from the main chunk and from coroutines
-- of ludp.async (recv, request, messages, sleep, wait). Every call must work or raise one of
-- the errors of docs/reference.md; so must every callback the loop makes,
-- and every method called on a wrong receiver. After the input each
-- open socket's stats() must be counts (integers >= 0), then every
-- socket is closed and the loop must settle with no handle and no
-- registry reference left (tests/fuzz/fuzzlib.lua).
--
-- Input format: one byte picks an operation, the following bytes its
-- arguments (see 'value'); reading past the end gives zeros.

local fz = require("fuzzlib")     -- first: it installs the resolver
local core = require("ludp.core")
local dgram = require("dgram")
local socket_options = require("ludp.socket_options")
local dns = require("dns")
local console = require("console")
local stdio = require("ludp.stdio")
local EventEmitter = require("events")
local ludp = require("ludp")

local MAX_SOCKETS = 4
local MAX_STEPS = 48

local NUMBERS = {
  0, -1, 1, 2, 3, 4, 6, 7, 9, 53, 255, 256, 0.5, -0.0, 0 / 0, math.huge,
  -math.huge, math.maxinteger, math.mininteger, 2 ^ 53, 2 ^ 63, -2 ^ 63,
  65535, 65536, 65507, 65508, 1e308, 2 ^ 31, 2 ^ 31 - 1, -2 ^ 31, 2 ^ 32,
  1.5, 80.0, -65535,
}

local STRINGS = {
  "", "127.0.0.1", "::1", "0.0.0.0", "::", "localhost", "udp4", "udp6",
  "127.0.0.1\0x", "::1%lo", "256.0.0.1", "fe80::1%lo", "::ffff:127.0.0.1",
  "x", "\0", "message", "error", "listening", "close", "connect", "lo",
  "127.0.0.1 ", " 127.0.0.1", "127.1", "0x7f.0.0.1", "::1%", "::1%999999",
  "[::1]", "127.0.0.1:53", ("A"):rep(70), ("a"):rep(300) .. ".invalid",
  "ip6-localhost", "newListener", "removeListener", "SIGINT", "udp",
  "UDP4", "1", "-1", "65536", "unix", "@", "@x", "/", "a\0b",
}

local EVENTS = { "message", "error", "listening", "close", "connect",
                 "newListener", "removeListener", "other" }

local OPTION_KEYS = { "type", "port", "address", "exclusive", "fd",
                      "reuseAddr", "reusePort", "ipv6Only", "recvBufferSize",
                      "sendBufferSize", "lookup", "recvInfo",
                      "maxDatagramSize", "receiveBlockList", "sendBlockList",
                      "sendHighWaterMark",
                      -- dns.lookup's
                      "family", "all", "hints", "verbatim", "order" }

local socks                       -- the sockets of this input
local d                           -- its decoder
local budget                      -- calls left to functions that make calls

local value, make_function, operation, coroutine_call

local TYPES = { "udp4", "udp6", "unix" }

-- A block list with loopback in it, or an empty one.
local function block_list()
  local list = dgram.BlockList.new()
  if d.byte() % 2 == 0 then list:addSubnet("127.0.0.0", 8) end
  if d.byte() % 2 == 0 then list:addAddress("::1", "ipv6") end
  return list
end

-- A socket of this input, or a new one when there is none.
local function pick_socket()
  if #socks == 0 then
    local s = dgram.createSocket(d.pick(TYPES))
    socks[1] = s
    return s
  end
  return socks[d.byte() % #socks + 1]
end

-- A unix socket's path in the drivers' folder, or an abstract name of
-- theirs, or nil (the kernel's choice), for bind; new each time.
local serial = 0
local function new_path()
  serial = serial + 1
  local k = d.byte() % 3
  if k == 0 then return nil end
  return fz.unix_path((k == 1 and "@" or "") .. serial)
end

-- The path of a bound unix socket of this input.
local function own_path()
  for _, s in ipairs(socks) do
    if not s._closed and s.type == "unix" and s._bound then
      local ok, a = pcall(s.address, s)
      if ok then return a.address end
    end
  end
  return fz.unix_path("nobody")
end

-- The port of a bound socket of this input (datagrams to it stay here).
local function own_port()
  for _, s in ipairs(socks) do
    if not s._closed and s._bind_state == 2 then
      local ok, a = pcall(s.address, s)
      if ok then return a.port end
    end
  end
  return 9
end

local function payload()
  local k = d.byte() % 8
  if k == 0 then return "" end
  if k == 1 then return ("p"):rep(65507) end
  if k == 2 then return ("p"):rep(65508) end
  if k == 3 then return ("p"):rep(65527 + d.byte() % 3) end
  return d.chunk(d.u16() % 2048)
end

local function loopback(s)
  if s and s.type == "udp6" then return "::1" end
  return "127.0.0.1"
end

-- A host name for s: "localhost" on a udp4 socket only; a udp6 lookup of
-- it can leave the machine as a DNS query where the hosts file has no
-- ::1 line.
local function by_name(s)
  if s and s.type == "udp4" then return "localhost" end
  return loopback(s)
end

function value(depth)
  local k = d.byte() % 24
  if k == 0 then return nil
  elseif k == 1 then return d.byte() % 2 == 0
  elseif k <= 4 then return d.pick(NUMBERS)
  elseif k == 5 then return d.integer()
  elseif k == 6 then return d.float()
  elseif k == 7 then return d.u16()
  elseif k <= 10 then return d.pick(STRINGS)
  elseif k == 11 then return fz.safe(d.chunk(d.byte()))
  elseif k == 12 then return payload()
  elseif k == 13 then return own_port()
  elseif k == 14 then return {}
  elseif k == 15 and depth < 2 then     -- an array of values
    local t = {}
    for i = 1, d.byte() % 5 do t[i] = value(depth + 1) end
    return t
  elseif k == 16 and depth < 2 then     -- an option table
    local t = {}
    for _ = 1, d.byte() % 5 do
      local key = d.pick(OPTION_KEYS)
      if key == "type" then
        t.type = d.byte() % 3 == 0 and value(depth + 1) or d.pick(TYPES)
      elseif key == "lookup" then
        t.lookup = make_function(depth + 1)
      elseif key:find("BlockList") and d.byte() % 2 == 0 then
        t[key] = block_list()
      else
        t[key] = value(depth + 1)
      end
    end
    return t
  elseif k == 17 then                   -- an array of string pieces
    local t = {}
    for i = 1, d.byte() % 70 do t[i] = d.chunk(d.byte() % 40) end
    return t
  elseif k <= 19 then return make_function(depth)
  elseif k == 20 then return pick_socket()
  elseif k == 21 then                   -- a closed socket
    local s = dgram.createSocket("udp4")
    s:close()
    return s
  elseif k == 22 then return coroutine.create(function() end)
  end
  return io.stdout                      -- a foreign userdata
end

-- Functions given as callbacks, listeners and lookups. Each decides what
-- it does when made, so that what it does later reads no more input.
function make_function(depth)
  local k = d.byte() % 9
  if k == 0 then return function() end
  elseif k == 1 then return function() error(fz.SENTINEL, 0) end
  elseif k == 2 then
    local s = pick_socket()
    return function()
      if not s._closed then s:close() end
    end
  elseif k == 3 and depth < 2 then
    -- Not re-entered: a 'newListener' listener adding a listener would
    -- recurse until the C stack overflows; and a budget per input, as
    -- several such listeners call each other combinatorially (both are
    -- the script's own bugs, not ludp's).
    local op, active = operation(depth + 1), false
    return function()
      if active or budget <= 0 then return end
      budget = budget - 1
      active = true
      op()
      active = false
    end
  end
  -- lookups: function(host, family, cb); harmless as anything else
  local ip = d.byte() % 4 == 0 and value(depth + 1) or nil
  local answer = d.byte() % 6
  return function(host, family, cb)
    if type(cb) ~= "function" then return end
    local addr = ip
    if addr == nil then
      addr = type(host) == "string" and host or "127.0.0.1"
      if addr == "localhost" then addr = family == 6 and "::1" or "127.0.0.1" end
    end
    if type(addr) == "string" then addr = fz.safe(addr) end
    if answer == 0 then
      cb(nil, addr, family)
    elseif answer == 1 then
      cb(fz.SENTINEL)
    elseif answer == 2 then           -- twice: the second is ignored
      cb(nil, addr, family)
      cb(nil, addr, family)
    elseif answer == 3 then
      core.next_tick(cb, nil, addr, family)
    elseif answer == 4 then
      error(fz.SENTINEL, 0)
    else
      core.next_tick(cb, fz.SENTINEL)
    end
  end
end

-- Every public method of Socket, its own and EventEmitter's.
local METHODS = {
  "bind", "send", "connect", "disconnect", "close", "address",
  "remoteAddress", "setBroadcast", "setTTL", "setMulticastTTL",
  "setMulticastLoopback", "setMulticastInterface", "addMembership",
  "dropMembership", "addSourceSpecificMembership",
  "dropSourceSpecificMembership", "setRecvBufferSize", "setSendBufferSize",
  "getRecvBufferSize", "getSendBufferSize", "getSendQueueSize",
  "getSendQueueCount", "ref", "unref", "__tostring", "on", "addListener",
  "once", "prependListener", "prependOnceListener", "off",
  "removeListener", "removeAllListeners", "emit", "listeners",
  "rawListeners", "listenerCount", "eventNames", "setMaxListeners",
  "getMaxListeners", "reply", "setTOS", "getTOS", "setDontFragment",
  "getMTU", "pause", "resume", "stats", "__close",
  "getMaxListeners", "recv", "request", "messages",
  EventEmitter.extend, EventEmitter.init,   -- EventEmitter's own functions
}

-- Receivers other than a socket: what a call with a dot (sock.bind(0))
-- or on the wrong object passes as self. The classes themselves too:
-- their methods must refuse them, not change them.
local function foreign_receiver(depth)
  local k = d.byte() % 4
  if k == 0 then return dgram.Socket end
  if k == 1 then return EventEmitter end
  if k == 2 then return EventEmitter.new() end
  return value(depth)
end

-- A timeout for the coroutines' calls: short (the loop must settle
-- once every socket is closed), or a value they must refuse.
local function short_ms()
  local k = d.byte() % 4
  if k == 0 then return nil end
  if k == 1 then return d.pick({ -1, 0 / 0, math.huge, "5", {}, 2 ^ 31 }) end
  return d.byte() % 20
end

-- Options of recv, request and messages.
local function wait_options(depth)
  local k = d.byte() % 3
  if k == 0 then return value(depth) end
  local o = { timeout = short_ms(), match = nil, retries = d.byte() % 3 }
  if d.byte() % 2 == 0 then o.match = make_function(depth) end
  if k == 1 then o.retries = value(depth) end
  return o
end

-- ludp.async running one of its calls, with arguments well formed or not.
function coroutine_call(depth)
  local s = pick_socket()
  local which = d.byte() % 6
  local a, b = value(depth), value(depth)
  local opts, ms = wait_options(depth), short_ms()
  local event, msg = d.pick(EVENTS), payload()
  local emitter = d.byte() % 4 == 0 and a or s
  local fn = function()
    if which == 0 then
      fz.call("recv", s.recv, s, opts)
    elseif which == 1 then
      fz.call("request", s.request, s, msg, own_port(), loopback(s), opts)
    elseif which == 2 then
      fz.call("request", s.request, s, a, b, opts)
    elseif which == 3 then
      local ok, it = fz.call("messages", s.messages, s, opts)
      if ok then
        for _ in it do end
      end
    elseif which == 4 then
      fz.call("sleep", ludp.sleep, ms)
    else
      fz.call("wait", ludp.wait, emitter, event, ms)
    end
  end
  return function() fz.call("ludp.async", ludp.async, fn) end
end

-- An operation, decoded now, run later (op()).
function operation(depth)
  local k = d.byte() % 19
  if k == 16 then                       -- dns.lookup(anything)
    local n = d.byte() % 4
    local args = {}
    for i = 1, n do args[i] = value(depth) end
    if d.byte() % 2 == 0 then           -- a well-formed call
      -- Not "localhost": its options may ask for IPv6, whose lookup of
      -- that name can leave the machine as a DNS query.
      args[1] = d.pick(STRINGS)
      args[n + 1], n = make_function(depth), n + 1
    end
    return function() fz.call("dns.lookup", dns.lookup, table.unpack(args, 1, n)) end
  elseif k == 17 then                   -- console.format(anything)
    local n = d.byte() % 5
    local args = {}
    for i = 1, n do args[i] = value(depth) end
    if d.byte() % 2 == 0 then args[1] = d.chunk(d.byte() % 24) end
    return function() fz.call("console.format", console.format, table.unpack(args, 1, n)) end
  elseif k == 18 then                   -- stdio's methods, on any receiver
    -- Not writes that succeed (they would go to the fuzzer's output) nor
    -- a read of stdin (it would hold the loop): wrong arguments and
    -- receivers, pause and isPaused.
    local names = { "write", "pause", "isPaused", "resume" }
    local name = d.pick(names)
    local recv = d.byte() % 2 == 0 and foreign_receiver(depth) or
                 (name == "write" and stdio.stdout or stdio.stdin)
    local a, b = value(depth), value(depth)
    if name == "write" and recv == stdio.stdout and type(a) == "string" then
      a = nil
    end
    if name == "resume" and recv == stdio.stdin then name = "isPaused" end
    local cls = name == "write" and stdio.WriteStream or stdio.ReadStream
    return function() fz.call(name, cls[name], recv, a, b) end
  end
  if k == 0 then                        -- createSocket(anything)
    local a, b = value(depth), value(depth)
    return function()
      local ok, s = fz.call("createSocket", dgram.createSocket, a, b)
      if ok then
        if #socks < MAX_SOCKETS then
          socks[#socks + 1] = s
        else
          s:close()
        end
      end
    end
  elseif k == 1 then                    -- createSocket well formed
    local opts = { type = d.pick(TYPES) }
    if d.byte() % 2 == 0 then opts.lookup = make_function(depth) end
    if d.byte() % 4 == 0 then opts.recvBufferSize = value(depth) end
    if d.byte() % 4 == 0 then opts.sendBufferSize = value(depth) end
    if d.byte() % 4 == 0 then opts.reuseAddr = true end
    if d.byte() % 4 == 0 then opts.sendHighWaterMark = d.u16() % 4096 + 1 end
    if d.byte() % 4 == 0 then opts.recvInfo = true end
    if d.byte() % 4 == 0 then opts.maxDatagramSize = d.u16() % 2048 + 1 end
    if d.byte() % 8 == 0 then opts.receiveBlockList = block_list() end
    if d.byte() % 8 == 0 then opts.sendBlockList = block_list() end
    if d.byte() % 4 == 0 then opts.reusePort = value(depth) end
    -- As in a worker of ludp --workers: reusePort true unless given.
    local worker = d.byte() % 2 == 1
    return function()
      socket_options.default_reuse_port = worker
      local ok, s = fz.call("createSocket", dgram.createSocket, opts)
      socket_options.default_reuse_port = false
      if ok then
        if #socks < MAX_SOCKETS then
          socks[#socks + 1] = s
        else
          s:close()
        end
      end
    end
  elseif k == 2 then                    -- bind well formed
    local s = pick_socket()
    local cb = d.byte() % 2 == 0 and make_function(depth) or nil
    local address = d.byte() % 3 == 0 and by_name(s) or loopback(s)
    local path = new_path()
    return function()
      if s.type == "unix" then return fz.call("bind", s.bind, s, path, cb) end
      fz.call("bind", s.bind, s, 0, address, cb)
    end
  elseif k <= 4 then                    -- send well formed, to ourselves
    local s = pick_socket()
    local msg = d.byte() % 4 == 0 and value(depth) or payload()
    local cb = d.byte() % 2 == 0 and make_function(depth) or nil
    local address = d.byte() % 4 == 0 and by_name(s) or loopback(s)
    if d.byte() % 4 == 0 then         -- reply(), as to a datagram of ours
      local iface = d.byte() % 3
      return function()
        local here = loopback(s)
        fz.call("reply", s.reply, s, msg, { address = here,
                port = own_port(), localAddress = here, interface = iface },
                cb)
      end
    end
    return function()
      if s.type == "unix" then
        return fz.call("send", s.send, s, msg, own_path(), cb)
      end
      fz.call("send", s.send, s, msg, own_port(), address, cb)
    end
  elseif k == 5 then                    -- connect well formed
    local s = pick_socket()
    local cb = d.byte() % 2 == 0 and make_function(depth) or nil
    return function()
      if s.type == "unix" then
        return fz.call("connect", s.connect, s, own_path(), cb)
      end
      fz.call("connect", s.connect, s, own_port(), loopback(s), cb)
    end
  elseif k == 6 then                    -- run the loop a little
    local n = d.byte() % 4 + 1
    return function() fz.run(n) end
  elseif k == 7 then                    -- collect
    return function() collectgarbage() end
  elseif k == 8 then                    -- a coroutine's call
    return coroutine_call(depth)
  end
  -- any method with any arguments, on a socket or on anything else
  local s
  if d.byte() % 8 == 0 then s = foreign_receiver(depth) else s = pick_socket() end
  local name = d.pick(METHODS)
  local n = d.byte() % 7
  local args = {}
  for i = 1, n do args[i] = value(depth) end
  if (name == "on" or name == "once" or name == "prependListener")
     and d.byte() % 2 == 0 then
    args[1], args[2] = d.pick(EVENTS), make_function(depth)
    n = math.max(n, 2)
  end
  local f = name
  if type(name) == "string" then
    -- a unix socket's own methods, mostly; Socket's too, called by hand
    f = dgram.Socket[name]
    if type(s) == "table" and rawget(s, "type") == "unix"
       and d.byte() % 4 ~= 0 then
      -- what a unix socket does beyond Node, often: pausing and resuming
      -- among its sends, its counts
      if d.byte() % 4 == 0 then
        name = d.pick({ "pause", "resume", "stats" })
      end
      f = s[name]
    end
  else
    name = "EventEmitter.extend or init"
  end
  return function()
    fz.call(name, f, s, table.unpack(args, 1, n))
  end
end

local STATS = { "received", "receivedBytes", "sent", "sentBytes",
                "sendErrors", "truncated", "blocked", "kernelDrops" }

-- stats() of each socket still open after the input: a table of the
-- counts, each an integer >= 0, whatever the input did to it.
local function check_stats()
  for _, s in ipairs(socks) do
    if not s._closed then
      local ok, st = fz.call("stats", s.stats, s)
      if ok then
        for _, field in ipairs(STATS) do
          local v = st[field]
          if math.type(v) ~= "integer" or v < 0 then
            fz.fail(string.format("stats().%s of a %s socket is %s", field,
                                  s.type, tostring(v)))
          end
        end
      end
    end
  end
end

-- The baseline of what the loop and the registry hold between inputs.
return function(bytes)
  fz.begin()
  socks = {}
  budget = 1000
  d = fz.decoder(bytes)
  local steps = 0
  while d.more() and steps < MAX_STEPS do
    steps = steps + 1
    local ok, op = pcall(operation, 0)
    if not ok then fz.fail("the driver itself failed: " .. tostring(op)) end
    op()
  end
  check_stats()
  -- Close everything, also what callbacks open meanwhile.
  fz.close_all("after the input", socks)
  socks = {}
end
