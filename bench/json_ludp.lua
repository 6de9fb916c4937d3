-- bench/json_ludp.lua - the JSON request/response server of bench/run's
-- JSON workload, on ludp (the "ludp" row of the JSON figures; Node's is
-- bench/json_node.js, the same server line for line).
--
--   ludp bench/json_ludp.lua PORT        (else $PORT) - binds 127.0.0.1:PORT
--
-- Each datagram is a request such as
--   {"id":"00000000000000a1","op":"stats","user":"peer","values":[12,7.5,3]}
-- and gets one reply, to its sender:
--   {"id":"00000000000000a1","count":3,"sum":22.5,"min":3,"max":12,"mean":7.5}
-- or {"id":..., "error":"..."} for a request it cannot answer. The natural
-- script: cjson.decode, the work, cjson.encode, send.

local dgram = require("dgram")
local cjson = require("cjson")

local port = tonumber(arg[#arg]) or tonumber(os.getenv("PORT"))
if not port then
  io.stderr:write("usage: ludp bench/json_ludp.lua PORT\n")
  os.exit(2)
end

local function stats(values)
  local sum, min, max = 0, math.huge, -math.huge
  for i = 1, #values do
    local v = values[i]
    if type(v) ~= "number" then error("values[" .. i .. "] is not a number", 0) end
    sum = sum + v
    if v < min then min = v end
    if v > max then max = v end
  end
  return { count = #values, sum = sum, min = min, max = max, mean = sum / #values }
end

local function answer(msg)
  local ok, req = pcall(cjson.decode, msg)
  if not ok or type(req) ~= "table" then return { error = "not a JSON object" } end
  if req.op ~= "stats" or type(req.values) ~= "table" or #req.values == 0 then
    return { id = req.id, error = "unknown request" }
  end
  local done, res = pcall(stats, req.values)
  if not done then return { id = req.id, error = res } end
  res.id = req.id
  return res
end

local sock = dgram.createSocket("udp4")
sock:on("message", function(msg, rinfo)
  sock:send(cjson.encode(answer(msg)), rinfo.port, rinfo.address)
end)
process.on("SIGTERM", function() sock:close() end)
sock:bind(port, "127.0.0.1")
