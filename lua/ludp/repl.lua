-- ludp.repl: the interactive prompt, on the running event loop.
--
--   require("ludp.repl").start({ progname = "ludp" }) -> exit status
--
-- start() registers the input watcher (ludp.replio, in C: libedit on a
-- terminal, plain lines otherwise) and runs the loop until the user leaves,
-- so sockets and timers keep working while the prompt waits. Each line
-- comes in through the loop's one protected call: nextTicks queued by a
-- line run right after it. A line is compiled by ludp.repl_chunk (an
-- expression first, then statements, with a last expression's value and
-- `local`s kept for the next lines); a chunk that ends early (`<eof>`)
-- continues on the next line, as in lua.c. An error thrown later by a
-- callback is printed and the REPL goes on.
--
-- Values are printed by ludp.inspect and Tab's candidates come from
-- ludp.complete; this module is the session that joins them to the
-- terminal.

local inspect = require("ludp.inspect")
local complete = require("ludp.complete")
local repl_chunk = require("ludp.repl_chunk")

local repl = {}

local type, tostring, rawget, getmetatable = type, tostring, rawget, getmetatable
local sfmt, concat = string.format, table.concat

-- Whether an error value has a text of its own (error objects do).
local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

local HELP = [[
.break   Abandon the multi-line input in progress
.exit    Leave the REPL (also Ctrl-D on an empty line, or os.exit())
.help    Show this list of commands
.load    Run a Lua file in this session: .load FILE
Lines are tried as expressions first (their values are printed), then as
statements (a last expression's values are printed: t = {}; t.x = 1; t).
`local x = 1` keeps x for the next lines. `_` holds the last value. Ctrl-C
cancels the line, or interrupts a running one. Tab completes globals,
fields (t.) and methods (obj:).
]]

local MAX_HISTORY = 1000

-- Where history lives: $LUDP_HISTORY ("" for none), else ~/.ludp_history.
local function history_path()
  local p = os.getenv("LUDP_HISTORY")
  if p then return p ~= "" and p or nil end
  local home = os.getenv("HOME")
  if home and home ~= "" then return home .. "/.ludp_history" end
  return nil
end

function repl.start(opts)
  opts = opts or {}
  local core = require("ludp.core")
  local replio = require("ludp.replio")
  local process = require("ludp.process")
  local host = require("ludp.host")
  local progname = opts.progname or "ludp"
  local tty = core.isatty(0)
  local leaving, status = false, nil
  local buffer = nil                     -- lines of an unfinished chunk
  local session = repl_chunk.session()   -- its `local` variables
  local orig = { print = print, write = io.write }
  local file_methods = getmetatable(io.stdout).__index
  local orig_fwrite = file_methods.write

  -- Globals at the prompt.
  for _, name in ipairs({ "dgram", "events", "timers", "cjson" }) do
    if rawget(_G, name) == nil then
      local ok, mod = pcall(require, name)
      if ok then rawset(_G, name, mod) end
    end
  end

  -- Output. On a terminal, anything written while the prompt waits (a
  -- callback printing) first clears the prompt line; the C side draws it
  -- again, with what was typed, before the loop waits again.
  local function out(...)
    orig_fwrite(io.stdout, ...)
    io.stdout:flush()
  end
  local function err_out(s)
    io.stdout:flush()
    replio.hide()
    orig_fwrite(io.stderr, s, "\n")
    io.stderr:flush()
    replio.wrote(true)
  end
  local function ends_line(...)
    local n = select("#", ...)
    for i = n, 1, -1 do
      local s = select(i, ...)
      if (type(s) == "string" or type(s) == "number") and #tostring(s) > 0 then
        return tostring(s):sub(-1) == "\n"
      end
    end
    return nil
  end
  local function wrap_outputs()
    _G.print = function(...)
      replio.hide()
      orig.print(...)
      io.stdout:flush()
      replio.wrote(true)
    end
    io.write = function(...) -- luacheck: ignore 122
      replio.hide()
      local r1, r2, r3 = orig.write(...)
      io.stdout:flush()
      local nl = ends_line(...)
      if nl ~= nil then replio.wrote(nl) end
      return r1, r2, r3
    end
    file_methods.write = function(f, ...)
      local std = f == io.stdout or f == io.stderr
      if std then replio.hide() end
      local r1, r2, r3 = orig_fwrite(f, ...)
      if std then
        f:flush()
        local nl = ends_line(...)
        if nl ~= nil then replio.wrote(nl) end
      end
      return r1, r2, r3
    end
  end
  local function unwrap_outputs()
    if _G.print ~= orig.print then _G.print = orig.print end
    io.write = orig.write -- luacheck: ignore 122
    file_methods.write = orig_fwrite
  end

  -- Errors: "ludp: <message>" and the traceback of the user's code.
  local function report(e, tb)
    local msg
    if type(e) == "string" then
      msg = e
    elseif type(e) == "number" or type(e) == "table" or has_tostring(e) then
      msg = inspect.value(e)         -- error objects, tables: their fields
    else
      msg = sfmt("(error object is a %s value)", type(e))   -- as lua.c
    end
    if tb and tb:find("\n", 1, true) then msg = msg .. "\n" .. tb end
    err_out(progname .. ": " .. msg)
  end

  -- A callback's traceback ends where the loop called it: what lies below
  -- (the loop, this REPL, the host) says nothing about the error.
  local function callback_error(text)
    local at = text:find("\n\t[C]: in function 'ludp.core.run'", 1, true)
      or text:find("\n\t[C]: in function 'ludp.core.invoke'", 1, true)
    return at and text:sub(1, at - 1) or text
  end

  -- An error thrown by a callback: 'uncaughtException' listeners take it;
  -- else, while the REPL runs, print it and go on. After the REPL, the
  -- policy is the host's again (no listener: the error stops the loop).
  core.set_uncaught(function(e)
    if process.listenerCount("uncaughtException") > 0 then
      process.emit("uncaughtException", e, "uncaughtException")
      return true
    end
    if leaving or status then return false end
    err_out(progname .. ": " .. callback_error(host.format_error(e)))
    return true
  end)

  local function prompt()
    if leaving then return end
    local p = buffer and rawget(_G, "_PROMPT2") or rawget(_G, "_PROMPT")
    replio.prompt(tostring(p or (buffer and ">> " or "> ")))
  end

  local function leave(code)
    if leaving then return end
    leaving = true
    status = code
    replio.stop()
    unwrap_outputs()
    core.stop()
  end

  -- Runs f, prints its values (nil too when it is the only one); the first
  -- becomes `_`.
  local function run(f, ...)
    local r = table.pack(replio.docall(f, ...))
    if not r[1] then
      if tty and type(r[2]) == "string" and r[2]:find("interrupted!$") then
        out("\n")                       -- after the terminal's ^C echo
      end
      report(r[2], r[3])
      return
    end
    if r.n > 1 then
      rawset(_G, "_", r[2])
      local parts = {}
      for i = 2, r.n do parts[#parts + 1] = inspect.value(r[i]) end
      out(concat(parts, "\t"), "\n")
    end
  end

  -- History: an entry is a line, or a chunk typed over several lines,
  -- which Up brings back whole. In the file, a line that ends with '\'
  -- goes on in the next one (an entry's own last '\' gets a space after
  -- it, which Lua ignores).
  local history = tty and history_path() or nil
  local last_entry = nil
  local function encode(entry)
    if entry:sub(-1) == "\\" then entry = entry .. " " end
    return (entry:gsub("\n", "\\\n"))
  end
  local function remember(entry)
    if not tty or entry:match("^%s*$") or entry == last_entry then return end
    last_entry = entry
    replio.history_add(entry)
    if history then replio.history_append(history, encode(entry)) end
  end
  local function load_history()
    if not history then return end
    local fh = io.open(history, "r")
    if not fh then return end
    local entries, part = {}, nil
    local function add(entry)
      if entry ~= "" and entry ~= entries[#entries] then
        entries[#entries + 1] = entry
      end
    end
    for line in fh:lines() do
      if part then line = part .. "\n" .. line end
      if line:sub(-1) == "\\" then
        part = line:sub(1, -2)
      else
        part = nil
        add(line)
      end
    end
    if part then add(part) end
    fh:close()
    if #entries > MAX_HISTORY then
      entries = { table.unpack(entries, #entries - MAX_HISTORY + 1) }
      local lines = {}
      for i, entry in ipairs(entries) do lines[i] = encode(entry) end
      replio.history_write(history, lines)
    end
    for _, entry in ipairs(entries) do replio.history_add(entry) end
    last_entry = entries[#entries]
  end

  local commands = {}
  function commands.help() out(HELP) end
  function commands.exit() leave(process.exitCode or 0) end
  commands["break"] = function() buffer = nil end
  function commands.load(file)
    if file == "" then
      err_out(progname .. ": .load needs a file name")
      return
    end
    local f, e = loadfile(file)
    if not f then
      report(e)
      return
    end
    run(f)
  end

  local function dot_command(line)
    local word, rest = line:match("^%s*%.(%a+)%s*(.-)%s*$")
    if not word then return false end
    if buffer and word ~= "break" and word ~= "exit" then return false end
    local cmd = commands[word]
    if cmd then
      cmd(rest)
    else
      err_out("Invalid REPL keyword: ." .. word .. " (.help lists them)")
    end
    return true
  end

  -- A line: a dot-command, an expression, a statement, or part of one.
  -- A chunk goes into the history once it is whole (or wrong): a block
  -- of several lines is one entry.
  local function eval_line(line)
    if dot_command(line) then
      if not buffer then remember(line) end
      return
    end
    local chunk = buffer and (buffer .. "\n" .. line) or line
    local f, e, incomplete = session:compile(chunk)
    if not f and incomplete then
      -- incomplete as a statement (`function f()`) or as an expression
      -- (`{`, `1 +`): wait for more, as lua.c does
      buffer = chunk
      return
    end
    buffer = nil
    remember(chunk)
    if not f then
      report(e)
      return
    end
    run(f)
  end

  local function on_line(line)
    if line == nil then                  -- Ctrl-D, or the end of the input
      if tty then out("\n") end
      leave(process.exitCode or 0)
      return
    end
    local ok, e = pcall(eval_line, line)
    if not ok then report(e) end
    prompt()
  end

  local function on_interrupt()
    buffer = nil
    prompt()
  end

  local function candidates(before)
    return complete.candidates(before, session.env)
  end

  -- false when libedit cannot be loaded: plain lines, as from a pipe
  tty = replio.start(tty, on_line, on_interrupt, candidates)
  if tty then
    load_history()
    wrap_outputs()
    out(sfmt("%s (%s) on libuv; .help for help\n", core.version, _VERSION))
  end
  prompt()
  while not leaving do
    local ok, e = pcall(core.run)
    if not ok and not leaving then       -- a listener's own error, say
      err_out(progname .. ": " .. callback_error(host.format_error(e)))
    elseif ok and not leaving and not core.alive() then
      leave(process.exitCode or 0)       -- nothing left to wait for
    end
  end
  return status or 0
end

return repl
