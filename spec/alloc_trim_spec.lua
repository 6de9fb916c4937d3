-- Spec for the host's collectgarbage (src/alloc.c): Lua's own, whose full
-- collection then gives the memory it freed back to the system (the
-- allocator's free lists are trimmed, then malloc's). Its results and
-- errors are stock Lua's; and after a burst RSS comes back. Real
-- processes of LUDP_BIN, next to stock lua5.4 for the comparison.

local helpers = require("helpers")
local quote = helpers.quote

local BIN = os.getenv("LUDP_BIN") or "build/ludp"

-- Runs 'script' with 'cmd' (-e); returns its stdout, stderr and status.
local function run(cmd, script)
  local out, err = os.tmpname(), os.tmpname()
  local _, _, code = os.execute("timeout -k 5 60 " .. cmd .. " -e "
    .. quote(script) .. " >" .. quote(out) .. " 2>" .. quote(err))
  local o, e = helpers.read_file(out), helpers.read_file(err)
  os.remove(out)
  os.remove(err)
  return o, e, code
end

-- The sanitizer build allocates with its own runtime: no pool to trim,
-- and a quarantine that holds freed memory on purpose.
local function sanitized()
  local f = io.popen("ldd " .. quote(BIN) .. " 2>/dev/null")
  local out = f and f:read("a") or ""
  if f then f:close() end
  return out:find("libasan", 1, true) ~= nil
end

describe("the host's collectgarbage", function()
  it("returns what stock Lua's returns, and raises its errors", function()
    local script = [[
      local function show(...)
        local t = table.pack(pcall(collectgarbage, ...))
        for i = 1, t.n do
          local v = t[i]
          if type(v) == "number" then v = math.type(v) end
          t[i] = tostring(v)
        end
        print(table.concat(t, " "))
      end
      show()
      show("collect")
      show("count")
      -- (what "step" returns depends on the collector's mode and state)
      show("isrunning")
      show("stop")
      show("isrunning")
      show("restart")
      show("setpause", 200)
      show("setstepmul", 100)
      show("incremental", 200, 100, 13)
      show("generational", 20, 100)
      show("bogus")
      show(42)
      show({})
      show("step", "x")
      show("generational", 1, "y")
      show("incremental", 1, 2, {})
      show(nil)
    ]]
    local mine, err, code = run(quote(BIN), script)
    assert.equal(0, code, err)
    local stock = run("lua5.4", script)
    assert.equal(stock, mine)
    assert.truthy(mine:find("bad argument #1 to 'collectgarbage' "
      .. "(invalid option 'bogus')", 1, true))
  end)

  it("gives a burst's memory back after a full collection", function()
    if sanitized() then
      print("skipped: the sanitizer build keeps freed memory in its "
            .. "quarantine, on purpose")
      return
    end
    local out, err, code = run(quote(BIN), [[
      local function rss()
        local f = assert(io.open("/proc/self/status"))
        local kb = tonumber(f:read("a"):match("VmRSS:%s*(%d+)"))
        f:close()
        return kb
      end
      collectgarbage()
      local before = rss()
      local rows = {}
      for i = 1, 300000 do rows[i] = { id = i, name = "row " .. i } end
      local peak = rss()
      rows = nil
      collectgarbage()
      print(before, peak, rss())
    ]])
    assert.equal(0, code, err)
    local before, peak, after = out:match("^(%d+)%s+(%d+)%s+(%d+)")
    before, peak, after = tonumber(before), tonumber(peak), tonumber(after)
    assert.is_true(peak - before > 20000, "the burst took " .. (peak - before)
                   .. " kB")
    -- Most of it comes back: the pool's chunks whose blocks are all free,
    -- then malloc's free pages.
    assert.is_true(after - before < (peak - before) / 4,
                   string.format("RSS %d kB before, %d at the peak, %d after",
                                 before, peak, after))
  end)
end)
