-- Spec: systemd readiness (Type=notify). The spec plays systemd: a Unix
-- datagram socket (tests/notify/notify_listen, LUDP_NOTIFY_LISTEN), named
-- by $NOTIFY_SOCKET as a path in a temporary folder or as '@name' in the
-- abstract namespace. ludp sends READY=1 once the script has returned and
-- its binds have completed (the listener checks a file the script makes
-- in its bind callback: it must exist when READY=1 arrives, although the
-- bind waited for a lookup), and STOPPING=1 when it exits. With
-- --workers the supervisor sends one READY=1 once every worker is ready.

local helpers = require("helpers")

local BIN = os.getenv("LUDP_BIN") or "build/ludp"
local LISTEN = os.getenv("LUDP_NOTIFY_LISTEN")
local q = helpers.quote

local dir
before_each(function()
  local p = io.popen("mktemp -d")
  dir = p:read("l")
  p:close()
end)
after_each(function() os.execute("rm -rf " .. q(dir)) end)

-- A server whose bind waits 100 ms for its (custom) lookup, then makes
-- the file arg[1]; it stops on a datagram "stop" or on SIGTERM.
local SERVER = [[
local dgram = require("dgram")
io.stdout:setvbuf("line")
local s = dgram.createSocket({ type = "udp4", lookup = function(_, _, cb)
  setTimeout(function() cb(nil, "127.0.0.1", 4) end, 100)
end })
process.on("SIGTERM", function() s:close() end)
s:bind(0, "waiting.invalid", function()
  local f = assert(io.open(arg[1] .. (process.workerId or ""), "w"))
  f:close()
  print("bound " .. (process.workerId or 0))
end)
]]

-- Starts the listener for 'count' datagrams on 'sock'; waits until it
-- listens.
local function listen(sock, count, ...)
  local files = ""
  for _, f in ipairs({ ... }) do files = files .. " " .. q(f) end
  local p = assert(io.popen("exec " .. q(LISTEN) .. " " .. q(sock) .. " " ..
                            count .. files))
  assert.equal("listening", p:read("l"))
  return p
end

describe("systemd readiness", function()
  if not LISTEN then
    it("needs LUDP_NOTIFY_LISTEN (tests/notify/notify_listen)", function()
      pending("run through ctest: LUDP_NOTIFY_LISTEN is not set")
    end)
    return
  end

  for _, kind in ipairs({ "path", "abstract" }) do
    it("READY=1 after the bind, STOPPING=1 at exit (" .. kind .. ")",
       function()
      local sock = kind == "path" and dir .. "/notify"
                   or "@ludp-spec-" .. dir:match("[^/]+$")
      local file = dir .. "/bound"
      local l = listen(sock, 1, file)
      helpers.write_file(dir .. "/server.lua", SERVER)
      local server = assert(io.popen("echo $$; exec env NOTIFY_SOCKET=" ..
        q(sock) .. " " .. q(BIN) .. " " .. q(dir .. "/server.lua") .. " " ..
        q(file) .. " 2>&1"))
      local pid = server:read("l")
      assert.equal("READY=1 bound", l:read("l"))
      assert.is_true(l:close())
      assert.equal("bound 0", server:read("l"))
      l = listen(sock, 1)
      os.execute("kill -TERM " .. pid)
      assert.equal("STOPPING=1", l:read("l"))
      assert.is_true(l:close())
      assert.equal("", server:read("a"))
      assert.is_true(server:close())
    end)
  end

  it("with --workers, one READY=1 once every worker is bound", function()
    local sock = dir .. "/notify"
    local file = dir .. "/bound"
    local l = listen(sock, 1, file .. "1", file .. "2")
    helpers.write_file(dir .. "/server.lua", SERVER)
    local server = assert(io.popen("echo $$; exec env NOTIFY_SOCKET=" ..
      q(sock) .. " " .. q(BIN) .. " --workers 2 " ..
      q(dir .. "/server.lua") .. " " .. q(file) .. " 2>&1"))
    local pid = server:read("l")
    local lines = { server:read("l"), server:read("l") }
    table.sort(lines)
    assert.same({ "bound 1", "bound 2" }, lines)
    assert.equal("READY=1 bound", l:read("l"))
    assert.is_true(l:close())
    l = listen(sock, 1)
    os.execute("kill -TERM " .. pid)
    assert.equal("STOPPING=1", l:read("l"))
    assert.is_true(l:close())
    assert.equal("", server:read("a"))
    assert.is_true(server:close())
  end)
end)
