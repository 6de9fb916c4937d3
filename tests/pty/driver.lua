-- tests/pty/driver.lua: drives a program through a pseudo-terminal, for
-- the REPL specs. Compiles tests/pty/pty.c (a tiny Lua module) on first
-- use, then:
--
--   local driver = dofile("tests/pty/driver.lua")
--   local t = driver.spawn({ ludp, "-i" }, { HOME = dir })
--   t:expect("> ")                 -- waits (watchdog: driver.timeout ms)
--   t:send("1+1\r")
--   t:paste(long_text)             -- typed as a terminal pastes it
--   t:expect("2")
--   t:screen()                     -- the screen as a terminal shows it
--   t:wait_exit()                  -- exit status
--   t:close()
--
-- Every wait is for an event (some output, the exit) with a timeout that
-- fails the spec with a transcript; nothing sleeps for a fixed time.

local driver = { timeout = 5000, rows = 24, cols = 80 }

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"

local function sh_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local pty
local function load_pty()
  if pty then return pty end
  local so = os.tmpname()
  local cflags = io.popen("pkg-config --cflags lua5.4 2>/dev/null"):read("l")
                 or "-I/usr/include/lua5.4"
  local cmd = string.format("cc -std=gnu11 -shared -fPIC -O1 %s -o %s %s 2>&1",
                            cflags, sh_quote(so), sh_quote(here .. "pty.c"))
  local p = io.popen(cmd)
  local out = p:read("a")
  local ok = p:close()
  if not ok then
    os.remove(so)
    error("cannot build the pty driver:\n" .. cmd .. "\n" .. out)
  end
  local open, err = package.loadlib(so, "luaopen_pty")
  os.remove(so)
  if not open then error("cannot load the pty driver: " .. tostring(err)) end
  pty = open()
  return pty
end

-- ------------------------------------------------------- a small terminal

-- Just enough of a VT100/xterm to know what the screen shows: printable
-- text with auto-wrap, CR, LF, BS, TAB, and the CSI sequences line editors
-- use (cursor moves, erase in line/screen, insert/delete characters).
local Screen = {}
Screen.__index = Screen

local function new_screen(rows, cols)
  return setmetatable({ lines = { {} }, row = 1, col = 1, rows = rows,
                        cols = cols, state = "text", buf = "" }, Screen)
end

function Screen:line(r)
  local l = self.lines[r]
  if not l then
    for i = #self.lines + 1, r do self.lines[i] = {} end
    l = self.lines[r]
  end
  return l
end

