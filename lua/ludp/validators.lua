-- ludp.validators: the argument checks of dgram, as Node's
-- internal/validators: each raises the error Node raises (its code and
-- message) or returns the value in the form the binding takes.

local errors = require("ludp.errors")

local type, tostring, rawlen, rawget = type, tostring, rawlen, rawget
local tointeger, format, find = math.tointeger, string.format, string.find

-- The array of pieces the C binding takes in one datagram.
local MAX_PIECES = 64

-- Largest int (setsockopt's sizes, TTLs).
local INT_MAX = 0x7fffffff

local validators = { INT_MAX = INT_MAX }

-- How Node's messages show a received value: 'Received type number (7)'.
local received = errors.received

-- What differs between the socket types. A table is a Socket when
-- Socket.init gave it one of these as its _kind: so the class itself, a
-- table made by hand or any other value is not.
local KINDS = {
  udp4 = { fam = 4, family = "IPv4", any = "0.0.0.0", loopback = "127.0.0.1" },
  udp6 = { fam = 6, family = "IPv6", any = "::", loopback = "::1" },
  unix = { unix = true, family = "unix" },   -- ludp/unix_socket.lua
}
local UDP4, UDP6, UNIX = KINDS.udp4, KINDS.udp6, KINDS.unix

-- Truth as JavaScript sees it, for the argument forms copied from Node:
-- 0 and "" are false there.
local function truthy(v)
  return v ~= nil and v ~= false and v ~= 0 and v ~= "" and v == v
end

-- A port: an integer in 0..65535 (1..65535 unless allow_zero), else
-- ERR_SOCKET_BAD_PORT as Node's validatePort. Returns it as an integer.
-- A string of decimal digits counts as its number, as in Node (scripts
-- take ports from 'arg', which holds strings).
local function check_port(port, allow_zero)
  local p
  if type(port) == "number" then
    p = tointeger(port)
  elseif type(port) == "string" and find(port, "^%d+$") then
    p = tointeger(tonumber(port))
  end
  if p == nil or p < 0 or p > 65535 or (p == 0 and not allow_zero) then
    errors.range_error("ERR_SOCKET_BAD_PORT", format(
      "Port should be %s and < 65536. Received %s.",
      allow_zero and ">= 0" or "> 0", received(port)))
  end
  return p
end

-- nil, or a string (an address or an interface).
local function check_opt_string(v, name)
  if v ~= nil and type(v) ~= "string" then
    errors.arg_type(name, "of type string", v)
  end
end

-- An integer argument (offset, length, fd), with Node's codes.
local function check_integer(v, name)
  if type(v) ~= "number" then errors.arg_type(name, "of type number", v) end
  local i = tointeger(v)
  if i == nil then
    errors.range_error("ERR_OUT_OF_RANGE", format('The value of "%s" is ' ..
      "out of range. It must be an integer. Received %s", name, tostring(v)))
  end
  return i
end

-- A boolean option of a setter; numbers count as in Node (0 is false).
local function check_flag(v, name)
  if v == nil or v == false then return false end
  if v == true then return true end
  if type(v) == "number" then return v ~= 0 end
  errors.arg_type(name, "of type boolean", v)
end

-- A buffer size: an integer in 1..2^32-1, as Node's `size >>> 0 === size`
-- without its 0 (which would read instead of set).
local function check_buffer_size(size)
  local n = type(size) == "number" and tointeger(size) or nil
  if n == nil or n < 1 or n > 0xffffffff then
    errors.type_error("ERR_SOCKET_BAD_BUFFER_SIZE",
                      "Buffer size must be a positive integer")
  end
  return n
end

local function not_running()
  errors.raise("Error", "ERR_SOCKET_DGRAM_NOT_RUNNING", "Not running")
end

-- The receiver of a Socket method (sock.bind(0), dgram.Socket:bind(0)
-- would index a number or the class): refused as Node refuses a wrong
-- 'this'. Raw, so that no metamethod of a foreign table runs. A unix
-- socket only where 'unix_too' says (ludp/unix_socket.lua, and the
-- options both types have): a method of IP sockets called on one by hand
-- would reach for what its binding does not have.
local function check_any_socket(self, unix_too)
  if type(self) ~= "table" then
    errors.invalid_this("an instance of Socket", self)
  end
  local kind = rawget(self, "_kind")
  if kind == UNIX and unix_too ~= false then return end
  if kind ~= UDP4 and kind ~= UDP6 then
    if kind == UNIX then
      errors.type_error("ERR_SOCKET_BAD_TYPE",
                        "This method is not supported by a socket of type unix")
    end
    local shown = received(self)
    if shown == "an instance of Socket" then -- its metatable, no more
      shown = "a table that Socket.new did not make"
    end
    errors.invalid_this("an instance of Socket", self, shown)
  end
end

local function check_socket(self)
  check_any_socket(self, false)
end

-- What every method of Socket checks first: the receiver, then that the
-- socket is open.
local function check_running(self)
  check_any_socket(self, false)
  if self._closed then not_running() end
end

local function check_any_running(self)
  check_any_socket(self)
  if self._closed then not_running() end
end

-- A string the binding hands to C, where a NUL would end it early (an
-- interface "lo\0x" would be taken as "lo"): refused, as Node refuses
-- NULs in the strings it hands to the system.
local function check_no_nul(s, name)
  if find(s, "\0", 1, true) then
    errors.invalid_value(name, s, "must be a string without null bytes")
  end
end

-- Raises the SystemError of a failed call of the binding.
local function raise_uv(status, syscall)
  error(errors.uv(status, syscall), 0)
end

-- The message as one string or an array of strings for the binding: the
-- array is checked here, so the binding never raises.
local function check_message(msg)
  if type(msg) == "string" then return msg end
  if type(msg) ~= "table" then
    errors.arg_type("buffer", "of type string or an array of strings", msg)
  end
  -- Raw, as the binding reads the pieces: a __len or __index cannot
  -- make it send something other than what was checked.
  local n = rawlen(msg)
  for i = 1, n do
    local piece = rawget(msg, i)
    if type(piece) ~= "string" then
      errors.arg_type("buffer list arguments", "of type string", piece)
    end
  end
  if n == 0 then return "" end
  if n == 1 then return rawget(msg, 1) end
  if n > MAX_PIECES then return table.concat(msg, "", 1, n) end
  return msg
end

-- msg:sub for send(msg, offset, length, ...): offset counts bytes from 0.
local function slice(msg, offset, length)
  if type(msg) ~= "string" then
    errors.arg_type("buffer", "of type string", msg)
  end
  offset = check_integer(offset, "offset")
  length = check_integer(length, "length")
  local n = #msg
  if offset < 0 or offset > n then
    errors.range_error("ERR_BUFFER_OUT_OF_BOUNDS",
                       '"offset" is outside of buffer bounds')
  end
  if length < 0 or length > n - offset then
    errors.range_error("ERR_BUFFER_OUT_OF_BOUNDS",
                       '"length" is outside of buffer bounds')
  end
  if offset == 0 and length == n then return msg end
  return msg:sub(offset + 1, offset + length)
end

-- A TTL for the binding: libuv checks the range, so anything that is not
-- an int goes down as -1 and comes back EINVAL, as out-of-range values do.
local function ttl_value(ttl)
  if type(ttl) ~= "number" then errors.arg_type("ttl", "of type number", ttl) end
  local v = tointeger(ttl)
  if v == nil or v < -INT_MAX or v > INT_MAX then v = -1 end
  return v
end

validators.received = received
validators.KINDS = KINDS
validators.check_socket = check_socket
validators.check_any_socket = check_any_socket
validators.check_any_running = check_any_running
validators.check_no_nul = check_no_nul
validators.truthy = truthy
validators.check_port = check_port
validators.check_opt_string = check_opt_string
validators.check_integer = check_integer
validators.check_flag = check_flag
validators.check_buffer_size = check_buffer_size
validators.not_running = not_running
validators.check_running = check_running
validators.raise_uv = raise_uv
validators.check_message = check_message
validators.slice = slice
validators.ttl_value = ttl_value

return validators
