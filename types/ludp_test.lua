---@meta ludp.test
-- Lua language server (LuaLS) definitions for require("ludp.test"), the
-- helpers for busted suites that drive real sockets on the loop.

---@class ludp.test
---@field timeout integer default timeout of run(), in ms (5000)
local T = {}

---Calls `body(done)`, then runs the loop until `done()` is called. Fails
---on timeout, on a callback of `expect` called another number of times than
---expected, or on handles left active after `done()`.
---@param body fun(done: fun())
---@param timeout? integer ms
function T.run(body, timeout) end

---Wraps `fn` to count its calls; `run` checks the count is exactly `n`.
---@generic F: function
---@param fn? F
---@param n? integer default 1
---@return F
function T.expect(fn, n) end

---A free UDP port on 127.0.0.1 (family 6: ::1).
---@param family? 4|6
---@return integer
function T.port(family) end

return T