function Screen:top()
  return math.max(1, #self.lines - self.rows + 1)
end

function Screen:put(ch)
  if self.col > self.cols then     -- pending wrap
    self.col = 1
    self.row = self.row + 1
  end
  local l = self:line(self.row)
  for i = #l + 1, self.col - 1 do l[i] = " " end
  l[self.col] = ch
  self.col = self.col + 1
end

function Screen:csi(params, final)
  local nums = {}
  for n in (params .. ";"):gmatch("([^;]*);") do nums[#nums + 1] = tonumber(n) end
  local n1 = nums[1] or 0
  local l = self:line(self.row)
  if params:sub(1, 1) == "?" or params:sub(1, 1) == ">" then return end
  if final == "A" then
    self.row = math.max(self:top(), self.row - math.max(n1, 1))
  elseif final == "B" then
    self.row = self.row + math.max(n1, 1)
    self:line(self.row)
  elseif final == "C" then
    self.col = math.min(self.cols, self.col + math.max(n1, 1))
  elseif final == "D" then
    self.col = math.max(1, math.min(self.col, self.cols) - math.max(n1, 1))
  elseif final == "G" then
    self.col = math.max(1, n1)
  elseif final == "H" or final == "f" then
    self.row = self:top() + math.max(1, nums[1] or 1) - 1
    self.col = math.max(1, nums[2] or 1)
    self:line(self.row)
  elseif final == "K" then
    if n1 == 0 then
      for i = #l, self.col, -1 do l[i] = nil end
    elseif n1 == 1 then
      for i = 1, math.min(self.col, #l) do l[i] = " " end
    else
      self.lines[self.row] = {}
    end
  elseif final == "J" then
    if n1 == 0 then
      for i = #l, self.col, -1 do l[i] = nil end
      for r = self.row + 1, #self.lines do self.lines[r] = {} end
    elseif n1 == 2 or n1 == 3 then
      for r = self:top(), #self.lines do self.lines[r] = {} end
    end
  elseif final == "P" then
    for _ = 1, math.max(n1, 1) do table.remove(l, self.col) end
  elseif final == "@" then
    for _ = 1, math.max(n1, 1) do
      if self.col <= #l then table.insert(l, self.col, " ") end
    end
  elseif final == "X" then
    for i = self.col, math.min(#l, self.col + math.max(n1, 1) - 1) do l[i] = " " end
  end
end

function Screen:feed(data)
  for ch in data:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
    local st = self.state
    if st == "esc" then
      if ch == "[" then
        self.state, self.buf = "csi", ""
      elseif ch == "(" or ch == ")" or ch == "#" then
        self.state = "skip1"
      else
        self.state = "text"
      end
    elseif st == "skip1" then
      self.state = "text"
    elseif st == "csi" then
      if ch:match("^[%d;?>]$") then
        self.buf = self.buf .. ch
      else
        self.state = "text"
        self:csi(self.buf, ch)
      end
    elseif ch == "\27" then
      self.state = "esc"
    elseif ch == "\r" then
      self.col = 1
    elseif ch == "\n" then
      self.row = self.row + 1
      self:line(self.row)
    elseif ch == "\b" then
      self.col = math.max(1, math.min(self.col, self.cols) - 1)
    elseif ch == "\t" then
      self.col = math.min(self.cols, ((self.col - 1) // 8 + 1) * 8 + 1)
    elseif ch:byte() >= 32 and ch ~= "\127" then
      self:put(ch)
    end
  end
end

-- The screen's text: one string per line, trailing blanks removed.
function Screen:text()
  local out = {}
  for r = 1, #self.lines do
    out[r] = table.concat(self.lines[r]):gsub("%s+$", "")
  end
  while #out > 1 and out[#out] == "" and #out > self.row do out[#out] = nil end
  return table.concat(out, "\n")
end

function Screen:cursor_line()
  return (table.concat(self:line(self.row)):gsub("%s+$", ""))
end

-- ---------------------------------------------------------------- sessions

local Session = {}
Session.__index = Session

-- Runs argv on a new pty; env: variables to set (false: unset).
function driver.spawn(argv, env)
  local p = load_pty()
  env = env or {}
  if env.TERM == nil then env.TERM = "xterm" end
  local t = setmetatable({ proc = p.spawn(argv, env), output = "", mark = 1,
                           screen_ = new_screen(driver.rows, driver.cols) },
                         Session)
  return t
end

function Session:send(s)
  self.proc:write(s)
end

-- Types 's' as a terminal pastes it: as fast as the pty takes it, reading
-- what the program draws meanwhile (send would wait, with a long text, for
-- a program that waits for its echo to be read). The watchdog fails the
-- spec if the program neither takes nor draws anything for driver.timeout
-- ms.
function Session:paste(s, timeout)
  timeout = timeout or driver.timeout
  local i, deadline = 1, pty.now() + timeout
  while i <= #s do
    local n = self.closed and 0 or self.proc:write_some(s, i)
    local before = #self.output
    i = i + n
    if n == 0 and (pty.now() >= deadline or self.closed) then
      error(string.format("the program took %d of %d bytes, then nothing for %d ms%s\n%s",
                          i - 1, #s, timeout, self.closed and " (the pty closed)" or "",
                          self:transcript()), 2)
    end
    -- the pty is full unless it took all: wait for what the program draws
    self:pump(i <= #s and 50 or 0)
    if n > 0 or #self.output > before then deadline = pty.now() + timeout end
  end
end

-- Reads what is there, waiting up to 'ms'; false once the pty is closed.
function Session:pump(ms)
  local data = self.proc:read(ms)
  if data == nil then
    self.closed = true
    return false
  end
  if data ~= "" then
    self.output = self.output .. data
    self.screen_:feed(data)
  end
  return true
end

function Session:transcript()
  return "---- output so far (" .. #self.output .. " bytes) ----\n"
         .. self.output:gsub("\27", "^[") .. "\n---- screen ----\n"
         .. self.screen_:text() .. "\n----"
end

-- Waits until 'what' (plain text) appears in the output after the last
-- match; returns the output from the last match to the end of this one.
-- 'what' may be a function(output_since_mark) -> start, end.
function Session:expect(what, timeout)
  timeout = timeout or driver.timeout
  local deadline = pty.now() + timeout
  while true do
    local since = self.output:sub(self.mark)
    local s, e
    if type(what) == "function" then s, e = what(since)
    else s, e = since:find(what, 1, true) end
    if s then
      self.mark = self.mark + e
      return since:sub(1, e)
    end
    if pty.now() >= deadline or self.closed then
      error(string.format("expected %q within %d ms%s\n%s",
                          type(what) == "string" and what or "<function>",
                          timeout, self.closed and " (the pty closed)" or "",
                          self:transcript()), 2)
    end
    self:pump(50)
  end
end

-- Waits until the screen shows 'text' (plain) on the cursor's line; later
-- expects look at the output that comes after this moment.
function Session:expect_cursor_line(text, timeout)
  timeout = timeout or driver.timeout
  local deadline = pty.now() + timeout
  while self.screen_:cursor_line() ~= text do
    if pty.now() >= deadline or self.closed then
      error(string.format("expected the cursor line %q within %d ms, got %q\n%s",
                          text, timeout, self.screen_:cursor_line(),
                          self:transcript()), 2)
    end
    self:pump(50)
  end
  self.mark = #self.output + 1
end

function Session:screen()
  return self.screen_:text()
end

function Session:cursor_line()
  return self.screen_:cursor_line()
end

-- Waits for the program to exit (reading what it still prints); returns
-- its exit status.
function Session:wait_exit(timeout)
  timeout = timeout or driver.timeout
  local deadline = pty.now() + timeout
  while true do
    local st = self.proc:status()
    if st then
      repeat
        local before = #self.output
        if not self.closed then self:pump(0) end
      until self.closed or #self.output == before
      return st
    end
    if pty.now() >= deadline then
      error(string.format("the program did not exit within %d ms\n%s",
                          timeout, self:transcript()), 2)
    end
    if self.closed then pty.sleep(20) else self:pump(20) end
  end
end

function Session:pid()
  return self.proc:pid()
end

function Session:kill(sig)
  self.proc:kill(sig)
end

function Session:close()
  self.proc:close()
end

return driver
