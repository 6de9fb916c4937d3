-- ludp.readiness: when a ludp under systemd (Type=notify) is ready, and
-- the two states it reports to $NOTIFY_SOCKET (core.notify).
--
-- Ready means: the main chunk (the script, -e, stdin) has returned, and
-- every bind started before then, or before those binds ended, has
-- completed or failed (dgram counts them: bind_started and bind_ended).
-- A bind's socket is bound when its completion runs, so READY=1 goes out
-- on the next tick after the last one. A bind whose custom lookup never
-- answers holds READY=1 back (systemd's start timeout then fails the
-- unit). STOPPING=1 goes out as the process starts to exit ('exit').
-- Without $NOTIFY_SOCKET nothing is sent: armed() is false and the
-- counting costs a branch.

local core = require("ludp.core")

local readiness = {}

local pending = 0     -- binds started and not yet ended
local armed = false   -- the main chunk returned, READY=1 not sent yet
local sent = false
local stopped = false

local function send_ready()
  if armed and pending == 0 and not sent then
    sent = true
    armed = false
    core.notify("READY=1")
  end
end

function readiness.bind_started()
  pending = pending + 1
end

function readiness.bind_ended()
  if pending > 0 then pending = pending - 1 end
  if armed and pending == 0 then core.next_tick(send_ready) end
end

-- Called by ludp.host once the main chunk has returned.
function readiness.main_returned()
  if sent or not os.getenv("NOTIFY_SOCKET") then return end
  armed = true
  if pending == 0 then core.next_tick(send_ready) end
end

-- Called by ludp.host as the process starts to exit.
function readiness.stopping()
  if stopped or not os.getenv("NOTIFY_SOCKET") then return end
  stopped = true
  armed = false
  core.notify("STOPPING=1")
end

return readiness
