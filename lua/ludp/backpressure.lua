-- ludp.backpressure: createSocket's sendHighWaterMark. send() on such a
-- socket returns whether the bytes it holds for sending are still below
-- the mark, and 'drain' follows a false once none are held any more.
--
-- What a socket holds: the sends waiting in dgram's queue (for the bind,
-- or behind a send waiting for its lookup: the queue's byte count and
-- the operation being looked up) and the copies libuv queued after the
-- kernel said EAGAIN (the binding's send_queue size, libuv's own count).
-- A socket with the mark never batches its sends with the replies of a
-- receive batch (dgram's do_send, through _inflight.defer) nor takes the
-- binding's reply form: each of its sends is then one of those, and the
-- completion of the last one libuv held is seen here (dgram calls sent()).
-- A socket without the mark has none of this: its send() returns
-- nothing, as Node's returns undefined.

local core = require("ludp.core")

local type = type
local next_tick = core.next_tick

local backpressure = {}

-- The bytes s holds for sending.
function backpressure.held(s)
  local n = 0
  local q = s._queue
  if q then n = q.bytes end
  local op = s._busy
  if type(op) == "table" and op.data then n = n + #op.data end
  local h = s._handle
  if h then n = n + h:send_queue() end
  return n
end

local function emit_drain(s)
  if not s._closed then s:emit("drain") end
end

-- dgram calls this when what s holds may have gone (a send libuv held
-- completed, the queue ran); opts is s._opts.
function backpressure.sent(s, opts)
  if opts.need_drain and backpressure.held(s) == 0 then
    opts.need_drain = false
    next_tick(emit_drain, s)
  end
end

-- send() of a socket with the mark: dgram's own (upvalue), then whether
-- the socket still takes more.
function backpressure.send_with(send)
  return function(s, ...)
    send(s, ...)
    local opts = s._opts
    if backpressure.held(s) < opts.send_hwm then return true end
    opts.need_drain = true
    return false
  end
end

return backpressure
