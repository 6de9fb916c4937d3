-- dns: Node's dns.lookup, on libuv's getaddrinfo (src/dns.c): the
-- system's resolver, /etc/hosts included, in the thread pool.
--
--   local dns = require("dns")
--   dns.lookup("localhost", { family = 4 }, function(err, address, family)
--     print(address, family)              --> 127.0.0.1  4
--   end)
--
-- As in Node, the callback never runs inside the call: an IP literal or
-- an empty name answers on the next tick, a name when the resolver does.
-- Sockets' default lookup is dns.lookup (dgram.lua answers a literal
-- itself, without the tick, as nothing a user sees depends on it there).

local core = require("ludp.core")
local errors = require("ludp.errors")

local isip = core.isip

local dns = {
  ADDRCONFIG = core.AI_ADDRCONFIG,
  V4MAPPED = core.AI_V4MAPPED,
  ALL = core.AI_ALL,
}

local ALL_HINTS = dns.ADDRCONFIG | dns.V4MAPPED | dns.ALL
local ORDERS = { verbatim = true, ipv4first = true, ipv6first = true }

local function check_family(v, name)
  if v == "IPv4" then return 4 end
  if v == "IPv6" then return 6 end
  if v ~= 0 and v ~= 4 and v ~= 6 then
    errors.invalid_value(name, v, "must be one of: 0, 4, 6")
  end
  return math.tointeger(v)
end

local function check_function(cb)
  if type(cb) ~= "function" then
    errors.arg_type("callback", "of type function", cb)
  end
end

-- Reads lookup's options as Node does: family, hints, all, verbatim,
-- order. Returns family, hints, all, order.
local function parse_options(options, cb)
  if type(options) == "function" then return 0, 0, false, "verbatim", options end
  if type(options) == "number" then
    check_function(cb)
    return check_family(options, "family"), 0, false, "verbatim", cb
  end
  if options ~= nil and type(options) ~= "table" then
    check_function(cb)
    errors.arg_type("options", "one of type integer or table", options)
  end
  check_function(cb)
  options = options or {}
  local family, hints, all, order = 0, 0, false, "verbatim"
  if options.hints ~= nil then
    local h = options.hints
    if type(h) ~= "number" then
      errors.arg_type("options.hints", "of type number", h)
    end
    if math.tointeger(h) == nil or h < 0 or (h & ~ALL_HINTS) ~= 0 then
      errors.invalid_value("hints", h, "is invalid")
    end
    hints = math.tointeger(h)
  end
  if options.family ~= nil then
    family = check_family(options.family, "options.family")
  end
  if options.all ~= nil then
    if type(options.all) ~= "boolean" then
      errors.arg_type("options.all", "of type boolean", options.all)
    end
    all = options.all
  end
  if options.verbatim ~= nil then
    if type(options.verbatim) ~= "boolean" then
      errors.arg_type("options.verbatim", "of type boolean", options.verbatim)
    end
    order = options.verbatim and "verbatim" or "ipv4first"
  end
  if options.order ~= nil then
    if not ORDERS[options.order] then
      errors.invalid_value("options.order", options.order,
                           "must be one of: 'ipv4first', 'ipv6first', 'verbatim'")
    end
    order = options.order
  end
  return family, hints, all, order, cb
end

-- The resolver's flat list { address, family, ... } as Node's records,
-- in the order asked ('verbatim': the resolver's own).
local function records(list, order)
  local out = {}
  for i = 1, #list, 2 do
    out[#out + 1] = { address = list[i], family = list[i + 1] }
  end
  if order ~= "verbatim" then
    local first = order == "ipv4first" and 4 or 6
    local a, b = {}, {}
    for _, r in ipairs(out) do
      local into = r.family == first and a or b
      into[#into + 1] = r
    end
    out = table.move(b, 1, #b, #a + 1, a)
  end
  return out
end

-- dns.lookup(hostname[, options], callback): callback(err, address,
-- family), or callback(err, { { address =, family = }, ... }) with
-- options.all. options may be a family number (0, 4, 6).
function dns.lookup(hostname, options, callback)
  if hostname ~= nil and type(hostname) ~= "string" then
    errors.arg_type("hostname", "of type string", hostname)
  end
  local family, hints, all, order, cb = parse_options(options, callback)
  if hostname == nil or hostname == "" then
    if all then
      core.next_tick(cb, nil, {})
    else
      core.next_tick(cb, nil, nil, family == 6 and 6 or 4)
    end
    return
  end
  local fam = isip(hostname)
  if fam ~= 0 then
    if all then
      core.next_tick(cb, nil, { { address = hostname, family = fam } })
    else
      core.next_tick(cb, nil, hostname, fam)
    end
    return
  end
  local r = core.getaddrinfo(hostname, family, function(status, list)
    if status ~= 0 then
      return cb(errors.dns(status, "getaddrinfo", hostname))
    end
    local found = records(list, order)
    if all then return cb(nil, found) end
    if found[1] == nil then
      return cb(errors.dns(core.errno.EAI_NONAME, "getaddrinfo", hostname))
    end
    cb(nil, found[1].address, found[1].family)
  end, hints)
  if r ~= 0 then
    core.next_tick(cb, errors.dns(r, "getaddrinfo", hostname))
  end
end

return dns
