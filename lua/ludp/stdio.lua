-- ludp.stdio: process.stdin, process.stdout and process.stderr, on the
-- loop (src/stdio.c).
--
-- process.stdin is an EventEmitter: 'data' (each chunk, as read), 'line'
-- (each line without its "\n" or "\r\n"), 'end', 'close', 'error'.
-- Reading starts when the first 'data' or 'line' listener is added (or at
-- resume()) and holds the loop until 'end' or pause(). A terminal, a pipe
-- or a stream socket is read as a libuv stream; a file (or /dev/null)
-- through the thread pool, as libuv cannot poll files.
--
-- process.stdout:write(s[, cb]) and process.stderr:write(s[, cb]) queue s
-- and return at once; the thread pool writes the queue in order, so a
-- slow reader never holds the loop, and the host writes what is left at
-- exit. write returns false once 16 KiB wait ('drain' follows when none
-- do), as Node's streams. print and io.write stay Lua's own: they write
-- through C's buffer and block while the reader is slow (docs/reference.md
-- says how the two orders combine).

local core = require("ludp.core")
local errors = require("ludp.errors")
local EventEmitter = require("events")

local stdio = {}

-- Set by the host when the REPL runs (-i, or no script): process.stdin is
-- then refused (the REPL's reader and this one would split the input),
-- and process.stdout/stderr write through io.stdout/io.stderr, which the
-- REPL wraps to keep its prompt clear of output.
stdio.in_repl = false

local HIGH_WATER_MARK = 16384

local function check_this(self, cls, name)
  if type(self) ~= "table" or getmetatable(self) ~= cls then
    errors.invalid_this("an instance of " .. name, self)
  end
end

-- ---------------------------------------------------------------- writing

local WriteStream = EventEmitter:extend()
WriteStream.__name = "WriteStream"
stdio.WriteStream = WriteStream

function WriteStream.init(self, fd, file)
  self.fd = fd
  self.isTTY = core.isatty(fd)
  self._file = file         -- io.stdout / io.stderr: flushed first
  self._given = 0           -- bytes accepted by write()
  self._waiting = nil       -- { {given, cb}, ..., head = i }: callbacks
  self._need_drain = false
  self._hooked = false
  self._failed = nil        -- the error that broke the descriptor
end

-- After each job of the writer: the callbacks of the bytes written run,
-- and 'drain' once nothing waits; a failure goes to the callbacks left
-- and to 'error'.
local function on_written(self, total, status)
  local q = self._waiting
  local err = status < 0 and errors.uv(status, "write") or nil
  if err then self._failed = err end
  while q and q.head <= #q and (err or q[q.head][1] <= total) do
    local cb = q[q.head][2]
    q[q.head] = false
    q.head = q.head + 1
    cb(err)
  end
  if q and q.head > #q then self._waiting = nil end
  if err then
    self:emit("error", err)
  elseif self._need_drain and total >= self._given then
    self._need_drain = false
    self:emit("drain")
  end
end

-- stream:write(s[, cb]) -> whether fewer than 16 KiB wait. cb(err) runs
-- once s is written (err nil) or cannot be.
function WriteStream:write(chunk, cb)
  check_this(self, WriteStream, "WriteStream")
  if type(chunk) ~= "string" then
    errors.arg_type("chunk", "of type string", chunk)
  end
  if cb ~= nil and type(cb) ~= "function" then
    errors.arg_type("callback", "of type function", cb)
  end
  if self._failed then
    local err = self._failed
    if cb then core.next_tick(cb, err) end
    return false
  end
  if not self._hooked then
    self._hooked = true
    core.stdio_onwritten(self.fd, function(total, status)
      on_written(self, total, status)
    end)
  end
  if stdio.in_repl then
    self._file:write(chunk)
    self._file:flush()
    if cb then core.next_tick(cb, nil) end
    return true
  end
  -- What print and io.write left in C's buffer was given first.
  pcall(self._file.flush, self._file)   -- fails if a script closed it
  local status, pending = core.stdio_write(self.fd, chunk)
  if status < 0 then
    local err = errors.uv(status, "write")
    self._failed = err
    if cb then core.next_tick(cb, err) end
    core.next_tick(function() self:emit("error", err) end)
    return false
  end
  self._given = self._given + #chunk
  if cb then
    if pending == 0 then
      core.next_tick(cb, nil)
    else
      local q = self._waiting or { head = 1 }
      self._waiting = q
      q[#q + 1] = { self._given, cb }
    end
  end
  if pending >= HIGH_WATER_MARK then
    self._need_drain = true
    return false
  end
  return true
end

-- ---------------------------------------------------------------- reading

local ReadStream = EventEmitter:extend()
ReadStream.__name = "ReadStream"
stdio.ReadStream = ReadStream

function ReadStream.init(self, fd)
  self.fd = fd
  self.isTTY = core.isatty(fd)
  self._reading = false     -- wants data (not paused, not ended)
  self._paused = false      -- pause() was called: listeners do not resume
  self._ended = false
  self._stream = nil        -- the libuv stream, for a tty/pipe/socket
  self._file = nil          -- true when read with fs_read
  self._in_flight = false   -- an fs_read runs
  self._held = nil          -- chunks read while paused (fs_read)
  self._parts = nil         -- pieces of a line not ended yet
end

-- Splits a chunk into 'line' events; a line may span chunks.
local function feed_lines(self, chunk)
  local start = 1
  while true do
    local nl = chunk:find("\n", start, true)
    if not nl then break end
    local line = chunk:sub(start, nl - 1)
    local parts = self._parts
    if parts then
      parts[#parts + 1] = line
      line = table.concat(parts)
      self._parts = nil
    end
    if line:byte(-1) == 13 then line = line:sub(1, -2) end
    self:emit("line", line)
    start = nl + 1
  end
  if start <= #chunk then
    local parts = self._parts or {}
    parts[#parts + 1] = start == 1 and chunk or chunk:sub(start)
    self._parts = parts
  end
end

local function deliver(self, chunk)
  self:emit("data", chunk)
  if self:listenerCount("line") > 0 then
    feed_lines(self, chunk)
  end
end

local function finish(self)
  if self._ended then return end
  self._ended, self._reading = true, false
  if self._parts then   -- the last line, without an end of line
    local line = table.concat(self._parts)
    self._parts = nil
    if line:byte(-1) == 13 then line = line:sub(1, -2) end
    if self:listenerCount("line") > 0 then self:emit("line", line) end
  end
  if self._stream then
    self._stream:close()
    self._stream = nil
  end
  self:emit("end")
  self:emit("close")
end

local function failed(self, status)
  self._reading = false
  self:emit("error", errors.uv(status, "read"))
end

-- One fs_read after another while reading; a chunk that arrives after
-- pause() waits for resume().
local function read_file(self)
  if self._in_flight or not self._reading then return end
  self._in_flight = true
  local r = core.fs_read(self.fd, function(n, chunk)
    self._in_flight = false
    local item = n > 0 and chunk or n
    if not self._reading then
      self._held = self._held or {}
      self._held[#self._held + 1] = item
      return
    end
    if n > 0 then
      deliver(self, chunk)
      read_file(self)
    elseif n == 0 then
      finish(self)
    else
      failed(self, n)
    end
  end)
  if r < 0 then
    self._in_flight = false
    core.next_tick(failed, self, r)
  end
end

local function start(self)
  if self._ended or self._reading then return end
  if stdio.in_repl then
    errors.raise("Error", "ERR_INVALID_STATE", "Invalid state: " ..
      "process.stdin cannot be read while the REPL reads standard input")
  end
  self._reading = true
  if self._stream == nil and not self._file then
    local status, stream = core.stdin_stream()
    if stream and status == 0 then
      self._stream = stream
    elseif stream then         -- made but not opened
      stream:close()
      self._reading = false
      core.next_tick(failed, self, status)
      return
    else
      self._file = true
    end
  end
  if self._stream then
    local r = self._stream:read_start(function(chunk, status)
      if chunk then return deliver(self, chunk) end
      if status == core.errno.EOF then return finish(self) end
      failed(self, status)
    end)
    if r < 0 then
      self._reading = false
      core.next_tick(failed, self, r)
    end
    return
  end
  local held = self._held
  self._held = nil
  for i, item in ipairs(held or {}) do
    if type(item) == "string" then
      deliver(self, item)
    elseif item == 0 then
      return finish(self)
    else
      return failed(self, item)
    end
    if not self._reading then   -- paused by a listener: keep the rest
      self._held = table.move(held, i + 1, #held, 1, {})
      return
    end
  end
  read_file(self)
end

-- events.lua calls this whenever listeners change: the first 'data' or
-- 'line' listener starts reading, unless pause() was called.
function ReadStream:_listeners_changed(event, stored)
  if (event == "data" or event == "line") and stored ~= nil
     and not self._paused then
    start(self)
  end
end

-- pause(): stops reading; the loop is no longer held. Returns the stream.
function ReadStream:pause()
  check_this(self, ReadStream, "ReadStream")
  self._paused = true
  if self._reading then
    self._reading = false
    if self._stream then self._stream:read_stop() end
  end
  return self
end

-- resume(): reads again (also with no listener: the data is dropped, as
-- in Node). Returns the stream.
function ReadStream:resume()
  check_this(self, ReadStream, "ReadStream")
  self._paused = false
  start(self)
  return self
end

function ReadStream:isPaused()
  check_this(self, ReadStream, "ReadStream")
  return self._paused
end

stdio.stdin = ReadStream.new(0)
stdio.stdout = WriteStream.new(1, io.stdout)
stdio.stderr = WriteStream.new(2, io.stderr)

return stdio
