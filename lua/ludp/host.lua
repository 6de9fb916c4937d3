-- ludp.host: what the ludp binary does with its command line.
--
-- Runs a script (a file, -e chunk, or stdin) and then the event loop until
-- nothing referenced is left, or opens the REPL. Returns the exit status to
-- main.c: process.exitCode, 1 after an uncaught error, 2 for a bad command
-- line.

local core = require("ludp.core")
local errors = require("ludp.errors")

local host = {}

local USAGE = [=[
usage: ludp [options] [script [args]]
Available options are:
  -e chunk       run 'chunk', then the event loop
  -i             enter the REPL after running the script
  --workers N    run the script in N processes sharing its ports
                 (N a number or 'auto': one per core)
  -v, --version  show version information
  -h, --help     show this help
  --             stop handling options
  -              run stdin as the script and stop handling options
With no script, ludp opens the REPL when stdin is a terminal and runs
stdin as a script otherwise.
]=]

local function usage_error(progname, reason)
  io.stderr:write(progname, ": ", reason, "\n", USAGE)
  io.stderr:flush()
  return 2
end

-- The text of an uncaught error: "<error>" and a traceback: 'tb', or the
-- one the loop recorded where the error was thrown. An error value that
-- is not a string prints as the REPL prints values (ludp.inspect), which
-- also survives a __tostring that fails; it is loaded only then, as most
-- runs never need it.
-- The host's own frames end a traceback: where the loop or the host
-- called the user's code ('ludp.core.run', 'ludp.core.invoke') and below
-- it says nothing about the error.
local function trim(tb)
  local at = tb:find("\n\t%[C%]: in function 'ludp%.core%.[a-z]+'")
  return at and tb:sub(1, at - 1) or tb
end

