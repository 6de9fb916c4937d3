-- Spec for the host's start when the system gives too little (src/main.c,
-- src/loop.c, src/alloc.c): too few descriptors (ulimit -n from 3 up)
-- and allocations that fail (tests/c/failmalloc.c, preloaded: the N-th
-- malloc, calloc or realloc fails, or every one from the N-th on). A run
-- either works or ends with status 1 and "ludp: <reason>": never by a
-- signal, never with a sanitizer's report. Real processes of LUDP_BIN.

local helpers = require("helpers")
local quote, slurp = helpers.quote, helpers.read_file

local BIN = os.getenv("LUDP_BIN") or "build/ludp"
local SOURCE = os.getenv("LUDP_SOURCE") or "."

-- The script of every run: a socket that sends itself a datagram, so
-- that the loop has work (and allocations) of its own.
local SCRIPT = [[
local s = require("dgram").createSocket("udp4")
s:on("message", function(msg) print(msg) s:close() end)
s:bind(0, "127.0.0.1", function() s:send("hi", s:address().port) end)
]]

-- Watchdog against a hang (shows as status 124).
local TIMEOUT = os.execute("command -v timeout >/dev/null 2>&1")
                and "timeout -k 5 60 " or ""

-- The sanitizer build: its runtime reads /proc before main and spins when
-- it finds no descriptor for it (ulimit -n 3); it must also be told that
-- the shim comes before it.
local function sanitized()
  local f = io.popen("ldd " .. quote(BIN) .. " 2>/dev/null")
  local out = f and f:read("a") or ""
  if f then f:close() end
  return out:find("libasan", 1, true) ~= nil
end
local ASAN = sanitized()

-- Runs the host on SCRIPT: 'limit' descriptors at most (nil: as is),
-- 'vars' its environment's additions (not the watchdog's), with
-- descriptor 'closed' (0, 1 or 2) closed. Returns { code, out, err, what }
-- (death by signal n shows as 128 + n).
local function run(limit, vars, closed)
  local out, err = os.tmpname(), os.tmpname()
  local words = { "env" }
  for k, v in pairs(vars or {}) do words[#words + 1] = k .. "=" .. quote(v) end
  -- Descriptors the test runner left open would count against the
  -- limit (and leave the watchdog none to start with): closed first.
  local inner = "ulimit -c 0; for fd in $(ls /proc/$$/fd); do "
    .. "[ $fd -gt 2 ] && eval \"exec $fd>&-\"; done; "
    .. (limit and "ulimit -n " .. limit .. "; " or "")
    .. "exec " .. TIMEOUT .. table.concat(words, " ") .. " " .. quote(BIN)
    .. " -e " .. quote(SCRIPT)
  -- Set up before the limit: the shell needs descriptors of its own to
  -- redirect.
  local _, how, n = os.execute("bash -c " .. quote(inner)
    .. (closed == 0 and " <&-" or " </dev/null")
    .. (closed == 1 and " >&-" or " >" .. quote(out))
    .. (closed == 2 and " 2>&-" or " 2>" .. quote(err)))
  local r = { code = how == "signal" and 128 + n or n, out = slurp(out),
              err = slurp(err),
              what = (limit and "ulimit -n " .. limit or "")
                     .. (closed and " descriptor " .. closed .. " closed" or "") }
  os.remove(out)
  os.remove(err)
  return r
end

-- Worked, or failed as a host should: status 1, "ludp: <reason>".
local function assert_clean(r)
  local where = r.what .. ":\n" .. r.err
  assert.is_nil(r.err:find("Sanitizer", 1, true), where)
  assert.is_nil(r.err:find("runtime error", 1, true), where)
  if r.code == 0 then
    assert.equal("hi\n", r.out, where)
    assert.equal("", r.err, where)
  else
    assert.equal(1, r.code, where)
    assert.matches("^ludp: %S", r.err, nil, false, where)
  end
end

describe("with too few descriptors", function()
  it("fails with 'ludp: <reason>' and status 1, or works", function()
    local worked = false
    for n = 3, 16 do
      -- With 0, 1 and 2 open, 3 leaves the dynamic loader no descriptor
      -- for libc: stdin closed, so that the host itself starts.
      local runs = { 0 }
      if n >= 4 then runs[2] = false end
      for _, closed in ipairs(runs) do
        if not (ASAN and n == 3) then
          local r = run(n, nil, closed or nil)
          assert_clean(r)
          if r.code ~= 0 then          -- the loop's, or the socket's
            assert.is_truthy(r.err:find("too many open files", 1, true)
                             or r.err:find("EMFILE", 1, true), r.err)
          end
          worked = worked or r.code == 0
        end
      end
    end
    assert.is_true(worked, "never worked up to ulimit -n 16")
  end)

  it("works with stdin, stdout or stderr closed", function()
    for _, closed in ipairs({ 0, 2 }) do
      local r = run(nil, nil, closed)
      assert.equal(0, r.code, r.what .. ": " .. r.err)
      assert.equal("hi\n", r.out)
    end
    -- stdout closed: print fails (its error is the script's), no abort.
    local r = run(nil, nil, 1)
    assert.is_true(r.code == 0 or r.code == 1, r.what .. ": " .. r.err)
  end)
end)

describe("with allocations that fail", function()
  local shim

  setup(function()
    if not os.execute("command -v cc >/dev/null 2>&1") then return end
    local so = os.tmpname()
    if os.execute("cc -shared -fPIC -O1 -o " .. quote(so) .. " "
                  .. quote(SOURCE .. "/tests/c/failmalloc.c") .. " -ldl") then
      shim = so
    else
      os.remove(so)
    end
  end)

  teardown(function()
    if shim then os.remove(shim) end
  end)

  -- The environment of a run with the shim.
  local function env(vars)
    vars.LD_PRELOAD = shim
    if ASAN then
      vars.ASAN_OPTIONS = (os.getenv("ASAN_OPTIONS") or "")
                          .. ":verify_asan_link_order=0"
    end
    return vars
  end

  -- How many allocations a run makes, and the N to fail: every one up to
  -- 'all', then about 'more' spread over the rest (the sanitizer build,
  -- whose Lua objects are each an allocation, makes thousands).
  local function plan(all, more)
    local count = os.tmpname()
    local r = run(nil, env({ FAILMALLOC_COUNT = count }))
    local calls = tonumber(slurp(count))
    os.remove(count)
    assert.equal(0, r.code, r.err)
    assert.is_true(calls ~= nil and calls > 0, "the shim counted nothing")
    local ns = {}
    for n = 1, math.min(calls, all) do ns[#ns + 1] = n end
    local step = math.max(1, (calls - all) // more)
    for n = all + step, calls, step do ns[#ns + 1] = n end
    ns[#ns + 1] = calls + 1          -- past the last: must work
    return ns
  end

  for _, mode in ipairs({ "once", "from then on" }) do
    it("the N-th fails " .. mode .. ": status 1 and 'ludp: ', or works",
       function()
      if not shim then
        pending("no C compiler to build tests/c/failmalloc.c")
        return
      end
      local ns = ASAN and plan(30, 30) or plan(400, 100)
      for _, n in ipairs(ns) do
        local vars = { FAILMALLOC_AT = tostring(n) }
        if mode ~= "once" then vars.FAILMALLOC_ALL = "1" end
        local r = run(nil, env(vars))
        r.what = "failing allocation " .. n .. " " .. mode
        assert_clean(r)
      end
      local r = run(nil, env({ FAILMALLOC_AT = tostring(ns[#ns]) }))
      assert.equal(0, r.code, r.err)
    end)
  end
end)
