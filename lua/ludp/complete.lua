-- ludp.complete: what Tab offers at the REPL's prompt.
--
--   require("ludp.complete").candidates("sock:se", _G) --> { "send", ... }
--
-- Candidates are found by looking only (rawget and the __index tables of
-- metatables, never an __index function), so completing has no side
-- effects. It needs no terminal: specs test it under stock lua5.4.

local inspect = require("ludp.inspect")

local complete = {}

local type, pairs, next, rawget, getmetatable =
  type, pairs, next, rawget, getmetatable
local sort = table.sort

-- Completion offers the names that print bare as keys (ludp.inspect).
local is_identifier = inspect.is_identifier

-- A class (events.lua's): a table that is its instances' __index.
local function is_class(t)
  return type(t) == "table" and rawget(t, "__index") == t
end

-- What a class holds to make instances, not for its instances to use.
local CLASS_ONLY = { new = true, extend = true, init = true }

-- Names visible on 'v': its own fields (a table) and those of the tables
-- its metatables' __index chain leads to (a class, its parent...). What an
-- object (a socket, process) inherits is its methods, as in Node: not the
-- class's own fields (new, extend, init, the classes it names, statics
-- such as defaultMaxListeners); a class itself shows them all.
local function collect(v, into, methods_only)
  local seen = {}
  local function add(t, inherited)
    if type(t) ~= "table" or seen[t] then return end
    seen[t] = true
    for k, f in next, t do
      if type(k) == "string" and is_identifier(k) then
        local callable = type(f) == "function"
          or (type(getmetatable(f)) == "table"
              and rawget(getmetatable(f), "__call") ~= nil)
        local wanted = callable or not (methods_only or inherited)
        if inherited and (CLASS_ONLY[k] or is_class(f)) then wanted = false end
        if wanted then into[k] = true end
      end
    end
  end
  add(v, false)
  local object = not is_class(v)
  local cur = v
  for _ = 1, 16 do
    local mt = getmetatable(cur)
    if type(mt) ~= "table" then break end
    local idx = rawget(mt, "__index")
    if type(idx) ~= "table" then break end
    add(idx, object and is_class(idx))
    cur = idx
  end
end

-- v[k] without calling __index functions (completion has no side effects).
local function peek(v, k)
  for _ = 1, 16 do
    if type(v) == "table" then
      local r = rawget(v, k)
      if r ~= nil then return r end
    end
    local mt = getmetatable(v)
    local idx = type(mt) == "table" and rawget(mt, "__index") or nil
    if type(idx) ~= "table" then return nil end
    v = idx
  end
  return nil
end

-- Completion candidates for the text before the cursor: globals and
-- keywords for a bare name, fields after '.', methods after ':' (from the
-- object's class chain: `sock:` lists the socket's methods). Names starting
-- with '_' only when the typed prefix does. Sorted, unique.
function complete.candidates(before, env)
  env = env or _G
  local _, quotes = before:gsub('\\.', ""):gsub('["\']', "")
  if quotes % 2 == 1 then return {} end         -- inside a string
  -- the name (and its '.'/':' path) that ends the text: found from the end
  -- (an unanchored "[%w_%.:]*$" tries every start: quadratic in a long line)
  local expr = before:reverse():match("^[%w_%.:]*"):reverse()
  local names, prefix = {}, expr
  local base, sep, last = expr:match("^(.*)([%.:])([%w_]*)$")
  if base then
    prefix = last
    if base == "" or base:find(":", 1, true) or base:match("^%d") then
      return {}
    end
    local v = env
    for part in (base .. "."):gmatch("([^.]*)%.") do
      if not is_identifier(part) then return {} end
      v = peek(v, part)
      if v == nil then return {} end
    end
    if type(v) == "string" then v = string end
    collect(v, names, sep == ":")
  else
    if prefix:match("^%d") then return {} end
    collect(env, names, false)
    for _, k in ipairs(inspect.KEYWORDS) do names[k] = true end
  end
  local list = {}
  local hidden = prefix:sub(1, 1) ~= "_"
  for k in pairs(names) do
    if k:sub(1, #prefix) == prefix and not (hidden and k:sub(1, 1) == "_") then
      list[#list + 1] = k
    end
  end
  sort(list)
  return list
end

return complete
