-- ludp.socket_options: the options and plain queries of dgram's Socket,
-- each one call of the binding: the kernel's buffer sizes, broadcast,
-- TTLs, multicast loopback, interface and memberships; address() and the
-- send queue's size and count. install(Socket) adds the methods;
-- buffer_size_error is also what a bind reports for createSocket's
-- recvBufferSize and sendBufferSize.

local core = require("ludp.core")
local errors = require("ludp.errors")
local validators = require("ludp.validators")
local control = require("ludp.socket_control")

local type, format = type, string.format
local check_running, check_any_running, check_flag, check_opt_string,
      check_buffer_size, raise_uv, ttl_value, check_no_nul =
  validators.check_running, validators.check_any_running, validators.check_flag,
  validators.check_opt_string, validators.check_buffer_size,
  validators.raise_uv, validators.ttl_value, validators.check_no_nul
local INT_MAX = validators.INT_MAX
local UV_EINVAL = core.errno.EINVAL

local options = {}

local methods = {}

function methods:address()
  check_running(self)
  local status, address, port, family = self._handle:getsockname()
  if status ~= 0 then raise_uv(status, "getsockname") end
  return { address = address, family = family, port = port }
end

-- These and the buffer sizes are unix sockets' too (ludp/unix_socket.lua).
function methods:getSendQueueSize()
  check_any_running(self)
  local size = self._handle:send_queue()
  return size
end

function methods:getSendQueueCount()
  check_any_running(self)
  local _, count = self._handle:send_queue()
  return count
end

-- ERR_SOCKET_BUFFER_SIZE: a SystemError naming the libuv call, as Node's.
function options.buffer_size_error(status, which)
  local syscall = "uv_" .. which .. "_buffer_size"
  local code = core.errname(status)
  local info = { errno = status, code = code, message = core.strerror(status),
                 syscall = syscall }
  local e = errors.new("SystemError", "ERR_SOCKET_BUFFER_SIZE", format(
    "Could not get or set buffer size: %s returned %s (%s)", syscall, code,
    info.message), 3)
  e.info, e.errno, e.syscall = info, status, syscall
  return e
end

-- Gets (set false) or sets a buffer size of the kernel.
local function buffer_size(self, which, set, size)
  check_any_running(self)
  if set then
    size = check_buffer_size(size)
    if size > INT_MAX then             -- setsockopt takes an int
      error(options.buffer_size_error(UV_EINVAL, which), 0)
    end
  end
  local status, v = self._handle:buffer_size(which, size)
  if status ~= 0 then error(options.buffer_size_error(status, which), 0) end
  return v
end

function methods:setRecvBufferSize(size)
  buffer_size(self, "recv", true, size)
end

function methods:setSendBufferSize(size)
  buffer_size(self, "send", true, size)
end

function methods:getRecvBufferSize()
  return buffer_size(self, "recv", false)
end

function methods:getSendBufferSize()
  return buffer_size(self, "send", false)
end


-- ---------------------------------------------------------------- options

function methods:setBroadcast(flag)
  check_running(self)
  local r = self._handle:set_broadcast(check_flag(flag, "flag"))
  if r ~= 0 then raise_uv(r, "setBroadcast") end
end


function methods:setTTL(ttl)
  check_running(self)
  local r = self._handle:set_ttl(ttl_value(ttl))
  if r ~= 0 then raise_uv(r, "setTTL") end
  return ttl
end

function methods:setMulticastTTL(ttl)
  check_running(self)
  local r = self._handle:set_multicast_ttl(ttl_value(ttl))
  if r ~= 0 then raise_uv(r, "setMulticastTTL") end
  return ttl
end

function methods:setMulticastLoopback(flag)
  check_running(self)
  local r = self._handle:set_multicast_loop(check_flag(flag, "flag"))
  if r ~= 0 then raise_uv(r, "setMulticastLoopback") end
  return flag
end

function methods:setMulticastInterface(iface)
  check_running(self)
  if type(iface) ~= "string" then
    errors.arg_type("interfaceAddress", "of type string", iface)
  end
  check_no_nul(iface, "interfaceAddress")
  local r = self._handle:set_multicast_interface(iface)
  if r ~= 0 then raise_uv(r, "setMulticastInterface") end
end

local function membership(self, group, iface, join, syscall)
  check_running(self)
  if group == nil or group == false or group == "" then
    errors.type_error("ERR_MISSING_ARGS",
                      'The "multicastAddress" argument must be specified')
  end
  if type(group) ~= "string" then
    errors.arg_type("multicastAddress", "of type string", group)
  end
  check_opt_string(iface, "interfaceAddress")
  check_no_nul(group, "multicastAddress")
  if iface then check_no_nul(iface, "interfaceAddress") end
  local r = self._handle:set_membership(group, iface, join)
  if r ~= 0 then raise_uv(r, syscall) end
end

function methods:addMembership(group, iface)
  membership(self, group, iface, true, "addMembership")
end

function methods:dropMembership(group, iface)
  membership(self, group, iface, false, "dropMembership")
end

local function source_membership(self, source, group, iface, join, syscall)
  check_running(self)
  if type(source) ~= "string" then
    errors.arg_type("sourceAddress", "of type string", source)
  end
  if type(group) ~= "string" then
    errors.arg_type("groupAddress", "of type string", group)
  end
  check_opt_string(iface, "interfaceAddress")
  check_no_nul(source, "sourceAddress")
  check_no_nul(group, "groupAddress")
  if iface then check_no_nul(iface, "interfaceAddress") end
  local r = self._handle:set_source_membership(source, group, iface, join)
  if r ~= 0 then raise_uv(r, syscall) end
end

function methods:addSourceSpecificMembership(source, group, iface)
  source_membership(self, source, group, iface, true,
                    "addSourceSpecificMembership")
end

function methods:dropSourceSpecificMembership(source, group, iface)
  source_membership(self, source, group, iface, false,
                    "dropSourceSpecificMembership")
end

-- reusePort when createSocket does not say: true in a worker of
-- ludp --workers (set by ludp.host), so an unchanged script shares its
-- ports with the other workers.
options.default_reuse_port = false

-- createSocket's options beyond type, checked now rather than when bound
-- (Node throws from inside bind). Returns the lookup function (nil for
-- the default) and what the socket keeps as _opts: one field, and only
-- when needed (see Socket.init), so nil when no option needs keeping.
-- 'opts' is an empty table for a socket made from a type string.
function options.parse_create(opts)
  local lookup_fn
  if opts.lookup ~= nil then
    if type(opts.lookup) ~= "function" then
      errors.arg_type("lookup", "of type function", opts.lookup)
    end
    lookup_fn = opts.lookup
  end
  local sizes
  if opts.recvBufferSize ~= nil then
    sizes = { recv = check_buffer_size(opts.recvBufferSize) }
  end
  if opts.sendBufferSize ~= nil then
    sizes = sizes or {}
    sizes.send = check_buffer_size(opts.sendBufferSize)
  end
  local kept, reuse_port = nil, opts.reusePort
  if reuse_port == nil then reuse_port = options.default_reuse_port end
  if sizes or opts.reuseAddr or reuse_port or opts.ipv6Only then
    kept = { buffer_sizes = sizes, reuse_addr = not not opts.reuseAddr,
             reuse_port = not not reuse_port,
             ipv6_only = not not opts.ipv6Only }
  end
  return lookup_fn, control.parse_create(opts, kept)
end

-- Adds the methods above, and socket_control's, to Socket.
function options.install(Socket)
  for name, fn in pairs(methods) do Socket[name] = fn end
  control.install(Socket)
end

return options
