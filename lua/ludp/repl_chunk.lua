-- ludp.repl_chunk: how the REPL compiles what was typed, and the session's
-- variables it runs with.
--
--   local session = require("ludp.repl_chunk").session()
--   local f, err, incomplete = session:compile("t = {}; t.x = 1; t")
--   f()                                   --> { x = 1 }
--
-- A chunk is tried as an expression first (`return <chunk>`), then as
-- statements. Statements that end with an expression, after a `;` or a
-- new line (`t = {}; t.x = 1; t`), give its values, as Node's REPL prints
-- the value of the last statement.
--
-- `local` at the top level of a chunk declares a variable of the session:
-- it stays visible on the next lines, as `let` does in Node's REPL. Such a
-- statement is rewritten into an assignment to the session's variables,
-- which live in the environment (_ENV) the chunks run in, in front of the
-- globals: `local x = 1` sets the session's x, which hides a global x from
-- the prompt's code; any other name read or assigned is a global. What is
-- lost is what a local is beyond its scope: <const> and <close> are
-- dropped (a <close> variable is not closed), and a session variable set
-- to nil shows the global of its name again.
--
-- It needs no terminal and no loop: specs test it under stock lua5.4.

local repl_chunk = {}

local load, rawset, setmetatable = load, rawset, setmetatable
local concat = table.concat

-- Blocks opened and closed by keywords: 'while' and 'for' open theirs
-- with 'do', 'elseif' and 'else' stay in the block 'if' opened.
local OPENS = { ["function"] = true, ["do"] = true, ["if"] = true,
                ["repeat"] = true }
local CLOSES = { ["end"] = true, ["until"] = true }

