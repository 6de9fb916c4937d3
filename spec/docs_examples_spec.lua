-- Spec for docs/*.md: every Lua example of the documentation runs, so the
-- examples cannot rot. Each ```lua block runs in a fresh process with a
-- timeout and must exit with status 0 by itself (tests/docs_blocks.lua
-- says how a block is marked: a ludp script, a stock lua5.4 script, a
-- busted spec, or not run). The reference must also cover the whole API
-- of the contract: every dgram function, socket method, event and error
-- code has a heading or a row in docs/reference.md.

local source = os.getenv("LUDP_SOURCE") or "."
local build = os.getenv("LUDP_BUILD") or (source .. "/build")
local ludp_bin = os.getenv("LUDP_BIN") or (build .. "/ludp")
local docs_blocks = dofile(source .. "/tests/docs_blocks.lua")

local TIMEOUT = 30   -- seconds per example

local quote = require("helpers").quote

local function abs(path)
  if path:sub(1, 1) == "/" then return path end
  local p = io.popen("pwd")
  local cwd = p:read("l")
  p:close()
  return cwd .. "/" .. path
end

-- Runs a shell command; returns its exit status and its output.
local function sh(cmd)
  local p = io.popen(cmd .. " </dev/null 2>&1")
  local out = p:read("a")
  local _, _, code = p:close()
  return code, out
end

-- The documentation files, sorted.
local function doc_files()
  local p = io.popen("ls " .. quote(source) .. "/docs/*.md 2>/dev/null")
  local files = {}
  for f in p:lines() do files[#files + 1] = f end
  p:close()
  table.sort(files)
  return files
end

-- Stock lua5.4 cannot load a core.so built with the sanitizers: when this
-- spec itself runs inside the ludp host (the ASan build), the stock-Lua and
-- busted examples run inside the host too.
local in_host = package.preload["ludp.core"] ~= nil
local lua_bin = in_host and ludp_bin or "lua5.4"
local lpath = abs(source) .. "/lua/?.lua;" .. abs(source) .. "/lua/?/init.lua"
local cpath = abs(build) .. "/lib/?.so"

local tmpdir

local function command_for(block, file)
  local t = "timeout -k 5 " .. TIMEOUT .. " "
  if block.kind == "ludp" then
    return t .. quote(ludp_bin) .. " " .. quote(file)
  elseif block.kind == "lua5.4" then
    return "LUA_PATH=" .. quote(lpath .. ";;") .. " LUA_CPATH=" ..
      quote(cpath .. ";;") .. " " .. t .. quote(lua_bin) .. " " .. quote(file)
  elseif block.kind == "busted" then
    -- busted re-runs itself under --lua without quoting the paths, so they
    -- go through a .busted file in the (empty) directory it runs in.
    local dir = file:gsub("%.lua$", ".d")
    os.execute("mkdir -p " .. quote(dir))
    local fh = assert(io.open(dir .. "/.busted", "w"))
    fh:write(string.format("return { _all = { lua = %q, lpath = %q, " ..
                           "cpath = %q } }\n", lua_bin, lpath, cpath))
    fh:close()
    return "cd " .. quote(dir) .. " && " .. t .. "busted -o TAP " .. quote(file)
  end
end

describe("the examples of docs/", function()
  setup(function()
    local p = io.popen("mktemp -d")
    tmpdir = p:read("l")
    p:close()
  end)

  teardown(function()
    if tmpdir then os.execute("rm -rf " .. quote(tmpdir)) end
  end)

  local files = doc_files()

  it("exist", function()
    assert.is_true(#files >= 3, "expected docs/reference.md, guide.md, production.md")
    local total = 0
    for _, f in ipairs(files) do
      for _, b in ipairs(docs_blocks.extract(f)) do
        if b.kind ~= "norun" then total = total + 1 end
      end
    end
    assert.is_true(total >= 50, "only " .. total .. " runnable examples")
  end)

  for _, f in ipairs(files) do
    for _, block in ipairs(docs_blocks.extract(f)) do
      if block.kind ~= "norun" then
        local where = f:gsub("^.*/docs/", "docs/") .. ":" .. block.line
        it(where .. " runs (" .. block.kind .. ")", function()
          local file = tmpdir .. "/" .. docs_blocks.name(block)
          local fh = assert(io.open(file, "w"))
          fh:write(block.code)
          fh:close()
          local code, out = sh(command_for(block, file))
          if code ~= 0 then
            error(string.format("%s exited with status %s%s:\n%s", where,
              tostring(code), code == 124 and " (timed out)" or "", out), 0)
          end
        end)
      end
    end
  end
