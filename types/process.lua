---@meta ludp.process
-- Lua language server (LuaLS) definitions for Node's process object: the
-- global `process` of the host (types/globals.lua), also
-- require("ludp.process"). Its functions are called with a dot, as in Node
-- (process.on("exit", fn)).

---@alias ludp.ProcessEvent
---| "exit"              # listener(code: integer)
---| "uncaughtException" # listener(err: any)
---| "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT" | "SIGUSR1" | "SIGUSR2" | "SIGWINCH" | "SIGCHLD" | "SIGALRM" | "SIGPIPE" | "SIGCONT" | "SIGTSTP" | "SIGTTIN" | "SIGTTOU"

---@class ludp.Process
---@field exitCode integer? the exit status when the loop ends (default 0)
---@field pid integer
---@field workerId integer? 1..N in a worker of `ludp --workers N`, else nil
---@field platform string "linux", "darwin", "freebsd"...
---@field version string "ludp 0.1.0"
---@field versions { ludp: string, lua: string }
---@field argv string[] { execPath, script, args... }
---@field execPath string the ludp being run
---@field env table<string, string> the environment; assigning sets it, nil unsets
---@field stdout ludp.WriteStream written in order, never blocking the loop
---@field stderr ludp.WriteStream
---@field stdin ludp.ReadStream 'data', 'line', 'end' on the loop
---@field argv0 string the host's name as started
---@field title string "ludp"
---@field hrtime ludp.Hrtime
local process = {}

---@class ludp.WriteStream: events.EventEmitter
---@field fd integer 1 or 2
---@field isTTY boolean
local WriteStream = {}

---Queues `chunk`; returns false once 16 KiB wait ('drain' follows).
---@param chunk string
---@param callback? fun(err: table?) once written
---@return boolean
function WriteStream:write(chunk, callback) end

---@class ludp.ReadStream: events.EventEmitter
---@field fd integer 0
---@field isTTY boolean
local ReadStream = {}

---Stops reading: the loop is no longer held. Returns the stream.
---@return ludp.ReadStream
function ReadStream:pause() end

---Reads again. Returns the stream.
---@return ludp.ReadStream
function ReadStream:resume() end

---@return boolean
function ReadStream:isPaused() end

---Seconds since the process started.
---@return number
function process.uptime() end

---@return string
function process.cwd() end

---@return { rss: integer, heapUsed: integer, heapTotal: integer, external: integer, arrayBuffers: integer }
function process.memoryUsage() end

---@class ludp.Hrtime
---@overload fun(previous?: integer[]): integer[] { seconds, nanoseconds }
local hrtime = {}

---Nanoseconds from an arbitrary point.
---@return integer
function hrtime.bigint() end

---Runs the 'exit' listeners and ends the process.
---@param code? integer default process.exitCode or 0
function process.exit(code) end

---Calls `callback(...)` after the current callback, before any I/O.
---@param callback function
---@param ... any
function process.nextTick(callback, ...) end

---Sends a signal (default "SIGTERM").
---@param pid integer
---@param signal? string|integer
---@return true
function process.kill(pid, signal) end

---@param event ludp.ProcessEvent
---@param listener function
---@return ludp.Process
---@overload fun(event: "exit", listener: fun(code: integer)): ludp.Process
---@overload fun(event: "uncaughtException", listener: fun(err: any, origin: string)): ludp.Process
---@overload fun(event: string, listener: fun(signal: string)): ludp.Process
function process.on(event, listener) end

---@param event ludp.ProcessEvent
---@param listener function
---@return ludp.Process
function process.addListener(event, listener) end

---@param event ludp.ProcessEvent
---@param listener function
---@return ludp.Process
function process.once(event, listener) end

---@param event ludp.ProcessEvent
---@param listener function
---@return ludp.Process
function process.prependListener(event, listener) end

---@param event ludp.ProcessEvent
---@param listener function
---@return ludp.Process
function process.prependOnceListener(event, listener) end

---@param event ludp.ProcessEvent
---@param listener function
---@return ludp.Process
function process.off(event, listener) end

---@param event ludp.ProcessEvent
---@param listener function
---@return ludp.Process
function process.removeListener(event, listener) end

---@param event? ludp.ProcessEvent
---@return ludp.Process
function process.removeAllListeners(event) end

---@param event any
---@param ... any
---@return boolean
function process.emit(event, ...) end

---@param event any
---@return function[]
function process.listeners(event) end

---@param event any
---@return function[]
function process.rawListeners(event) end

---@param event any
---@param listener? function
---@return integer
function process.listenerCount(event, listener) end

---@return any[]
function process.eventNames() end

---@param n number
---@return ludp.Process
function process.setMaxListeners(n) end

---@return number
function process.getMaxListeners() end

return process
