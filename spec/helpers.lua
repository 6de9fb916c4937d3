-- Helpers shared by the specs (spec/ is on busted's lpath: see .busted).
-- Nothing here requires the C core at load time, so events_spec can stub it.

local helpers = {}

-- The error raised by fn(...) (fails if none).
function helpers.raised(fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then error("expected an error", 2) end
  return err
end

-- An array that records: log.push(x) appends x.
function helpers.recorder()
  local log, methods = {}, {}
  function methods.push(s) log[#log + 1] = s end
  return setmetatable(log, { __index = methods })
end

-- Runs body(server, client, port, finish) once a server is listening on
-- loopback; the server records every datagram in 'got' (their rinfo in
-- got.rinfo). finish() closes both sockets and ends the run; with n it is
-- called at the n-th datagram. Returns what the server got.
function helpers.with_pair(kind, body, n)
  local got = { rinfo = {} }
  local host = kind == "udp6" and "::1" or "127.0.0.1"
  require("ludp.test").run(function(done)
    local server = require("dgram").createSocket(kind)
    local client = require("dgram").createSocket(kind)
    local function finish()
      client:close()
      server:close(done)
    end
    server:on("message", function(msg, rinfo)
      got[#got + 1] = msg
      got.rinfo[#got] = rinfo
      if n and #got == n then finish() end
    end)
    server:bind(0, host, function()
      body(server, client, server:address().port, finish)
    end)
  end)
  return got
end

-- n lone round trips on 127.0.0.1: a client sends one datagram at a time
-- to an echo server and waits for its echo. hooks.request(i, echo, send)
-- makes request i (echo: the one before, nil for the first) by calling
-- send(data), now or later; optional: hooks.echo(msg, i) on the client,
-- hooks.before_reply(msg, rinfo) and hooks.after_reply() on the server;
-- hooks.timeout, the watchdog's ms (T.run's default otherwise).
function helpers.round_trips(n, hooks)
  local host = "127.0.0.1"
  require("ludp.test").run(function(done)
    local server = require("dgram").createSocket("udp4")
    local client = require("dgram").createSocket("udp4")
    local i = 0
    local function send(data) client:send(data, server:address().port, host) end
    server:on("message", function(msg, rinfo)
      if hooks.before_reply then hooks.before_reply(msg, rinfo) end
      server:send(msg, rinfo.port, rinfo.address)
      if hooks.after_reply then hooks.after_reply() end
    end)
    client:on("message", function(msg)
      i = i + 1
      if hooks.echo then hooks.echo(msg, i) end
      if i < n then return hooks.request(i + 1, msg, send) end
      client:close()
      server:close(done)
    end)
    server:bind(0, host, function()
      client:bind(0, host, function() hooks.request(1, nil, send) end)
    end)
  end, hooks.timeout)
end

-- The messages only, for assert.same.
function helpers.texts(got)
  local out = {}
  for i, m in ipairs(got) do out[i] = m end
  return out
end

-- A word for sh: s (any value, through tostring) in single quotes.
function helpers.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- The contents of a file; nil when it does not exist and 'optional' is
-- set, else an error.
function helpers.read_file(path, optional)
  local fh, err = io.open(path, "rb")
  if not fh then
    if optional then return nil end
    error(err, 2)
  end
  local s = fh:read("a")
  fh:close()
  return s
end

function helpers.write_file(path, text)
  local fh = assert(io.open(path, "wb"))
  fh:write(text)
  fh:close()
end

-- The words that run a command with the shared library 'soname' failing
-- to load: in a private mount namespace, /dev/null is bound over the file
-- the dynamic linker finds ("file too short"). Append the command's words.
-- nil and the reason where unshare or the mount is not allowed.
function helpers.without_library(soname)
  local p = io.popen("PATH=$PATH:/sbin:/usr/sbin ldconfig -p 2>/dev/null")
  local list = p:read("a")
  p:close()
  local pattern = "\n%s*" .. soname:gsub("%p", "%%%0") .. " %b() => (%S+)"
  local path = list:match(pattern)
  if not path then return nil, soname .. " is not in ldconfig's cache" end
  local mount = 'mount --bind /dev/null "$0" && exec "$@"'
  for _, unshare in ipairs({ "unshare -m", "unshare -rm" }) do
    local cmd = unshare .. " sh -c " .. helpers.quote(mount) .. " "
                .. helpers.quote(path) .. " true >/dev/null 2>&1"
    if os.execute(cmd) then
      local words = {}
      for w in unshare:gmatch("%S+") do words[#words + 1] = w end
      for _, w in ipairs({ "sh", "-c", mount, path }) do
        words[#words + 1] = w
      end
      return words
    end
  end
  return nil, "cannot bind-mount in a private mount namespace (unshare -m)"
end

-- temp = helpers.temp_files(after_each): temp([text]) makes a temporary
-- file (with text in it) that is removed, as a folder too, after the test
-- (the spec's after_each is busted's, which only the spec can see).
function helpers.temp_files(after_each)
  local temps = {}
  after_each(function()
    for _, path in ipairs(temps) do
      os.execute("rm -rf " .. helpers.quote(path))
    end
    temps = {}
  end)
  return function(text)
    local path = os.tmpname()
    temps[#temps + 1] = path
    if text then helpers.write_file(path, text) end
    return path
  end
end

-- The open sockets of this process. Sockets only: the pipe of io.popen
-- shows once or twice, depending on whether ls looks before or after
-- popen closed the child's end in this process.
function helpers.open_sockets()
  local pid = require("ludp.core").pid -- when called: see the top
  local p = assert(io.popen("ls -l /proc/" .. pid .. "/fd"))
  local n = 0
  for line in p:lines() do
    if line:find("-> socket:", 1, true) then n = n + 1 end
  end
  p:close()
  return n
end

return helpers