end)

-- The contract: what docs/reference.md must document.
local API = {
  functions = { "dgram.createSocket", "ludp.async", "ludp.sleep",
                "ludp.wait" },
  methods = {
    "bind", "send", "connect", "disconnect", "remoteAddress", "close",
    "address", "setBroadcast", "setTTL", "setMulticastTTL",
    "setMulticastLoopback", "setMulticastInterface", "addMembership",
    "dropMembership", "addSourceSpecificMembership",
    "dropSourceSpecificMembership", "setRecvBufferSize", "setSendBufferSize",
    "getRecvBufferSize", "getSendBufferSize", "getSendQueueSize",
    "getSendQueueCount", "ref", "unref", "recv", "request", "messages",
  },
  options = { "type", "reuseAddr", "reusePort", "ipv6Only", "recvBufferSize",
              "sendBufferSize", "lookup", "port", "address", "exclusive",
              "fd", "sendHighWaterMark", "timeout", "retries", "match" },
  events = { "message", "listening", "connect", "close", "error", "drain" },
  emitter = { "on", "addListener", "once", "prependListener",
              "prependOnceListener", "off", "removeListener",
              "removeAllListeners", "emit", "listeners", "listenerCount",
              "eventNames", "setMaxListeners" },
  codes = { "ERR_SOCKET_BAD_TYPE", "ERR_SOCKET_BAD_PORT",
            "ERR_INVALID_ARG_TYPE", "ERR_SOCKET_ALREADY_BOUND",
            "ERR_SOCKET_DGRAM_IS_CONNECTED", "ERR_SOCKET_DGRAM_NOT_CONNECTED",
            "ERR_SOCKET_DGRAM_NOT_RUNNING", "ERR_SOCKET_BUFFER_SIZE",
            "ERR_SOCKET_BAD_BUFFER_SIZE", "ERR_MISSING_ARGS",
            "ERR_OUT_OF_RANGE", "ERR_INVALID_ARG_VALUE", "EADDRINUSE",
            "EACCES", "EINVAL", "EMSGSIZE", "ENOTFOUND", "ERR_INVALID_STATE",
            "ETIMEDOUT" },
  globals = { "setTimeout", "clearTimeout", "setInterval", "clearInterval",
              "setImmediate", "clearImmediate", "process.exit",
              "process.exitCode", "process.pid", "process.platform",
              "process.nextTick", "process.on" },
}

describe("docs/reference.md", function()
  local text
  setup(function()
    local fh = assert(io.open(source .. "/docs/reference.md", "r"))
    text = fh:read("a")
    fh:close()
  end)

  local function has_heading(pattern)
    for line in text:gmatch("[^\n]+") do
      if line:match("^#+ ") and line:find(pattern, 1, true) then return true end
    end
    return false
  end

  it("has a section for every function and socket method", function()
    for _, f in ipairs(API.functions) do
      assert.is_true(has_heading(f .. "("), "no heading for " .. f)
    end
    for _, m in ipairs(API.methods) do
      assert.is_true(has_heading("socket:" .. m .. "("),
                     "no heading for socket:" .. m)
    end
    for _, m in ipairs(API.emitter) do
      assert.is_true(has_heading("emitter:" .. m .. "("),
                     "no heading for emitter:" .. m)
    end
    for _, g in ipairs(API.globals) do
      assert.is_true(has_heading(g), "no heading for " .. g)
    end
  end)

  it("has a section for every event", function()
    for _, e in ipairs(API.events) do
      assert.is_true(has_heading("Event: '" .. e .. "'"),
                     "no heading for event " .. e)
    end
  end)

  it("documents every option and every error code", function()
    for _, o in ipairs(API.options) do
      assert.truthy(text:find("`" .. o .. "`", 1, true), "option " .. o)
    end
    for _, c in ipairs(API.codes) do
      assert.truthy(text:find("| `" .. c .. "`", 1, true),
                    "no row for error code " .. c)
      -- and an example that shows it
      assert.truthy(text:find('"' .. c .. '"', 1, true),
                    "no example checking error code " .. c)
    end
  end)
end)
