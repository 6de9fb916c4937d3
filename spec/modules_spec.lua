-- Spec for loading the modules: under stock lua5.4 (busted itself, and a
-- fresh lua5.4 with only package.path/cpath set) and inside the host,
-- where cjson is preloaded (lua-cjson, opened on the first require).

local BIN = os.getenv("LUDP_BIN") or "build/ludp"
local SOURCE = os.getenv("LUDP_SOURCE") or "."
local BUILD = os.getenv("LUDP_BUILD") or (SOURCE .. "/build")

local MODULES = { "dgram", "events", "timers", "ludp" }

local quote = require("helpers").quote

-- Runs a shell command line; returns exit code, stdout, stderr.
local function sh(cmd)
  local out, err = os.tmpname(), os.tmpname()
  local _, how, n = os.execute(cmd .. " </dev/null >" .. quote(out)
                               .. " 2>" .. quote(err))
  local function slurp(path)
    local f = assert(io.open(path, "rb"))
    local s = f:read("a")
    f:close()
    os.remove(path)
    return s
  end
  return how == "signal" and 128 + n or n, slurp(out), slurp(err)
end

describe("under stock lua5.4 (this busted run)", function()
  for _, name in ipairs(MODULES) do
    it("require('" .. name .. "') loads", function()
      local ok, m = pcall(require, name)
      assert.is_true(ok, tostring(m))
      assert.is_table(m)
    end)
  end

  it("events is the EventEmitter class, also as .EventEmitter", function()
    local events = require("events")
    assert.equal(events, events.EventEmitter)
    local e = events.EventEmitter.new()
    local got
    e:on("x", function(v) got = v end)
    assert.is_true(e:emit("x", 7))
    assert.equal(7, got)
    local Sub = events:extend()
    local s = Sub.new()
    assert.is_function(s.on)
  end)

  it("ludp.run() runs the loop until nothing referenced is left",
     function()
    local ludp = require("ludp")
    local timers = require("timers")
    local log = {}
    timers.setTimeout(function()
      log[#log + 1] = "timeout"
      timers.setImmediate(function() log[#log + 1] = "immediate" end)
    end, 1)
    assert.is_false(ludp.run())
    assert.same({ "timeout", "immediate" }, log)
  end)

  it("ludp.run('nowait') and ('once') run one pass", function()
    local ludp = require("ludp")
    local timers = require("timers")
    local n = 0
    timers.setImmediate(function() n = n + 1 end)
    ludp.run("nowait")
    assert.equal(1, n)
    timers.setImmediate(function() n = n + 1 end)
    ludp.run("once")
    assert.equal(2, n)
    assert.has_error(function() ludp.run("twice") end)
  end)

  -- A loop started from a nextTick callback that run() drains before its
  -- pass (a bind callback, 'listening') could never drain the queue: it
  -- would wait for ever. Refused as from any other callback. "nowait",
  -- so that a run that is not refused shows as a failure, not a hang.
  it("ludp.run() from a callback drained before the pass raises",
     function()
    local ludp = require("ludp")
    local dgram = require("dgram")
    local results = {}
    local function try() results[#results + 1] = { pcall(ludp.run, "nowait") } end
    local s = dgram.createSocket("udp4")
    s:on("listening", try)
    s:bind(0, "127.0.0.1", function()
      try()
      require("ludp.process").nextTick(try)
      s:close()
    end)
    ludp.run()
    assert.equal(3, #results)
    for _, r in ipairs(results) do
      assert.is_false(r[1])
      assert.matches("the event loop is already running", r[2], 1, true)
    end
    -- A timer callback: the same (inside the pass).
    local timers = require("timers")
    local r
    timers.setTimeout(function() r = { pcall(ludp.run, "nowait") } end, 0)
    ludp.run()
    assert.is_false(r[1])
    assert.matches("the event loop is already running", r[2], 1, true)
  end)

  it("install_globals sets the Node globals into a given table", function()
    local env = require("ludp").install_globals({})
    for _, name in ipairs({ "setTimeout", "clearTimeout", "setInterval",
                            "clearInterval", "setImmediate", "clearImmediate",
                            "process" }) do
      assert.is_not_nil(env[name], name)
    end
    assert.equal(require("timers").setTimeout, env.setTimeout)
    assert.equal(require("ludp.process"), env.process)
  end)
end)

-- Runs 'body' in a fresh lua5.4 whose package.path/cpath reach lua/ and
-- build/lib; returns its code, stdout and stderr, or nothing (the spec is
-- then pending) where the core is the sanitizer build's, which stock
-- lua5.4 cannot load (the release build's run of this spec covers it).
local function fresh_lua(body)
  local chunk = ("package.path = %q .. ';' .. package.path\n" ..
                 "package.cpath = %q .. ';' .. package.cpath\n"):format(
    SOURCE .. "/lua/?.lua;" .. SOURCE .. "/lua/?/init.lua",
    BUILD .. "/lib/?.so") .. body
  local code, out, err = sh("lua5.4 -e " .. quote(chunk))
  if code ~= 0 and err:find("ASan runtime", 1, true) then
    pending("core.so is built with AddressSanitizer")
    return
  end
  return code, out, err
end

describe("under a fresh lua5.4", function()
  it("loads every module once package.path/cpath reach lua/ and build/",
     function()
    local code, out, err = fresh_lua([[
      for _, name in ipairs({ "dgram", "events", "timers", "ludp" }) do
        assert(type(require(name)) == "table", name)
      end
      local ludp = require("ludp")
      ludp.install_globals()
      setTimeout(function(v) print("timer", v) end, 1, "fired")
      process.nextTick(function() print("tick") end)
      print("alive", ludp.run())
    ]])
    if not code then return end
    assert.equal(0, code, err)
    assert.equal("tick\ntimer\tfired\nalive\tfalse\n", out)
  end)

  -- A spec under busted --lua=lua5.4 sees what it sees inside the host.
  it("has the host's globals once ludp.test is required", function()
    local code, out, err = fresh_lua([[
      assert(setTimeout == nil and process == nil)
      require("ludp.test")
      for _, name in ipairs({ "setTimeout", "clearTimeout", "setInterval",
                              "clearInterval", "setImmediate",
                              "clearImmediate" }) do
        assert(type(_G[name]) == "function", name)
      end
      assert(type(process) == "table" and process.nextTick)
      print("ok")
    ]])
    if not code then return end
    assert.equal(0, code, err)
    assert.equal("ok\n", out)
  end)
end)

describe("inside the host", function()
  it("has cjson", function()
    local code, out, err = sh(quote(BIN) .. " -e "
      .. quote('print(require("cjson").encode({a=1}))'))
    assert.equal(0, code, err)
    assert.equal('{"a":1}\n', out)
  end)

  it("has every module, without any search path", function()
    local code, out, err = sh("LUA_PATH=';;' LUA_CPATH=';;' LUA_INIT= "
      .. "LUA_PATH_5_4=';;' LUA_CPATH_5_4=';;' " .. quote(BIN) .. " -e "
      .. quote([[
        package.path, package.cpath = "", ""
        for _, name in ipairs({ "dgram", "events", "timers", "ludp",
                                "cjson" }) do
          io.write(name, " ", type(require(name)), "\n")
        end
        local events = require("events")
        print(events.EventEmitter == events)
      ]]))
    assert.equal(0, code, err)
    assert.equal("dgram table\nevents table\ntimers table\nludp table\n"
                 .. "cjson table\ntrue\n", out)
  end)

  -- The host drains the script's nextTick queue before the loop starts:
  -- a bind callback runs there. Its loop of run("once") used to wait for
  -- ever (timeout: a watchdog against that hang).
  it("refuses ludp.run() from a bind callback of the script", function()
    local code, out, err = sh(quote(BIN) .. " -e " .. quote([[
      local ludp = require("ludp")
      local s = require("dgram").createSocket("udp4")
      s:bind(0, "127.0.0.1", function()
        print(pcall(ludp.run, "nowait"))
        s:close()
      end)
    ]]))
    assert.equal(0, code, err)
    assert.matches("^false\t[^\n]*the event loop is already running\n$", out)
    local timeout = os.execute("command -v timeout >/dev/null 2>&1")
                    and "timeout -k 5 60 " or ""
    code, out, err = sh(timeout .. quote(BIN) .. " -e " .. quote([[
      local done = false
      local s = require("dgram").createSocket("udp4")
      s:bind(0, "127.0.0.1", function()
        setTimeout(function() done = true; s:close() end, 1)
        while not done do require("ludp").run("once") end
      end)
    ]]))
    assert.equal(1, code, err)
    assert.equal("", out)
    assert.matches("^ludp: [^\n]*the event loop is already running", err)
  end)

  it("has the globals set, the same as the modules'", function()
    local code, out, err = sh(quote(BIN) .. " -e " .. quote([[
      local timers = require("timers")
      print(setTimeout == timers.setTimeout,
            clearImmediate == timers.clearImmediate,
            process == require("ludp.process"))
    ]]))
    assert.equal(0, code, err)
    assert.equal("true\ttrue\ttrue\n", out)
  end)

  -- libedit (the REPL's line editor) and lua-cjson are opened on first
  -- use, not linked: a script that needs neither does not map them.
  it("links neither libedit nor lua-cjson", function()
    local code, out, err = sh("ldd " .. quote(BIN))
    assert.equal(0, code, err)
    assert.is_nil(out:find("libedit", 1, true), out)
    assert.is_nil(out:find("cjson", 1, true), out)
  end)

  it("maps lua-cjson at require('cjson'), and libedit not for a script", function()
    local code, out, err = sh(quote(BIN) .. " -e " .. quote([[
      local function mapped(name)
        local f = assert(io.open("/proc/self/maps"))
        local maps = f:read("a")
        f:close()
        return maps:find(name, 1, true) ~= nil
      end
      print(mapped("libedit"), mapped("cjson"))
      local cjson = require("cjson")
      print(mapped("libedit"), mapped("liblua5.4-cjson"))
      print(cjson.encode({ a = { 1, cjson.null } }), cjson.decode('"x"'))
      print(require("cjson.safe").decode("{"))
    ]]))
    assert.equal(0, code, err)
    assert.equal("false\tfalse\nfalse\ttrue\n" .. '{"a":[1,null]}\tx\n'
                 .. "nil\tExpected object key string but found T_END at "
                 .. "character 2\n", out)
  end)

  it("says which library is missing when lua-cjson cannot be loaded", function()
    local words, why = require("helpers").without_library("liblua5.4-cjson.so.0")
    if not words then
      pending(why)
      return
    end
    for i, w in ipairs(words) do words[i] = quote(w) end
    local code, out, err = sh(table.concat(words, " ") .. " " .. quote(BIN)
      .. " -e " .. quote([[
        print(pcall(require, "cjson"))
        print(require("dgram") ~= nil)
      ]]))
    assert.equal(0, code, err)
    assert.matches("^false\tmodule 'cjson' needs liblua5%.4%-cjson%.so%.0 "
                   .. "%(Debian: lua%-cjson%): [^\n]+\ntrue\n$", out)
  end)
end)
