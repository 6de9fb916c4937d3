-- The client of examples/json_server.lua: sends its requests at once,
-- matches each response to its request by id, and sends again a request
-- whose response did not come within the timeout (UDP may lose either
-- datagram), up to a number of attempts. It ends when every request has
-- its answer (status 0), or when one ran out of attempts (status 1).
--
--   ludp examples/json_client.lua [port] [host] [timeout_ms] [attempts]
--
-- Defaults: port 41235, host 127.0.0.1, 500 ms, 5 attempts. Prints
-- "retry <id> (attempt <n>)" for each retry, "answer <id>: <result>" or
-- "answer <id>: error: <message>" for each answer, then "all answered".

local dgram = require("dgram")
local cjson = require("cjson")

local port = tonumber(arg[1]) or 41235
local host = arg[2] or "127.0.0.1"
local timeout = tonumber(arg[3]) or 500
local attempts = tonumber(arg[4]) or 5

local requests = {
  { id = 1, op = "add", args = { 1, 2, 3 } },
  { id = 2, op = "upper", args = { "hello" } },
  { id = 3, op = "echo", args = { "a", 1, true } },
  { id = 4, op = "frobnicate" },
}

local client = dgram.createSocket(host:find(":", 1, true) and "udp6" or "udp4")
local pending = {}          -- id -> { request, timer, tries }
local left = #requests

local function finish(status)
  for _, p in pairs(pending) do clearTimeout(p.timer) end
  pending = {}
  process.exitCode = status
  client:close()
end

local function send(p)
  p.tries = p.tries + 1
  client:send(cjson.encode(p.request), port, host)
end

-- Each request has its own timer: when it fires, the request goes again.
local function on_timeout(p)
  if p.tries >= attempts then
    io.stderr:write(string.format("no answer to %d after %d attempts\n",
                                  p.request.id, p.tries))
    return finish(1)
  end
  send(p)
  print(string.format("retry %d (attempt %d)", p.request.id, p.tries))
  p.timer:refresh()
end

client:on("message", function(msg)
  local ok, res = pcall(cjson.decode, msg)
  if not ok or type(res) ~= "table" then return end     -- not for us
  local p = pending[res.id]
  if not p then return end                              -- a duplicate
  pending[res.id] = nil
  clearTimeout(p.timer)
  if res.error ~= nil then
    print(string.format("answer %d: error: %s", res.id, res.error))
  else
    print(string.format("answer %d: %s", res.id, cjson.encode(res.result)))
  end
  left = left - 1
  if left == 0 then
    print("all answered")
    finish(0)
  end
end)

-- A lost datagram is no error for UDP; anything else is reported.
client:on("error", function(err)
  io.stderr:write("client error: ", tostring(err), "\n")
end)

for _, request in ipairs(requests) do
  local p = { request = request, tries = 0 }
  p.timer = setTimeout(on_timeout, timeout, p)
  pending[request.id] = p
  send(p)
end
