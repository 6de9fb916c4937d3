-- Shared parts of the fuzz drivers (tests/fuzz/dgram.lua, addr.lua):
-- reading the input's bytes, telling the documented errors from bugs, a
-- hermetic resolver, addresses that never leave the machine, and the check
-- at the end of every input that the loop settles with nothing left behind.
--
-- A finding calls fuzz_fail(message) (tests/fuzz/fuzz.c), which aborts:
-- libFuzzer then saves the input as a crash.

local core = require("ludp.core")

local fz = {}

local fail = rawget(_G, "fuzz_fail") or function(msg) error(msg, 0) end
fz.fail = fail

-- ------------------------------------------------------------ resolver

-- Only these names reach getaddrinfo (from /etc/hosts); any other name
-- fails with EAI_NONAME on a later tick, so that no input asks a DNS
-- server. Installed before dgram is loaded.
local real_getaddrinfo = core.getaddrinfo
local KNOWN = { localhost = true, ["ip6-localhost"] = true,
                ["ip6-loopback"] = true }
local EAI_NONAME = core.errno.EAI_NONAME
core.getaddrinfo = function(host, family, cb)
  if KNOWN[host] then return real_getaddrinfo(host, family, cb) end
  if type(cb) == "function" then core.next_tick(cb, EAI_NONAME) end
  return 0
end

-- ------------------------------------------------------------- strings

-- Outside a network namespace no datagram may leave the machine: a string
-- that is an IP literal other than loopback or any-address (before a NUL
-- too, for what C would read) is replaced. Names other than the KNOWN ones
-- never resolve.
local SAFE_IPS = { ["127.0.0.1"] = true, ["0.0.0.0"] = true, ["::1"] = true,
                   ["::"] = true, ["::ffff:127.0.0.1"] = true,
                   ["::ffff:0.0.0.0"] = true }
local function unsafe_literal(s)
  if core.isip(s) ~= 0 and not SAFE_IPS[s] then return true end
  local head = s:match("^([^%z]*)%z")
  return head ~= nil and core.isip(head) ~= 0 and not SAFE_IPS[head]
end

function fz.safe(s)
  if unsafe_literal(s) or unsafe_literal(s:lower()) then
    return "unsafe." .. #s .. ".invalid"
  end
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)")
  if a and not (a == "127" or (a == "0" and b == "0" and c == "0" and d == "0")) then
    return "unsafe.dotted.invalid"
  end
  return s
end

-- ------------------------------------------------------------- decoder

