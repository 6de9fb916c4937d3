---@meta dns
-- Lua language server (LuaLS) definitions for require("dns"): Node's
-- dns.lookup on the system's resolver (getaddrinfo).

local dns = {}

---getaddrinfo's AI_ADDRCONFIG, AI_V4MAPPED, AI_ALL, for options.hints.
dns.ADDRCONFIG = 0
dns.V4MAPPED = 0
dns.ALL = 0

---@class dns.LookupOptions
---@field family? 0|4|6|"IPv4"|"IPv6"
---@field all? boolean every address: callback(err, { {address=, family=}, ... })
---@field hints? integer
---@field verbatim? boolean false: IPv4 addresses first
---@field order? "verbatim"|"ipv4first"|"ipv6first"

---Resolves `hostname`; the callback runs later, never inside the call.
---@param hostname string?
---@param options integer|dns.LookupOptions|fun(err: table?, address: string?, family: integer?)
---@param callback? fun(err: table?, address: string|table?, family: integer?)
function dns.lookup(hostname, options, callback) end

return dns
