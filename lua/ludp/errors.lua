-- Error objects as in Node.js: tables with name, code, message and stack.
--
-- Misuse raises them with error(err, 0); failures of the operating system
-- (negative libuv codes) become SystemErrors carrying errno and syscall, and
-- go to a callback or an 'error' event instead.

local core = require("ludp.core")

local errors = {}

local Error = {}
Error.__index = Error
Error.__name = "ludp.Error"
errors.Error = Error

function Error.__tostring(e)
  return string.format("%s [%s]: %s", e.name, e.code, e.message)
end

-- Makes an error object; its stack starts at 'level' (1: the caller).
function errors.new(name, code, message, level)
  local e = setmetatable({ name = name, code = code, message = message }, Error)
  e.stack = tostring(e) .. "\n" .. debug.traceback("", (level or 1) + 1):sub(2)
  return e
end

function errors.is_error(v)
  return getmetatable(v) == Error
end

-- Raises at the caller's caller: the user's line, not ours.
function errors.raise(name, code, message)
  error(errors.new(name, code, message, 2), 0)
end

function errors.type_error(code, message)
  errors.raise("TypeError", code, message)
end

function errors.range_error(code, message)
  errors.raise("RangeError", code, message)
end

-- tostring(v) for a message, or nil when v's __tostring raises or gives
-- no string: a value's own code must not replace the error being built.
function errors.tostring(v)
  local ok, s = pcall(tostring, v)
  if ok and type(s) == "string" then return s end
  return nil
end

-- How a message shows a value it received, as Node's do: 'nil', 'type
-- number (5)', 'type string ("x")', 'an instance of Socket' (a table or
-- userdata whose metatable has a __name), 'the class Socket' (a table
-- that is its own __index, as classes are), 'type table'. No __tostring
-- or __index of the value runs.
function errors.received(v)
  local t = type(v)
  if t == "nil" then return "nil" end
  if t == "string" then return string.format("type string (%q)", v) end
  if t == "number" or t == "boolean" then
    return "type " .. t .. " (" .. (errors.tostring(v) or "?") .. ")"
  end
  if t == "table" and rawget(v, "__index") == v
     and type(rawget(v, "__name")) == "string" then
    return "the class " .. rawget(v, "__name")
  end
  local mt = getmetatable(v)
  if type(mt) == "table" and type(rawget(mt, "__name")) == "string" then
    return "an instance of " .. rawget(mt, "__name")
  end
  return "type " .. t
end

-- ERR_INVALID_ARG_TYPE for a method called on the wrong receiver (with a
-- dot, on the class, on another object), in Node's words for a 'this'
-- that is not what it must be: 'The "this" argument must be an instance
-- of Socket. Received type number (5)'. 'shown' replaces the received
-- part where received(value) would mislead.
function errors.invalid_this(expected, value, shown)
  errors.raise("TypeError", "ERR_INVALID_ARG_TYPE", string.format(
    'The "this" argument must be %s. Received %s', expected,
    shown or errors.received(value)))
end

-- ERR_INVALID_ARG_VALUE, Node's form: "The argument 'name' must be a
-- string without null bytes. Received "a\0b"" ('property' for a dotted
-- name; the value quoted the Lua way, cut at 128 characters).
function errors.invalid_value(name, value, reason)
  local shown = type(value) == "string" and string.format("%q", value)
                or errors.received(value)
  if #shown > 128 then shown = shown:sub(1, 128) .. "..." end
  errors.raise("TypeError", "ERR_INVALID_ARG_VALUE", string.format(
    "The %s '%s' %s. Received %s",
    name:find(".", 1, true) and "property" or "argument", name, reason, shown))
end

-- ERR_INVALID_ARG_TYPE for argument 'what' that should be 'expected'.
function errors.arg_type(what, expected, value)
  local got = type(value)
  if got == "string" then
    got = string.format("type string (%q)", value)
  elseif got == "number" then
    got = "type number (" .. tostring(value) .. ")"
  elseif got == "nil" then
    got = "nil"
  else
    got = "type " .. got
  end
  errors.raise("TypeError", "ERR_INVALID_ARG_TYPE", string.format(
    'The "%s" argument must be %s. Received %s', what, expected, got))
end

-- A SystemError from a negative libuv status, as Node's exceptionWithHostPort.
-- Fields: code ("EADDRINUSE"), errno (negative), syscall, address, port.
function errors.uv(status, syscall, address, port, extra)
  local code = core.errname(status)
  local msg = syscall .. " " .. code
  if address then
    msg = msg .. " " .. address .. (port and port ~= 0 and (":" .. port) or "")
  elseif extra then
    msg = msg .. " " .. extra
  end
  local e = errors.new("SystemError", code, msg, 2)
  e.errno, e.syscall, e.address, e.port = status, syscall, address, port
  if extra and not address then e.hostname = extra end
  return e
end

-- A failed name lookup, as Node's dnsException: EAI_NONAME and EAI_NODATA
-- become code "ENOTFOUND"; errno keeps the status. Fields: code, errno,
-- syscall ("getaddrinfo"), hostname.
function errors.dns(status, syscall, hostname)
  local code = core.errname(status)
  if code == "EAI_NONAME" or code == "EAI_NODATA" then code = "ENOTFOUND" end
  local msg = syscall .. " " .. code
  if hostname and hostname ~= "" then msg = msg .. " " .. hostname end
  local e = errors.new("SystemError", code, msg, 2)
  e.errno, e.syscall, e.hostname = status, syscall, hostname
  return e
end

return errors
