-- What the two specs of lua/events.lua share (events_spec and
-- events_classes_spec): a stub of the C core when the real one cannot be
-- found, and two recorders.

-- ludp.errors requires the C module ludp.core; stub it only when the real
-- one cannot be found (errors.uv is the only user, and not used here).
package.preload["ludp.core"] = package.preload["ludp.core"]
  or (package.searchpath("ludp.core", package.cpath) == nil and function()
    return { errname = function(n) return "E" .. tostring(n) end }
  end) or nil

local M = {}

-- Records calls: rec.fn is a listener, rec.calls the packed arguments.
function M.recorder()
  local rec = { calls = {} }
  rec.fn = function(...) rec.calls[#rec.calls + 1] = table.pack(...) end
  return rec
end

-- Runs fn with io.stderr replaced; returns what was written to it.
function M.capture_stderr(fn)
  local saved, out = io.stderr, {}
  local fake = {}
  function fake.write(self, ...)
    for i = 1, select("#", ...) do out[#out + 1] = tostring((select(i, ...))) end
    return self
  end
  io.stderr = fake -- luacheck: ignore 122
  local ok, err = pcall(fn)
  io.stderr = saved -- luacheck: ignore 122
  if not ok then error(err, 0) end
  return table.concat(out)
end

return M