function host.format_error(err, tb)
  if errors.is_error(err) and type(err.stack) == "string" then
    return trim(err.stack)
  end
  tb = trim(tb or core.traceback())
  local msg = type(err) == "string" and err or require("ludp.inspect").value(err)
  if type(err) == "string" and tb:sub(1, #msg) == msg then return tb end
  local at = tb:find("stack traceback:", 1, true)
  return msg .. (at and ("\n" .. tb:sub(at)) or "")
end

function host.report(err, tb)
  io.stdout:flush()
  io.stderr:write("ludp: ", host.format_error(err, tb), "\n")
  io.stderr:flush()
end

-- Parses argv; returns a table describing the run, or nil, reason.
local function parse(argv)
  local opt = { chunks = {} }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      i = i + 1
      break
    elseif a == "-" then
      opt.stdin = true
      break
    elseif a == "-e" then
      if argv[i + 1] == nil then return nil, "'-e' needs argument" end
      opt.chunks[#opt.chunks + 1] = argv[i + 1]
      i = i + 2
    elseif a:sub(1, 2) == "-e" then
      opt.chunks[#opt.chunks + 1] = a:sub(3)
      i = i + 1
    elseif a == "-i" then
      opt.interactive = true
      i = i + 1
    elseif a == "-v" or a == "--version" then
      opt.version = true
      i = i + 1
    elseif a == "-h" or a == "--help" then
      opt.help = true
      i = i + 1
    elseif a:sub(1, 1) == "-" then
      return nil, "unrecognized option '" .. a .. "'"
    else
      break
    end
  end
  opt.script_index = i    -- argv index of the script (or first argument)
  return opt
end

-- Builds 'arg' as lua.c does: the script at 0, options before it negative.
local function make_arg(progname, argv, script_at)
  local arg = { [-script_at] = progname }
  for k = 1, #argv do arg[k - script_at] = argv[k] end
  return arg
end

-- Runs the 'exit' listeners; an error there is reported with its own
-- traceback (the loop's record belongs to an earlier error).
local function finish(process, code)
  local tb
  local ok, res = xpcall(process._emit_exit, function(e)
    tb = debug.traceback(type(e) == "string" and e or nil, 2)
    return e
  end, code)
  if not ok then
    host.report(res, tb)
    return 1
  end
  return math.tointeger(res) or 0
end

function host.main(progname, ...)
  local argv = { ... }
  local opt, reason = parse(argv)
  if not opt then return usage_error(progname, reason) end
  if opt.help then
    io.stdout:write(USAGE)
    return 0
  end
  if opt.version then
    local build = core.build ~= "" and core.build .. "; " or ""
    io.stdout:write(core.version, " (", build, _VERSION, ", libuv ",
                    core.uv_version, ")\n")
    if not opt.stdin and #opt.chunks == 0 and not opt.interactive
       and argv[opt.script_index] == nil then
      return 0
    end
  end

  local ludp = require("ludp")
  ludp.install_globals()
  local process = require("ludp.process")
  local readiness = require("ludp.readiness")
  if host.worker_id then         -- set by main.c in a worker of --workers
    process.workerId = host.worker_id
    require("ludp.socket_options").default_reuse_port = true
  end
  -- STOPPING=1 as the process starts to exit, whichever way it does.
  local emit_exit = process._emit_exit
  process._emit_exit = function(code)
    readiness.stopping()
    return emit_exit(code)
  end

  -- What to run: -e chunks, then a script file or stdin.
  -- After -e, the remaining words are the chunk's arguments (man/ludp.1).
  local script = not opt.stdin and #opt.chunks == 0
                 and argv[opt.script_index] or nil
  local interactive = opt.interactive
  if not script and not opt.stdin and #opt.chunks == 0 and not interactive then
    if core.isatty(0) then interactive = true else opt.stdin = true end
  end
  local script_at = (script or opt.stdin) and opt.script_index
                    or (#opt.chunks > 0 and opt.script_index - 1) or 0
  local arg = make_arg(progname, argv, script_at)
  _G.arg = arg
  process.execPath = progname
  process.argv0 = progname
  -- The REPL reads standard input itself (ludp.stdio refuses process.stdin).
  -- The streams and console, made at first use elsewhere, are made now,
  -- so that Tab offers their fields.
  if interactive then
    require("ludp.stdio").in_repl = true
    local _, _ = process.stdout, _G.console.log
  end
  -- Node: [execPath, script, args...]; no script entry for -e, nothing
  -- more for the bare REPL (arg[1..] are then ludp's own options).
  process.argv = { progname }
  local first = (script or opt.stdin) and 0 or script_at > 0 and 1 or #arg + 1
  for k = first, #arg do process.argv[#process.argv + 1] = arg[k] end

  local chunks = {}
  for n, src in ipairs(opt.chunks) do
    local f, err = load(src, "=(command line)")
    if not f then
      host.report(err)
      return 1
    end
    chunks[n] = { f, table.unpack(arg, 1, #arg) }
  end
  if not script and (opt.stdin or #opt.chunks > 0) then
    -- -e and -: the current folder first, as a script's own folder is.
    local rest = (";" .. package.path .. ";")
      :gsub(";%./%?%.lua;%./%?/init%.lua;", ";")
    package.path = "./?.lua;./?/init.lua" .. rest:sub(1, -2)
  end
  if script or opt.stdin then
    local f, err
    if script then
      local fh, why = io.open(script, "r")
      if not fh then             -- one line, as lua5.4 says it: no usage
        io.stderr:write(progname, ": cannot open ", why, "\n")
        return 2
      end
      fh:close()
      f, err = loadfile(script)
      -- The script's own modules first, wherever it is started from.
      local dir = script:match("^(.*)/[^/]*$") or "."
      if not dir:find("[;?]") then
        package.path = dir .. "/?.lua;" .. dir .. "/?/init.lua;" ..
                       package.path
      end
    else
      f, err = load(io.stdin:read("a") or "", "=stdin")
    end
    if not f then
      host.report(err)
      return finish(process, 1)
    end
    chunks[#chunks + 1] = { f, table.unpack(arg, 1, #arg) }
  end

  for _, c in ipairs(chunks) do
    core.invoke(table.unpack(c, 1, #c))
    if core.failed() then break end
  end
  if not core.failed() then readiness.main_returned() end
  if interactive then
    return finish(process, require("ludp.repl").start({ progname = progname }))
  end
  local ok, err = pcall(core.run)
  if not ok then
    host.report(err)
    return finish(process, 1)
  end
  return finish(process, process.exitCode)
end

return host