-- Reads the input from the front; past the end every read gives 0.
function fz.decoder(bytes)
  local d = { pos = 1, bytes = bytes, n = #bytes }
  function d.more() return d.pos <= d.n end
  function d.byte()
    local b = bytes:byte(d.pos) or 0
    d.pos = d.pos + 1
    return b
  end
  function d.u16() return d.byte() * 256 + d.byte() end
  function d.pick(list) return list[d.byte() % #list + 1] end
  -- 'len' bytes of the input (cycled; "" when it is empty).
  function d.chunk(len)
    if d.n == 0 or len == 0 then return "" end
    local from = (d.pos - 1) % d.n + 1
    local s = bytes:sub(from, from + len - 1)
    while #s < len do s = s .. bytes:sub(1, len - #s) end
    d.pos = d.pos + math.min(len, 16)
    return s
  end
  function d.integer()
    local s = d.chunk(8)
    if #s < 8 then return 0 end
    return (string.unpack("<i8", s))
  end
  function d.float()
    local s = d.chunk(8)
    if #s < 8 then return 0.0 end
    return (string.unpack("<d", s))
  end
  return d
end

-- -------------------------------------------------------------- errors

-- What fuzz-made callbacks throw, and what fuzz-made lookups give as err.
fz.SENTINEL = setmetatable({}, { __tostring = function() return "SENTINEL" end })

-- The codes of docs/reference.md, and those it takes from Node ("as in
-- Node.js").
local CODES = {
  ERR_SOCKET_BAD_TYPE = true, ERR_SOCKET_BAD_PORT = true,
  ERR_INVALID_ARG_TYPE = true, ERR_SOCKET_ALREADY_BOUND = true,
  ERR_SOCKET_DGRAM_IS_CONNECTED = true, ERR_SOCKET_DGRAM_NOT_CONNECTED = true,
  ERR_SOCKET_DGRAM_NOT_RUNNING = true, ERR_SOCKET_BUFFER_SIZE = true,
  ERR_SOCKET_BAD_BUFFER_SIZE = true, ERR_MISSING_ARGS = true,
  ERR_OUT_OF_RANGE = true, ERR_BUFFER_OUT_OF_BOUNDS = true,
  ERR_INVALID_FD_TYPE = true, ERR_INVALID_ARG_VALUE = true,
  ERR_UNHANDLED_ERROR = true,    -- events: emit("error", x) of a non-error
  ERR_INVALID_ADDRESS = true,    -- dgram.BlockList: not an address
  ERR_IP_BLOCKED = true,         -- a send to an address of sendBlockList
}
local NAMES = { Error = true, TypeError = true, RangeError = true,
                SystemError = true }

local errors = require("ludp.errors")

-- Whether 'err' is an error docs/reference.md allows (or one the input
-- threw).
function fz.acceptable(err)
  if err == fz.SENTINEL then return true end
  if not errors.is_error(err) then return false end
  if not NAMES[err.name] or type(err.message) ~= "string"
     or type(err.stack) ~= "string" or type(err.code) ~= "string" then
    return false
  end
  if err.name == "SystemError" then
    -- the system's: a code and a negative errno (ERR_SOCKET_BUFFER_SIZE too)
    return math.type(err.errno) == "integer" and err.errno < 0
           and type(err.syscall) == "string"
  end
  return CODES[err.code] == true
end

local function describe(err)
  if errors.is_error(err) then return tostring(err.stack) end
  local ok, s = pcall(tostring, err)
  return ok and s or type(err)
end

-- Calls f(...) in protected mode; a raise that docs/reference.md does not
-- allow is a finding. Returns ok, results.
function fz.call(what, f, ...)
  local tb
  local res = table.pack(xpcall(f, function(e)
    tb = debug.traceback(describe(e), 2)
    return e
  end, ...))
  if not res[1] and not fz.acceptable(res[2]) then
    fail(what .. " raised an error docs/reference.md does not allow:\n"
         .. tostring(tb))
  end
  return table.unpack(res, 1, res.n)
end

-- Errors that reach the loop's uncaught handler (thrown by a callback, or
-- an 'error' event with no listener) must be acceptable too.
core.set_uncaught(function(err)
  if not fz.acceptable(err) then
    fail("uncaught error docs/reference.md does not allow:\n"
         .. describe(err) .. "\n" .. tostring(core.traceback()))
  end
  return true
end)

-- ------------------------------------------------------- unix paths

-- Unix sockets of the drivers live in a folder of their own, or under
-- abstract names with this process's prefix: an input never reaches a
-- socket of the system (/dev/log...), even in a network namespace, which
-- does not separate files.
local unix_dir
function fz.unix_path(name)
  if unix_dir == nil then
    unix_dir = os.tmpname()
    os.remove(unix_dir)
    if not os.execute("mkdir -m 700 '" .. unix_dir .. "'") then
      fail("cannot make a folder for unix sockets")
    end
  end
  if name:byte(1) == 64 then        -- '@': an abstract name, ours
    return "@ludp-fuzz-" .. core.pid .. "-" .. name:sub(2)
  end
  return unix_dir .. "/" .. name:gsub("/", "_")
end

-- ------------------------------------------------------------ settling

-- Runs the loop ("nowait" passes) unless it is already running: a
-- callback made by the loop cannot run it again.
local running = false
function fz.run(passes)
  if running then return end
  running = true
  for _ = 1, passes or 1 do core.run("nowait") end
  running = false
end

local function registry_refs()
  local n = 0
  for k, v in pairs(debug.getregistry()) do
    if math.type(k) == "integer" and type(v) ~= "number" then n = n + 1 end
  end
  return n
end

local function describe_handles(h)
  local parts = {}
  for kind, n in pairs(h) do parts[#parts + 1] = kind .. "=" .. n end
  table.sort(parts)
  return table.concat(parts, ", ")
end

local baseline

-- Called first by each input: the first one takes the baseline of what
-- the registry holds between inputs (the harness's own references made).
function fz.begin()
  if baseline == nil then
    while core.alive() do fz.run() end
    collectgarbage()
    baseline = registry_refs()
  end
end

-- Runs the loop until nothing is pending (bounded), calling cleanup()
-- before every pass (it closes what callbacks may still have opened and
-- says whether it closed anything); then collects and checks that no
-- handle is active and no registry reference is left.
function fz.settle(what, cleanup)
  local passes = 0
  repeat
    passes = passes + 1
    if passes > 200000 then
      fail(what .. ": the loop does not settle after the sockets closed: " ..
           describe_handles(core.handles()))
    end
    local closed = cleanup and cleanup()
    fz.run()
  until not closed and not core.alive()
  for _ = 1, 3 do
    collectgarbage()
    fz.run()                       -- close callbacks of collected handles
  end
  local left = core.handles()
  if next(left) then
    fail(what .. ": handles left active: " .. describe_handles(left))
  end
  local refs = registry_refs()
  if refs > baseline then
    fail(string.format("%s: %d registry references left behind",
                       what, refs - baseline))
  end
end


-- Closes every socket of 'socks' still open, and what callbacks open
-- meanwhile, until the loop settles ('what' names the moment).
function fz.close_all(what, socks)
  fz.settle(what, function()
    local any = false
    for _, s in ipairs(socks) do
      if not s._closed then
        any = true
        fz.call("close", s.close, s)
      end
    end
    return any
  end)
end

return fz
