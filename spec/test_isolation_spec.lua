-- Spec for ludp.test's isolation of tests: a test that fails (an assertion
-- in a callback, a missing call, a timeout, an error in its body) reports
-- its own first failure, and the tests after it in the same file pass.
-- It runs busted, as a user does, on fixture specs in a fresh folder, under
-- stock lua5.4 and inside the host, and reads busted's JSON report.

local cjson = require("cjson")
local helpers = require("helpers")
local quote = helpers.quote

local BIN = os.getenv("LUDP_BIN") or "build/ludp"
local SOURCE = os.getenv("LUDP_SOURCE") or "."
local BUILD = os.getenv("LUDP_BUILD") or (SOURCE .. "/build")

local function abs(path)
  if path:sub(1, 1) == "/" then return path end
  local p = io.popen("pwd")
  local cwd = p:read("l")
  p:close()
  return cwd .. "/" .. path
end

-- The fixtures: each file's first tests fail, each in its own way, and
-- leave sockets, timers, immediates, ticks and listeners behind.
local FIXTURES = {
  ["cascade_spec.lua"] = [[
local dgram = require("dgram")
local T = require("ludp.test")
describe("cascade", function()
  it("fails in a callback", function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("message", function(msg)
        process.nextTick(function() error("a later error") end)
        assert.equal("expected", msg)
        s:close(done)
      end)
      s:bind(0, "127.0.0.1", function()
        local c = dgram.createSocket("udp4")
        c:send("hi", s:address().port, "127.0.0.1")
      end)
    end)
  end)
  it("calls twice", function()
    T.run(function(done)
      local f = T.expect(nil, 1)
      f()
      f()
      setTimeout(done, 1)
    end)
  end)
  it("misses a call and leaves everything open", function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:bind(0, "127.0.0.1")
      setInterval(function() end, 1000)
      setImmediate(function() error("an immediate of a failed test") end)
      process.on("SIGUSR2", function() end)
      T.expect(nil, 1)
      done()
    end)
  end)
  it("times out with a socket open", function()
    T.run(function()
      dgram.createSocket("udp4"):bind(0, "127.0.0.1")
    end, 50)
  end)
  it("raises in its body", function()
    T.run(function()
      dgram.createSocket("udp4"):bind(0, "127.0.0.1")
      error("the body failed")
    end)
  end)
  it("passes", function()
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("message", T.expect(function(msg)
        assert.equal("hi", msg)
        s:close(done)
      end))
      s:bind(0, "127.0.0.1", function()
        local c = dgram.createSocket("udp4")
        c:send("hi", s:address().port, "127.0.0.1", function() c:close() end)
      end)
    end)
  end)
  it("leaves a socket made before it to its caller", function()
    local mine = dgram.createSocket("udp4")
    local ok = pcall(T.run, function()
      mine:bind(0, "127.0.0.1")
      error("a failure")
    end)
    assert.is_false(ok)
    assert.matches("^Socket<udp4 127%.0%.0%.1:%d+ bound>$", tostring(mine))
    mine:close()
    require("ludp").run()
  end)
  it("passes with immediates and timers", function()
    local ran = false
    T.run(function(done)
      setImmediate(function() ran = true end)
      setTimeout(done, 5)
    end)
    assert.is_true(ran)
    assert.equal(0, process.listenerCount("SIGUSR2"))
  end)
end)
]],
}

local dir

setup(function()
  dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. quote(dir .. "/spec")))
  for name, text in pairs(FIXTURES) do
    helpers.write_file(dir .. "/spec/" .. name, text)
  end
end)

teardown(function()
  if dir then os.execute("rm -rf " .. quote(dir)) end
end)

