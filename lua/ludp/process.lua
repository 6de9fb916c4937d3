-- process: Node's process object for Lua.
--
-- An EventEmitter whose methods work with a dot as in Node
-- (process.on("exit", fn)) and with a colon. 'uncaughtException' listeners
-- take errors that nothing else caught; listening for a signal name
-- ("SIGINT", "SIGTERM"...) installs a libuv signal handle, unref'd as in
-- Node, so the listener alone does not keep the process alive.

local core = require("ludp.core")
local errors = require("ludp.errors")
local EventEmitter = require("events")

local process = EventEmitter.new()

process.pid = core.pid
process.platform = core.platform
process.version = core.version
process.versions = { ludp = core.version:match("[%d.]+"), lua = _VERSION }
process.argv = {}
process.exitCode = nil
process.workerId = nil   -- 1..N in a worker of ludp --workers (ludp.host)

-- process.stdin/stdout/stderr: the streams of ludp/stdio.lua, made at
-- their first use (most scripts never touch them, and start-up counts).
local STREAMS = { stdin = true, stdout = true, stderr = true }
setmetatable(process, { __name = EventEmitter.__name,
  __index = function(self, key)
    if STREAMS[key] then
      local stdio = require("ludp.stdio")
      rawset(self, "stdin", stdio.stdin)
      rawset(self, "stdout", stdio.stdout)
      rawset(self, "stderr", stdio.stderr)
      return stdio[key]
    end
    return EventEmitter[key]
  end })

-- process.argv0: the host's name as started (host.lua sets it with argv);
-- process.title: the same, a plain field (setting it changes no name the
-- system shows).
process.argv0 = "ludp"
process.title = "ludp"

-- process.uptime() -> seconds (a float) since the process started.
function process.uptime()
  return (core.hrtime() - core.start_time) / 1e9
end

-- process.cwd() -> the current folder.
function process.cwd()
  local status, dir = core.cwd()
  if status < 0 then error(errors.uv(status, "uv_cwd"), 2) end
  return dir
end

-- process.memoryUsage() -> { rss = bytes, heapUsed = the Lua heap in
-- bytes, heapTotal = the same (Lua has no separate reserve) }.
function process.memoryUsage()
  local status, rss = core.rss()
  local heap = math.floor(collectgarbage("count") * 1024)
  return { rss = status == 0 and rss or 0, heapUsed = heap, heapTotal = heap,
           external = 0, arrayBuffers = 0 }
end

-- Methods taking the emitter: accept process.on(...) and process:on(...).
for _, name in ipairs({ "on", "addListener", "once", "prependListener",
                        "prependOnceListener", "off", "removeListener",
                        "removeAllListeners", "emit", "listeners",
                        "rawListeners", "listenerCount", "eventNames",
                        "setMaxListeners", "getMaxListeners" }) do
  local method = EventEmitter[name]
  process[name] = function(a, ...)
    if a == process then return method(process, ...) end
    return method(process, a, ...)
  end
end

-- process.env reads and writes the real environment. C ends a string at
-- a NUL, so a name or value with one inside would read or set another
-- variable ("A\0B" is "A"): no variable has such a name, and setting one
-- is refused.
local function check_env_string(s, name)
  if s:find("\0", 1, true) then
    errors.invalid_value(name, s, "must be a string without null bytes")
  end
end

process.env = setmetatable({}, {
  __index = function(_, k)
    if type(k) ~= "string" or k:find("\0", 1, true) then return nil end
    return os.getenv(k)
  end,
  __newindex = function(_, k, v)
    if type(k) ~= "string" then errors.arg_type("name", "of type string", k) end
    check_env_string(k, "name")
    if v ~= nil then
      v = tostring(v)
      check_env_string(v, "value")
    end
    core.setenv(k, v)
  end,
  __pairs = function()
    return next, core.environ(), nil
  end,
})

function process.nextTick(fn, ...)
  if type(fn) ~= "function" then
    errors.arg_type("callback", "of type function", fn)
  end
  core.next_tick(fn, ...)
end

-- process.hrtime([prev]) -> { seconds, nanoseconds }; hrtime.bigint() -> ns.
process.hrtime = setmetatable({
  bigint = function() return core.hrtime() end,
}, {
  __call = function(_, prev)
    local ns = core.hrtime()
    if prev ~= nil then
      if type(prev) ~= "table" then errors.arg_type("time", "an instance of table", prev) end
      ns = ns - ((prev[1] or 0) * 1000000000 + (prev[2] or 0))
    end
    return { ns // 1000000000, ns % 1000000000 }
  end,
})

function process.kill(pid, sig)
  local r = core.kill(pid, sig or "SIGTERM")
  if r < 0 then error(errors.uv(r, "kill"), 2) end
  return true
end

-- ------------------------------------------------------------------- exit

local exiting = false

-- Emits 'exit' once with the final code; listeners may change exitCode.
function process._emit_exit(code)
  if exiting then return process.exitCode or 0 end
  exiting = true
  process.exitCode = code or process.exitCode or 0
  process.emit("exit", process.exitCode)
  return process.exitCode or 0
end

-- process.exit([code]): 'exit' listeners run, then the process ends.
-- The code may be an integral float (3.0), as any integer is in Node; an
-- error in an 'exit' listener is reported as uncaught errors are (a value
-- that is not a string through ludp.inspect, as ludp.host does).
function process.exit(code)
  if code ~= nil then
    local n = type(code) == "number" and math.tointeger(code)
    if not n then
      errors.arg_type("code", "of type number (integer)", code)
    end
    process.exitCode = n
  end
  local ok, err = xpcall(process._emit_exit, function(e)
    if errors.is_error(e) and type(e.stack) == "string" then return e.stack end
    local msg = type(e) == "string" and e or require("ludp.inspect").value(e)
    return debug.traceback(msg, 2)
  end, process.exitCode)
  if not ok then
    io.stdout:flush()
    io.stderr:write("ludp: ", err, "\n")
    core.exit(1)
  end
  core.exit(math.tointeger(process.exitCode) or 0)
end

-- ---------------------------------------------------- uncaught and signals

core.set_uncaught(function(err)
  if process.listenerCount("uncaughtException") == 0 then return false end
  process.emit("uncaughtException", err, "uncaughtException")
  return true
end)

local signal_handles = {}

process.on("newListener", function(name)
  if type(name) == "string" and not signal_handles[name]
     and core.is_signal(name) then
    local h = core.signal()
    local r = h:start(name, function(sig) process.emit(sig, sig) end)
    if r < 0 then
      h:close()
      error(errors.uv(r, "uv_signal_start", nil, nil, name), 3)
    end
    h:unref()
    signal_handles[name] = h
  end
end)

process.on("removeListener", function(name)
  local h = signal_handles[name]
  if h and process.listenerCount(name) == 0 then
    signal_handles[name] = nil
    h:close()
  end
end)

return process
