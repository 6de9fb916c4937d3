-- What the specs of unix datagram sockets share (unix_dgram_spec and
-- unix_dgram_control_spec): a private folder for their files, fresh
-- paths and abstract names, a shell runner and a socket bound for a test.
--
--   local u = require("unix_helpers").new(setup, teardown, "tag")
--
-- setup and teardown are the spec's own (busted's, which only the spec
-- can see): the folder is made before the spec's tests and removed after.

local dgram = require("dgram")
local core = require("ludp.core")
local quote = require("helpers").quote

local M = {}

function M.new(setup, teardown, tag)
  local u = { dir = nil }
  local serial = 0

  setup(function()
    u.dir = os.tmpname()
    os.remove(u.dir)
    assert(os.execute("mkdir -m 700 " .. quote(u.dir)))
  end)

  teardown(function()
    os.execute("rm -rf " .. quote(u.dir))
  end)

  -- code, output (stderr too) of a shell command.
  function u.sh(cmd)
    local p = io.popen(cmd .. " 2>&1")
    local out = p:read("a")
    local _, _, code = p:close()
    return code, out
  end

  function u.exists(path)
    local f = io.open(path, "r")
    if f then f:close() end
    -- a socket file cannot be opened: ask test(1)
    return f ~= nil or os.execute("test -e " .. quote(path)) == true
  end

  -- A fresh path in the folder, and an abstract name no other run uses.
  function u.path(name)
    serial = serial + 1
    return string.format("%s/%s%d.sock", u.dir, name or "s", serial)
  end

  function u.abstract(name)
    serial = serial + 1
    return string.format("@ludp-%s-%d-%d-%s%d", tag, core.pid, os.time(),
                         name or "a", serial)
  end

  -- Binds a new unix socket to p; after(sock) once listening.
  function u.bound(p, after)
    local s = dgram.createSocket("unix")
    s:on("error", function(err) error(err) end)
    s:bind(p, function() after(s) end)
    return s
  end

  return u
end

return M
