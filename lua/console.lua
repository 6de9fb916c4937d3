-- console: Node's console for Lua. log, info and debug write to
-- process.stdout, warn and error to process.stderr: never blocking the
-- loop, in order with process.stdout:write (ludp/stdio.lua).
--
--   console.log("%s got %d bytes", "server", 12, { port = 41234 })
--   --> server got 12 bytes { port = 41234 }
--
-- Arguments are joined by spaces: strings as they are, other values as
-- the REPL shows them (ludp.inspect, the one value printer). A first
-- argument that is a string is a format, as Node's util.format: %s %d %i
-- %f %j %o %O %c %%.

local stdio = require("ludp.stdio")

local console = {}

local select, type, tostring, tonumber = select, type, tostring, tonumber
local concat = table.concat

-- The value printer, loaded at its first use: console is a global of
-- every script, and most never print a table.
local function inspect_value(v)
  return require("ludp.inspect").value(v)
end

local function show(v)
  if type(v) == "string" then return v end
  return inspect_value(v)
end

-- %s: a string as it is, a number or boolean with tostring, a table with
-- its own __tostring through it, anything else as the REPL shows it.
local function as_string(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" or t == "boolean" or t == "nil" then return tostring(v) end
  local mt = getmetatable(v)
  if type(mt) == "table" and rawget(mt, "__tostring") then
    local ok, s = pcall(tostring, v)
    if ok and type(s) == "string" then return s end
  end
  return inspect_value(v)
end

-- %d and %i: an integer (%i cuts a float toward zero, as parseInt), %f:
-- a number; "NaN" for what is no number, as in Node.
local function as_number(v, spec)
  local n = type(v) == "number" and v or (type(v) == "string" and tonumber(v))
  if not n or n ~= n then return "NaN" end
  if n == math.huge or n == -math.huge then
    return n > 0 and "Infinity" or "-Infinity"
  end
  if spec == "i" or (spec == "d" and math.type(n) == "integer") then
    local i = math.tointeger(n < 0 and math.ceil(n) or math.floor(n))
    return i and tostring(i) or string.format("%.0f", n)
  end
  if math.type(n) == "float" and n == math.floor(n)
     and n > -2^53 and n < 2^53 then
    return tostring(math.tointeger(n))   -- 12.0 prints as 12, as in Node
  end
  return tostring(n)
end

-- %j: JSON through cjson where it can encode the value, else as shown.
local function as_json(v)
  local ok, cjson = pcall(require, "cjson.safe")
  if ok then
    local s = cjson.encode(v)
    if s then return s end
  end
  return inspect_value(v)
end

local SPECS = { s = as_string, j = as_json, o = inspect_value,
                O = inspect_value }

-- Node's util.format(...) -> the line console prints (no "\n").
function console.format(...)
  local n = select("#", ...)
  local args = { ... }
  local out, i = {}, 1
  local first = args[1]
  if type(first) == "string" and n > 1 and first:find("%", 1, true) then
    i = 2
    local text = first:gsub("%%([%%sdifjoOc])", function(spec)
      if spec == "%" then return "%" end
      if i > n then return nil end      -- no argument left: kept as is
      local v = args[i]
      i = i + 1
      if spec == "c" then return "" end  -- CSS in browsers: dropped
      local f = SPECS[spec]
      if f then return f(v) end
      return as_number(v, spec)
    end)
    out[1] = text
  end
  for k = i, n do out[#out + 1] = show(args[k]) end
  return concat(out, " ")
end

local function writer(stream)
  return function(...)
    stream:write(console.format(...) .. "\n")
  end
end

console.log = writer(stdio.stdout)
console.info = console.log
console.debug = console.log
console.error = writer(stdio.stderr)
console.warn = console.error

-- console.dir(v): v as the REPL shows it, strings quoted.
function console.dir(v)
  stdio.stdout:write(inspect_value(v) .. "\n")
end

-- console.assert(cond, ...): "Assertion failed" (and the rest, formatted)
-- on stderr when cond is false or nil; nothing is raised, as in Node.
function console.assert(cond, ...)
  if cond then return end
  if select("#", ...) == 0 then
    stdio.stderr:write("Assertion failed\n")
  else
    stdio.stderr:write("Assertion failed: " .. console.format(...) .. "\n")
  end
end

return console
