-- A JSON request/response server over UDP, on lua-cjson. Each datagram
-- is one request; each gets one datagram back, to its sender:
--
--   request   {"id": 1, "op": "add", "args": [1, 2, 3]}
--   response  {"id": 1, "result": 6}
--   or        {"id": 1, "error": "unknown op: frobnicate"}
--
-- ops: add (the sum of args), upper (args[1] upper-cased), echo (args
-- back), shutdown (answers "bye" and closes the server). The server keeps
-- no state, so a request sent twice (a client retrying) is answered twice.
--
--   ludp examples/json_server.lua [port] [address]
--
-- Defaults: port 41235 on 127.0.0.1. SIGTERM closes it too. Try it with
-- examples/json_client.lua.

local dgram = require("dgram")
local cjson = require("cjson")

local port = tonumber(arg[1]) or 41235
local address = arg[2] or "127.0.0.1"

local server = dgram.createSocket("udp4")

local ops = {}

function ops.add(args)
  local sum = 0
  for i, v in ipairs(args) do
    if type(v) ~= "number" then error("args[" .. i .. "] is not a number", 0) end
    sum = sum + v
  end
  return sum
end

function ops.upper(args)
  if type(args[1]) ~= "string" then error("args[1] is not a string", 0) end
  return args[1]:upper()
end

function ops.echo(args)
  return args
end

function ops.shutdown()
  setImmediate(function()
    print("json server closing")
    server:close()
  end)
  return "bye"
end

-- The response to one datagram, as a table.
local function answer(msg)
  local ok, req = pcall(cjson.decode, msg)
  if not ok or type(req) ~= "table" then
    return { id = cjson.null, error = "bad request: not a JSON object" }
  end
  local id = req.id == nil and cjson.null or req.id
  local op = ops[req.op]
  if not op then
    return { id = id, error = "unknown op: " .. tostring(req.op) }
  end
  local args = type(req.args) == "table" and req.args or {}
  local done, result = pcall(op, args)
  if not done then return { id = id, error = tostring(result) } end
  return { id = id, result = result }
end

server:on("message", function(msg, rinfo)
  local response = answer(msg)
  print(string.format("%s:%d %s -> %s", rinfo.address, rinfo.port, msg,
                      cjson.encode(response)))
  server:send(cjson.encode(response), rinfo.port, rinfo.address)
end)

server:on("error", function(err)
  io.stderr:write("json server error: ", tostring(err), "\n")
end)

server:on("listening", function()
  local a = server:address()
  print(string.format("json server listening %s:%d", a.address, a.port))
end)

process.on("SIGTERM", function() server:close() end)

server:bind(port, address)