-- busted's report of the fixtures under 'lua', as a table; nil (the test
-- is then pending) where stock lua5.4 cannot load the sanitizer build.
local function run_busted(lua)
  local env = ("LUA_PATH=%s LUA_CPATH=%s"):format(
    quote(abs(SOURCE) .. "/lua/?.lua;" .. abs(SOURCE) .. "/lua/?/init.lua;;"),
    quote(abs(BUILD) .. "/lib/?.so;;"))
  local cmd = ("cd %s && env -u LUA_PATH_5_4 -u LUA_CPATH_5_4 %s busted " ..
               "--lua=%s -o json 2>&1"):format(quote(dir), env, quote(lua))
  local p = io.popen(cmd)
  local out = p:read("a")
  p:close()
  if out:find("ASan runtime", 1, true) then
    pending("core.so is built with AddressSanitizer")
    return nil
  end
  local ok, report = pcall(cjson.decode, out:match("{.*}") or "")
  assert(ok and type(report) == "table", "busted said:\n" .. out)
  return report
end

local function by_name(list)
  local t = {}
  for _, r in ipairs(list) do t[r.element.name] = r.message or true end
  return t
end

local function check(report)
  local passed = by_name(report.successes)
  local failed = by_name(report.failures)
  local errored = by_name(report.errors)
  assert.is_true(passed["passes"], "passes")
  assert.is_true(passed["passes with immediates and timers"])
  assert.is_true(passed["leaves a socket made before it to its caller"])
  assert.equal(3, #report.successes)
  -- each failed test with its own first failure
  assert.matches("cascade_spec.lua:9: Expected objects to be equal",
                 failed["fails in a callback"], 1, true)
  assert.equal(1, #report.failures)
  assert.equal(4, #report.errors)
  assert.equal("spec/cascade_spec.lua:19: callback expected 1 call(s), " ..
               "got 2, made by T.expect at\n" ..
               "\tspec/cascade_spec.lua:20: in upvalue 'body'",
               errored["calls twice"])
  assert.matches("cascade_spec.lua:27: callback expected 1 call(s), got 0",
                 errored["misses a call and leaves everything open"], 1, true)
  assert.matches("timed out after 50 ms",
                 errored["times out with a socket open"], 1, true)
  assert.matches("cascade_spec.lua:%d+: the body failed",
                 errored["raises in its body"])
  for _, r in ipairs(report.errors) do
    assert.is_nil(r.message:find("handles left active", 1, true), r.message)
    assert.is_nil(r.message:find("busted/", 1, true), r.message)
    assert.is_nil(r.message:find("a later error", 1, true), r.message)
  end
end

describe("ludp.test after a failed test", function()
  it("runs the next tests clean, under stock lua5.4", function()
    local report = run_busted("lua5.4")
    if report then check(report) end
  end)

  it("runs the next tests clean, inside the host", function()
    check(run_busted(abs(BIN)))
  end)
end)

describe("the core's calls behind it", function()
  local core = require("ludp.core")
  local dgram = require("dgram")

  it("core.udp_owners() lists the sockets whose handle is open", function()
    local T = require("ludp.test")
    T.run(function(done)
      local a, b = dgram.createSocket("udp4"), dgram.createSocket("udp4")
      local function has(s)
        for _, o in ipairs(core.udp_owners()) do
          if o == s then return true end
        end
        return false
      end
      assert.is_true(has(a) and has(b))
      b:close(function()
        assert.is_true(has(a))
        assert.is_false(has(b))
        a:close(done)
      end)
      assert.is_false(has(b))              -- closed for its user at once
    end)
  end)

  it("core.close_handles() closes timers and raw UDP handles, and checks its arguments", function()
    local _, u = core.udp(4)
    assert.are.equal(0, u:bind("127.0.0.1", 0))
    local t = core.timer()
    t:start(100000, 0, function() end)
    assert.is_true(core.close_handles("udp", "timer") >= 2)
    assert.is_true(u:is_closing() and t:is_closing())
    core.run("nowait")
    assert.are.same({}, core.handles())
    assert.are.equal(0, core.close_handles("udp"))
    assert.has_error(function() core.close_handles("signal") end)
    assert.has_error(function() core.close_handles(42) end)
  end)
end)