-- The tokens of 'src' that matter here, each { kind, first, last, text,
-- depth }: names (keywords included), symbols, and "nl" for the end of a
-- line; strings, numbers and comments are skipped. depth: how many blocks
-- are open before the token. nil when a string or comment is not finished.
local function tokens(src)
  local list, i, n, depth = {}, 1, #src, 0
  local function add(kind, first, last)
    local text = src:sub(first, last)
    list[#list + 1] = { kind = kind, first = first, last = last,
                        text = text, depth = depth }
    if kind == "name" then
      if OPENS[text] then depth = depth + 1 end
      if CLOSES[text] and depth > 0 then
        depth = depth - 1
        list[#list].depth = depth
      end
    end
  end
  local function long_bracket(at)         -- [==[ ... ]==] from 'at'
    local level = src:match("^%[(=*)%[", at)
    local _, last = src:find("]" .. level .. "]", at, true)
    return last
  end
  while i <= n do
    local c = src:sub(i, i)
    if c:find("%s") then
      local _, last = src:find("^%s+", i)
      if src:find("\n", i, true) and src:find("\n", i, true) <= last then
        add("nl", i, last)
      end
      i = last + 1
    elseif src:find("^%-%-", i) then
      if src:find("^%-%-%[=*%[", i) then
        local last = long_bracket(i + 2)
        if not last then return nil end
        i = last + 1
      else
        i = src:find("\n", i, true) or n + 1
      end
    elseif src:find("^%[=*%[", i) then
      local last = long_bracket(i)
      if not last then return nil end
      i = last + 1
    elseif c == '"' or c == "'" then
      local j = i + 1
      while true do
        local d = src:sub(j, j)
        if d == "" or d == "\n" then return nil end
        if d == c then break end
        j = j + (d == "\\" and 2 or 1)
      end
      i = j + 1
    elseif c:find("[%a_]") then
      local _, last = src:find("^[%w_]+", i)
      add("name", i, last)
      i = last + 1
    elseif c:find("%d") or src:find("^%.%d", i) then
      local _, last = src:find("^[%w%.]+", i)
      while src:find("^[eEpP][%+%-]", last) do  -- an exponent's sign
        _, last = src:find("^[%w%.]+", last + 2)
        if not last then return nil end
      end
      i = last + 1
    else
      add("symbol", i, i)
      i = i + 1
    end
  end
  return list
end

local function is_name(tok)
  return tok and tok.kind == "name" and tok.text:find("^[%a_][%w_]*$")
end

-- 'src' with its top-level locals turned into assignments, and the names
-- they declare; nil when there are none (or the chunk cannot be read).
local function rewrite_locals(src)
  local list = tokens(src)
  if not list then return nil end
  local edits, names = {}, {}
  for k, tok in ipairs(list) do
    if tok.kind == "name" and tok.text == "local" and tok.depth == 0 then
      local nxt = list[k + 1]
      if nxt and nxt.text == "function" then
        if not is_name(list[k + 2]) then return nil end
        edits[#edits + 1] = { tok.first, nxt.first - 1, "" }
        names[#names + 1] = list[k + 2].text
      else
        local j, last = k + 1, nil
        while is_name(list[j]) do
          names[#names + 1] = list[j].text
          last = list[j].last
          j = j + 1
          if list[j] and list[j].text == "<" then    -- <const>, <close>
            local close = list[j + 2]
            if not (is_name(list[j + 1]) and close and close.text == ">") then
              return nil
            end
            edits[#edits + 1] = { list[j].first, close.last, "" }
            j = j + 3
          end
          if not (list[j] and list[j].text == ",") then break end
          j = j + 1
        end
        if not last then return nil end
        edits[#edits + 1] = { tok.first, tok.last, "" }
        local eq = list[j]
        if not (eq and eq.text == "=" and
                not (list[j + 1] and list[j + 1].first == eq.last + 1
                     and list[j + 1].text == "=")) then
          edits[#edits + 1] = { last + 1, last, " = nil" }
        end
      end
    end
  end
  if #names == 0 then return nil end
  table.sort(edits, function(a, b) return a[1] < b[1] end)
  local parts, at = {}, 1
  for _, e in ipairs(edits) do
    parts[#parts + 1] = src:sub(at, e[1] - 1)
    parts[#parts + 1] = e[3]
    at = e[2] + 1
  end
  parts[#parts + 1] = src:sub(at)
  return concat(parts), names
end

-- How many places, from the end, a chunk is tried split at: enough for a
-- line, few enough that a long paste compiles a few times only.
local MAX_SPLITS = 8

-- 'src' (statements) with its last statement returned, if one after a
-- top-level ';' or new line compiles so.
local function with_trailing_value(src, env)
  local list = tokens(src)
  if not list then return nil end
  local tries = 0
  for k = #list, 1, -1 do
    local tok = list[k]
    if tok.depth == 0 and (tok.kind == "nl" or tok.text == ";")
       and k < #list then
      local f = load(src:sub(1, tok.last) .. " return " ..
                     src:sub(tok.last + 1), "=stdin", "t", env)
      if f then return f end
      tries = tries + 1
      if tries == MAX_SPLITS then break end
    end
  end
  return nil
end

local Session = {}
Session.__index = Session

-- A session: its variables, in front of 'globals' (default _G).
function repl_chunk.session(globals)
  globals = globals or _G
  local declared = {}
  local env = setmetatable({}, {
    __index = globals,
    __newindex = function(t, k, v)
      if declared[k] then rawset(t, k, v) else globals[k] = v end
    end,
  })
  return setmetatable({ env = env, declared = declared, globals = globals },
                      Session)
end

-- Compiles what was typed: f, or nil and the compiler's message, and
-- whether the chunk is only unfinished (it ends early: <eof>).
function Session:compile(chunk)
  local env = self.env
  local f, e1 = load("return " .. chunk, "=stdin", "t", env)
  if f then return f end
  local code, names = rewrite_locals(chunk)
  if code then
    f = with_trailing_value(code, env) or load(code, "=stdin", "t", env)
    if f then
      for _, name in ipairs(names) do self.declared[name] = true end
      return f
    end
  end
  local e2
  f, e2 = load(chunk, "=stdin", "t", env)
  f = with_trailing_value(chunk, env) or f
  if f then return f end
  return nil, e2, e2:sub(-5) == "<eof>" or e1:sub(-5) == "<eof>"
end

-- Exposed for the specs.
repl_chunk._tokens, repl_chunk._rewrite_locals = tokens, rewrite_locals

return repl_chunk
