-- ludp.inspect: the one value printer. The REPL prints values with it,
-- and the host's report of an uncaught error prints an error value that is
-- not a string with it.
--
--   local inspect = require("ludp.inspect")
--   inspect.value({ 1, x = "a\n" })  --> { 1, x = "a\n" }
--   inspect.quote("a\tb")            --> "a\tb" (a Lua literal)
--
-- It needs no terminal and no loop: specs test it under stock lua5.4.

local inspect = {}

local type, tostring, next, rawget, getmetatable, pcall =
  type, tostring, next, rawget, getmetatable, pcall
local sfmt, concat, sort = string.format, table.concat, table.sort

-- Lua's reserved words: never a bare key (`["end"] = 1`), and offered by
-- completion (ludp.complete) with the globals.
inspect.KEYWORDS = {
  "and", "break", "do", "else", "elseif", "end", "false", "for",
  "function", "goto", "if", "in", "local", "nil", "not", "or", "repeat",
  "return", "then", "true", "until", "while",
}
local is_keyword = {}
for _, k in ipairs(inspect.KEYWORDS) do is_keyword[k] = true end

-- Whether 'k' is a name: a key that prints bare (`x = 1`), and a field
-- that completion offers.
local function is_identifier(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil
         and not is_keyword[k]
end
inspect.is_identifier = is_identifier

local WIDTH = 72        -- a table fitting in this many columns stays on one line
local BREAK = 80        -- the columns an array's items are grouped into
local MAX_COLUMNS = 12  -- items per row at most (Node: 4 * compact, 3)
local MAX_DEPTH = 5     -- deeper tables print as {...}
local MAX_ITEMS = 100   -- items shown per table

local escapes = {
  ["\a"] = "\\a", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
  ["\r"] = "\\r", ["\t"] = "\\t", ["\v"] = "\\v", ["\\"] = "\\\\",
  ['"'] = '\\"',
}

-- A string as a Lua literal that reads back as the same bytes. Valid UTF-8
-- stays readable; control bytes (and other bytes when the string is not
-- UTF-8) become escapes.
function inspect.quote(s)
  local pattern = utf8.len(s) and '([%c"\\])(%d?)' or '([%c"\\\128-\255])(%d?)'
  return '"' .. s:gsub(pattern, function(c, digit)
    local e = escapes[c]
    if not e then
      e = digit ~= "" and sfmt("\\%03d", c:byte()) or "\\" .. c:byte()
    end
    return e .. digit
  end) .. '"'
end

-- ludp.errors objects, known without loading the module under stock lua.
local function is_error_object(v)
  local ok, errors = pcall(require, "ludp.errors")
  return ok and errors.is_error(v)
end

-- Fields of an error object worth showing after "<name> [<code>]: msg".
local ERROR_FIELDS = { "errno", "syscall", "address", "port", "hostname",
                       "dest", "info" }

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

local function safe_tostring(v)
  local ok, s = pcall(tostring, v)
  if ok and type(s) == "string" then return s end
  return sfmt("<%s: __tostring failed>", type(v))
end

-- The order of a table's keys: numbers first, then by type; numbers and
-- strings by value, other keys by their strings, made once each before
-- the sort (safe_tostring: a __tostring that raises, or answers
-- differently each time, must not stop the printing of an uncaught
-- error).
local function key_order(names)
  return function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then
      if ta == "number" then return true end
      if tb == "number" then return false end
      return ta < tb
    end
    if ta == "number" or ta == "string" then return a < b end
    return names[a] < names[b]
  end
end

-- Finds the tables that contain themselves (cycles), within MAX_DEPTH, and
-- numbers them in the order met: they print as <1>{ ... } and the inner
-- references as <cycle 1>.
local function find_cycles(root)
  local ids, n, path = {}, 0, {}
  local function walk(t, depth)
    if path[t] then
      if not ids[t] then n = n + 1; ids[t] = n end
      return
    end
    if depth > MAX_DEPTH or has_tostring(t) then return end
    path[t] = true
    for k, v in next, t do
      if type(k) == "table" then walk(k, depth + 1) end
      if type(v) == "table" then walk(v, depth + 1) end
    end
    path[t] = nil
  end
  walk(root, 1)
  return ids
end

-- The columns a string takes (its UTF-8 characters; bytes if it is not).
local function width(s)
  return utf8.len(s) or #s
end

-- Node's groupArrayElements: the items of an array with more than 6,
-- short and of like widths, go into aligned columns, as many as make the
-- block roughly square (a character being about 2.5 times as high as
-- wide), within BREAK columns; numbers are aligned to the right. 'count'
-- items are grouped (a last "... (N more)" is not). Returns the rows, or
-- nil when the items are better one per line.
local function group_items(items, count, numbers, indent)
  local total, longest, lens = 0, 0, {}
  for i = 1, count do
    local len = width(items[i])
    lens[i] = len
    total = total + len + 2           -- 2: the separator ", "
    if len > longest then longest = len end
  end
  local max = longest + 2
  if not (max * 3 + indent < BREAK and (total / max > 5 or longest <= 6)) then
    return nil
  end
  local bias = math.sqrt(max - total / #items)
  local biased = math.max(max - 3 - bias, 1)
  local columns = math.min(
    math.floor(math.sqrt(2.5 * biased * count) / biased + 0.5),
    (BREAK - indent) // max, MAX_COLUMNS, 15)
  if columns <= 1 then return nil end
  local widths = {}
  for c = 1, columns do
    local w = 0
    for j = c, count, columns do
      if lens[j] > w then w = lens[j] end
    end
    widths[c] = w + 2
  end
  local rows = {}
  for i = 1, count, columns do
    local last = math.min(i + columns - 1, count)
    local parts = {}
    for j = i, last do
      local s = j < last and items[j] .. ", " or items[j]
      local pad = widths[j - i + 1] - (j < last and 0 or 2) - width(s)
      if pad > 0 and (numbers or j < last) then
        s = numbers and (" "):rep(pad) .. s or s .. (" "):rep(pad)
      end
      parts[#parts + 1] = s
    end
    rows[#rows + 1] = concat(parts)
  end
  for i = count + 1, #items do rows[#rows + 1] = items[i] end
  return rows
end

-- Whether a table is an array of numbers only (aligned to the right).
local function numbers_only(t, n, others)
  if others > 0 then return false end
  for i = 1, n do
    if type(rawget(t, i)) ~= "number" then return false end
  end
  return true
end

local render

local function render_table(t, st, depth, indent)
  if st.path[t] then return sfmt("<cycle %d>", st.ids[t] or 0) end
  local mt = getmetatable(t)
  local name = type(mt) == "table" and type(rawget(mt, "__name")) == "string"
               and rawget(mt, "__name") .. " " or ""
  local mark = st.ids[t] and sfmt("<%d>", st.ids[t]) or ""
  if next(t) == nil then return mark .. name .. "{}" end
  if depth > MAX_DEPTH then return mark .. name .. "{...}" end
  st.path[t] = true
  local items, count, n = {}, 0, 0
  local inner = indent .. "  "
  while rawget(t, n + 1) ~= nil do n = n + 1 end
  for i = 1, n do
    count = count + 1
    if count > MAX_ITEMS then break end
    items[#items + 1] = render(rawget(t, i), st, depth + 1, inner)
  end
  local keys, names = {}, {}
  for k in next, t do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      keys[#keys + 1] = k
      local tk = type(k)
      if tk ~= "number" and tk ~= "string" then names[k] = safe_tostring(k) end
    end
  end
  sort(keys, key_order(names))
  for _, k in ipairs(keys) do
    count = count + 1
    if count > MAX_ITEMS then break end
    local ks
    if is_identifier(k) then
      ks = k
    elseif type(k) == "table" then
      ks = "[" .. (st.path[k] and sfmt("<cycle %d>", st.ids[k] or 0)
                  or names[k]) .. "]"
    else
      ks = "[" .. render(k, st, depth + 1, inner) .. "]"
    end
    items[#items + 1] = ks .. " = " .. render(rawget(t, k), st, depth + 1, inner)
  end
  local shown = #items
  if n + #keys > MAX_ITEMS then     -- every item counted, not those shown
    items[#items + 1] = sfmt("... (%d more)", n + #keys - MAX_ITEMS)
  end
  st.path[t] = nil
  local prefix = mark .. name
  local rows = n > 0 and #items > 6
               and group_items(items, shown, numbers_only(t, n, #keys), #indent)
  if rows then
    items = rows
  else
    local one = prefix .. "{ " .. concat(items, ", ") .. " }"
    if #one + #indent <= WIDTH and not one:find("\n", 1, true) then
      return one
    end
  end
  return prefix .. "{\n" .. inner .. concat(items, ",\n" .. inner) .. "\n"
         .. indent .. "}"
end

-- An error object: "<name> [<code>]: <message>", then its system fields.
local function render_error(e, st, depth, indent)
  local extra = {}
  for _, k in ipairs(ERROR_FIELDS) do
    local v = rawget(e, k)
    if v ~= nil then
      extra[#extra + 1] = k .. " = " .. render(v, st, depth + 1, indent)
    end
  end
  local s = safe_tostring(e)
  if #extra > 0 then s = s .. " { " .. concat(extra, ", ") .. " }" end
  return s
end

function render(v, st, depth, indent)
  local t = type(v)
  if t == "string" then return inspect.quote(v) end
  if t == "table" then
    if is_error_object(v) then return render_error(v, st, depth, indent) end
    if has_tostring(v) then return safe_tostring(v) end
    return render_table(v, st, depth, indent)
  end
  return safe_tostring(v)
end

-- The readable form of a value: strings quoted and escaped, tables
-- pretty-printed with nesting and cycle marks, objects with __tostring
-- (sockets: Socket<udp4 0.0.0.0:41234 bound>) through it, error objects
-- with their code.
function inspect.value(v)
  local ids = type(v) == "table" and find_cycles(v) or {}
  return render(v, { ids = ids, path = {} }, 1, "")
end

return inspect
