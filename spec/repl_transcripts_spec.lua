-- Spec for the REPL transcripts of README.md and docs/repl.md: each one is
-- run and must show what the page shows. A session (`$ ludp`, or a
-- fragment starting at a prompt) is typed into the REPL on a real
-- pseudo-terminal (tests/pty/driver.lua), and the screen at the end must
-- read as the transcript; a `printf ... | ludp -i` line runs through sh,
-- and its output must be the lines under it.
--
-- What the transcripts say comes from elsewhere is done here: the datagram
-- that prints `got "hello" from ...` is sent by this process, and `tick`
-- lines are waited for. Port 41234 becomes a free port, the sender's
-- 50611 the port this process sends from; `<TAB>` is the Tab key, and the
-- line is cleared (Ctrl-U) before the next one is typed.

local driver = dofile("tests/pty/driver.lua")
local core = require("ludp.core")
local T = require("ludp.test")
local helpers = require("helpers")
local quote = helpers.quote

local bin = os.getenv("LUDP_BIN") or "build/ludp"
if bin:sub(1, 1) ~= "/" then
  local p = io.popen("pwd")
  bin = p:read("l") .. "/" .. bin
  p:close()
end
driver.timeout = 15000               -- generous: the ASan build is slow
driver.rows = 100                    -- the whole session stays on screen

-- The ```text blocks of a page that are transcripts, each { file, line,
-- lines }, their common indentation removed.
local function transcripts(file)
  local list, block, indent = {}, nil, nil
  local n = 0
  for l in (helpers.read_file(file) .. "\n"):gmatch("(.-)\n") do
    n = n + 1
    local lead = l:match("^(%s*)```")
    if block then
      if lead == indent then
        local first = block.lines[1] or ""
        if first:match("^%$ .*ludp") or first:match("^>") then
          list[#list + 1] = block
        end
        block = nil
      else
        block.lines[#block.lines + 1] = l:sub(#indent + 1)
      end
    elseif lead and l:match("```text%s*$") then
      block, indent = { file = file, line = n, lines = {} }, lead
    end
  end
  return list
end

local dirs, sessions = {}, {}

after_each(function()
  for _, t in ipairs(sessions) do t:close() end
  for _, d in ipairs(dirs) do os.execute("rm -rf " .. quote(d)) end
  sessions, dirs = {}, {}
end)

local function tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. quote(dir)))
  dirs[#dirs + 1] = dir
  return dir
end

local function lines_of(text)
  local out = {}
  for l in (text .. "\n"):gmatch("(.-)\n") do out[#out + 1] = l end
  while #out > 0 and out[#out] == "" do out[#out] = nil end
  return out
end

-- Waits until something binds 127.0.0.1:port (the REPL's socket: its
-- bind ends after the prompt is drawn), as a bind of ours fails then.
local function wait_bound(t, port)
  local deadline = core.hrtime() + driver.timeout * 1e6
  while true do
    local _, probe = core.udp(4)
    local r = probe:bind("127.0.0.1", port)
    probe:close()
    core.run("nowait")
    if r == core.errno.EADDRINUSE then return end
    assert(core.hrtime() < deadline, "the REPL's socket was not bound\n"
           .. t:transcript())
    t:pump(20)
  end
end

-- Types a session into the REPL on a terminal; returns the lines the
-- screen shows and those the transcript shows, to be compared.
local function run_session(block)
  local port = T.port()
  local _, sender = core.udp(4)
  assert.are.equal(0, sender:bind("127.0.0.1", 0))
  local _, _, sender_port = sender:getsockname()
  local function sub(l)
    return (l:gsub("41234", tostring(port)):gsub("50611", tostring(sender_port)))
  end

  local lines = {}
  for _, l in ipairs(block.lines) do lines[#lines + 1] = sub(l) end
  local whole = lines[1]:match("^%$") ~= nil
  if whole then table.remove(lines, 1) end

  local home = tmpdir()
  local t = driver.spawn({ bin }, { HOME = home, LUDP_HISTORY = "" })
  sessions[#sessions + 1] = t
  t:expect_cursor_line(">")

  local expected, tabbed, exited = {}, false, false
  for _, l in ipairs(lines) do
    local prompt, text = l:match("^(>>?) (.*)$")
    if not prompt and (l == ">" or l == ">>") then prompt, text = l, "" end
    if prompt then
      local shown = text:gsub("<TAB>", "")
      expected[#expected + 1] = (prompt .. " " .. shown):gsub("%s+$", "")
      if tabbed then t:send("\21") end          -- Ctrl-U: a fresh line
      t:expect_cursor_line(prompt)
      if text:find("<TAB>", 1, true) then
        t:send((text:gsub("<TAB>", "\t")))
        tabbed = true
      else
        t:send(text .. "\r")
        if text == ".exit" then
          exited = true
          break
        end
        t:expect("\n")                          -- the line was taken
        tabbed = false
      end
    elseif #expected > 0 or not whole then
      expected[#expected + 1] = l
      if l:match("^got ") then                  -- from "another terminal",
        wait_bound(t, port)                     -- once the REPL listens
        local status = sender:send("hello", "127.0.0.1", port)
        core.run("nowait")
        assert.is_true(status >= 0)
      end
      t:expect(l)
    else                                        -- the banner
      expected[#expected + 1] = l
    end
  end
  sender:close()
  core.run("nowait")
  local screen
  if exited then
    assert.are.equal(0, t:wait_exit())
    screen = lines_of(t:screen())
  else                                          -- a fragment: up to the
    t:expect_cursor_line(">")                   -- prompt it leaves
    screen = lines_of(t:screen())
    table.remove(screen)
  end
  if not whole then table.remove(screen, 1) end -- the banner
  return screen, expected
end

-- Runs a `$ printf ... | ludp -i` line; returns its output's lines and
-- the transcript's.
local function run_pipe(block)
  local cmd = block.lines[1]:match("^%$ (.*)$")
  cmd = cmd:gsub("| ludp ", "| " .. quote(bin) .. " ")
  local p = io.popen("cd " .. quote(tmpdir()) .. " && HOME=. " .. cmd .. " 2>&1")
  local out = p:read("a")
  p:close()
  return lines_of(out), { table.unpack(block.lines, 2) }
end

describe("the REPL transcripts of the docs", function()
  for _, file in ipairs({ "README.md", "docs/repl.md" }) do
    for _, block in ipairs(transcripts(file)) do
      it(("are true: %s:%d"):format(block.file, block.line), function()
        local got, expected
        if block.lines[1]:match("^%$ .*| ludp") then
          got, expected = run_pipe(block)
        else
          got, expected = run_session(block)
        end
        assert.are.same(expected, got)
      end)
    end
  end

  it("are found: four of them", function()
    assert.are.equal(1, #transcripts("README.md"))
    assert.are.equal(3, #transcripts("docs/repl.md"))
  end)
end)
