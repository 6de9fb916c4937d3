-- Spec for misuse that used to raise the wrong error: methods called on a
-- wrong receiver (with a dot, on the class, on another object), error
-- builders meeting a __tostring that raises, and strings with a NUL that
-- C would have cut. Each must raise (or report) the Node-shaped error of
-- docs/reference.md, never a plain Lua error.

local dgram = require("dgram")
local EventEmitter = require("events")
local errors = require("ludp.errors")
local process = require("ludp.process")
local helpers = require("helpers")
local raised, quote = helpers.raised, helpers.quote

local BIN = os.getenv("LUDP_BIN") or "build/ludp"

-- Every public method of Socket: its own (lua/dgram.lua), its options
-- (lua/ludp/socket_options.lua) and EventEmitter's.
local SOCKET_METHODS = {
  "bind", "send", "connect", "disconnect", "remoteAddress", "close",
  "address", "getSendQueueSize", "getSendQueueCount", "ref", "unref",
  "setRecvBufferSize", "setSendBufferSize", "getRecvBufferSize",
  "getSendBufferSize", "setBroadcast", "setTTL", "setMulticastTTL",
  "setMulticastLoopback", "setMulticastInterface", "addMembership",
  "dropMembership", "addSourceSpecificMembership",
  "dropSourceSpecificMembership",
}
local EMITTER_METHODS = {
  "on", "addListener", "once", "prependListener", "prependOnceListener",
  "off", "removeListener", "removeAllListeners", "emit", "listeners",
  "rawListeners", "listenerCount", "eventNames", "setMaxListeners",
  "getMaxListeners",
}

-- Arguments that would make each method work on a socket, so that only
-- the receiver is wrong.
local ARGS = {
  bind = { 0, "127.0.0.1" }, send = { "x", 9, "127.0.0.1" },
  connect = { 9, "127.0.0.1" }, setRecvBufferSize = { 8192 },
  setSendBufferSize = { 8192 }, setBroadcast = { true }, setTTL = { 64 },
  setMulticastTTL = { 1 }, setMulticastLoopback = { true },
  setMulticastInterface = { "127.0.0.1" }, addMembership = { "224.0.0.1" },
  dropMembership = { "224.0.0.1" },
  addSourceSpecificMembership = { "127.0.0.1", "232.1.1.1" },
  dropSourceSpecificMembership = { "127.0.0.1", "232.1.1.1" },
  on = { "x", print }, addListener = { "x", print }, once = { "x", print },
  prependListener = { "x", print }, prependOnceListener = { "x", print },
  off = { "x", print }, removeListener = { "x", print }, emit = { "x" },
  listeners = { "x" }, rawListeners = { "x" }, listenerCount = { "x" },
  setMaxListeners = { 3 },
}

local function assert_this(err, expected, received)
  assert.is_true(errors.is_error(err), tostring(err))
  assert.equal("TypeError", err.name)
  assert.equal("ERR_INVALID_ARG_TYPE", err.code)
  assert.equal('The "this" argument must be ' .. expected .. ". Received "
               .. received, err.message)
end

-- What a call with a dot, or on the wrong object, passes as self, and how
-- the message shows it.
local function wrong_receivers()
  return {
    { 5, "type number (5)" },
    { nil, "nil" },
    { "x", 'type string ("x")' },
    { true, "type boolean (true)" },
    { print, "type function" },
    { io.stdout, "an instance of FILE*" },
    { dgram.Socket, "the class Socket" },
    { EventEmitter, "the class EventEmitter" },
  }
end

describe("a Socket method on a wrong receiver", function()
  it("raises ERR_INVALID_ARG_TYPE naming the receiver", function()
    local receivers = wrong_receivers()
    receivers[#receivers + 1] = { {}, "type table" }
    receivers[#receivers + 1] = { EventEmitter.new(),
                                  "an instance of EventEmitter" }
    receivers[#receivers + 1] = { setmetatable({}, dgram.Socket),
                                  "a table that Socket.new did not make" }
    for _, name in ipairs(SOCKET_METHODS) do
      local method = dgram.Socket[name]
      for _, r in ipairs(receivers) do
        local err = raised(method, r[1], table.unpack(ARGS[name] or {}))
        assert_this(err, "an instance of Socket", r[2])
      end
    end
    -- The class is left as it was.
    assert.is_nil(rawget(dgram.Socket, "_events"))
    assert.is_nil(rawget(dgram.Socket, "_closed"))
  end)

  it("sock.send(...) with a dot: the binding's send hands it on", function()
    local s = dgram.createSocket("udp4")
    -- The reply form the binding does in C, and the others.
    assert_this(raised(s.send, "x", 9, "127.0.0.1"), "an instance of Socket",
                'type string ("x")')
    assert_this(raised(s.send, nil, "x", 9, "127.0.0.1"),
                "an instance of Socket", "nil")
    assert_this(raised(s.send, 0 / 0, "x", 9, "127.0.0.1"),
                "an instance of Socket", "type number (" .. tostring(0 / 0) .. ")")
    assert_this(raised(s.send, "x", 9), "an instance of Socket",
                'type string ("x")')
    s:close()
    require("ludp").run("nowait")
  end)

  it("tostring of a table given Socket's metatable raises it too", function()
    local err = raised(tostring, setmetatable({}, dgram.Socket))
    assert_this(err, "an instance of Socket",
                "a table that Socket.new did not make")
  end)

  it("a closed socket is still a Socket: ERR_SOCKET_DGRAM_NOT_RUNNING",
     function()
    local s = dgram.createSocket("udp4")
    s:close()
    assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", raised(s.address, s).code)
    require("ludp").run("nowait")
  end)
end)

describe("an EventEmitter method on a wrong receiver", function()
  local Job = setmetatable({ __name = "Job" }, { __index = EventEmitter })
  Job.__index = Job

  it("raises ERR_INVALID_ARG_TYPE naming the receiver", function()
    local receivers = wrong_receivers()
    receivers[#receivers + 1] = { EventEmitter:extend(), "the class EventEmitter" }
    receivers[#receivers + 1] = { Job, "the class Job" }
    for _, name in ipairs(EMITTER_METHODS) do
      local method = EventEmitter[name]
      for _, r in ipairs(receivers) do
        local err = raised(method, r[1], table.unpack(ARGS[name] or {}))
        assert_this(err, "an instance of EventEmitter", r[2])
      end
    end
    -- No class got listeners or state (each instance would find them).
    for _, class in ipairs({ EventEmitter, dgram.Socket, Job }) do
      assert.is_nil(rawget(class, "_events"))
      assert.is_nil(rawget(class, "_max_listeners"))
    end
    assert.is_nil(getmetatable(EventEmitter))
  end)

  it("works on any other table, as Node's on any object", function()
    local t = {}
    local got
    EventEmitter.on(t, "x", function(v) got = v end)
    assert.is_true(EventEmitter.emit(t, "x", 7))
    assert.equal(7, got)
    local j = EventEmitter.init(setmetatable({}, Job))
    j:on("y", print)
    assert.equal(1, j:listenerCount("y"))
  end)

  it("init takes a table that is not a class, extend a class", function()
    for _, bad in ipairs({ { 5, "type number (5)" },
                           { dgram.Socket, "the class Socket" },
                           { EventEmitter, "the class EventEmitter" } }) do
      local err = raised(EventEmitter.init, bad[1])
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.equal('The "object" argument must be a table that is not a ' ..
                   "class. Received " .. bad[2], err.message)
    end
    assert.is_nil(getmetatable(EventEmitter))
    assert_this(raised(EventEmitter.extend, 5), "a class", "type number (5)")
    assert_this(raised(EventEmitter.extend, EventEmitter.new()), "a class",
                "an instance of EventEmitter")
    assert.equal(dgram.Socket, dgram.Socket:extend().super)
  end)

  it("process's methods still take a dot and a colon", function()
    local function f() end
    process.on("x-receiver-test", f)
    process:off("x-receiver-test", f)
    assert.equal(0, process.listenerCount("x-receiver-test"))
  end)
end)

describe("an error built from a value whose __tostring raises", function()
  local bad = setmetatable({}, { __tostring = function() error("boom") end })

  it("setMaxListeners: ERR_OUT_OF_RANGE", function()
    local err = raised(EventEmitter.new().setMaxListeners, EventEmitter.new(),
                       bad)
    assert.equal("ERR_OUT_OF_RANGE", err.code)
    assert.equal('The value of "n" is out of range. It must be a ' ..
                 "non-negative number. Received type table", err.message)
  end)

  it("emit('error', value): ERR_UNHANDLED_ERROR, or the table itself",
     function()
    local e = EventEmitter.new()
    assert.equal(bad, raised(e.emit, e, "error", bad))
    local f = io.tmpfile()         -- a userdata of its own metatable
    debug.setmetatable(f, { __tostring = function() error("boom") end })
    local err = raised(e.emit, e, "error", f)
    assert.equal("ERR_UNHANDLED_ERROR", err.code)
    assert.equal("Unhandled error. (type userdata)", err.message)
    assert.equal(f, err.context)
  end)

  it("the warning of too many listeners", function()
    local e = EventEmitter.new()
    e:setMaxListeners(1)
    local saved = io.stderr
    local written = {}
    local fake = {}
    function fake.write(self, s)
      written[#written + 1] = s
      return self
    end
    io.stderr = fake -- luacheck: ignore 122
    local ok, err = pcall(function()
      e:on(bad, print)
      e:on(bad, print)
    end)
    io.stderr = saved -- luacheck: ignore 122
    assert.is_true(ok, tostring(err))
    assert.matches("2 type table listeners added", written[1], 1, true)
  end)

  -- The host's report of an uncaught error, and process.exit's of an
  -- error in an 'exit' listener: a table whose keys print through their
  -- __tostring.
  local function run(script)
    local out, errf = os.tmpname(), os.tmpname()
    local _, how, n = os.execute(quote(BIN) .. " -e " .. quote(script)
      .. " </dev/null >" .. quote(out) .. " 2>" .. quote(errf))
    local r = { code = how == "signal" and 128 + n or n,
                err = helpers.read_file(errf) }
    os.remove(out)
    os.remove(errf)
    return r
  end
  local THROW = [[
    local bad = setmetatable({}, { __tostring = function() error("boom") end })
    local function throw()
      error({ [bad] = 1, [setmetatable({}, getmetatable(bad))] = 2 })
    end
  ]]

  for _, case in ipairs({
    { "the host's report of an uncaught error", "throw()" },
    { "the report of an error in an 'exit' listener",
      "process.on('exit', throw)" },
    { "process.exit's report of an error in an 'exit' listener",
      "process.on('exit', throw) process.exit(0)" },
  }) do
    it(case[1] .. " shows the error", function()
      local r = run(THROW .. case[2])
      assert.equal(1, r.code, r.err)
      assert.matches("^ludp: { %[<table: __tostring failed>%] = %d, " ..
                     "%[<table: __tostring failed>%] = %d }\n", r.err)
      assert.is_nil(r.err:find("boom", 1, true), r.err)
    end)
  end
end)

describe("a string with a NUL that C would cut", function()
  local function assert_nul(err, name, value)
    assert.is_true(errors.is_error(err), tostring(err))
    assert.equal("TypeError", err.name)
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    assert.equal("The argument '" .. name .. "' must be a string without " ..
                 "null bytes. Received " .. string.format("%q", value),
                 err.message)
  end

  it("the multicast calls raise ERR_INVALID_ARG_VALUE", function()
    local s = dgram.createSocket("udp4")
    local group, lo = "224.0.0.1\0junk", "127.0.0.1\0x"
    assert_nul(raised(s.setMulticastInterface, s, lo), "interfaceAddress", lo)
    assert_nul(raised(s.addMembership, s, group), "multicastAddress", group)
    assert_nul(raised(s.dropMembership, s, group), "multicastAddress", group)
    assert_nul(raised(s.addMembership, s, "224.0.0.1", lo),
               "interfaceAddress", lo)
    assert_nul(raised(s.addSourceSpecificMembership, s, lo, "232.1.1.1"),
               "sourceAddress", lo)
    assert_nul(raised(s.dropSourceSpecificMembership, s, "127.0.0.1",
                      "232.1.1.1\0x"), "groupAddress", "232.1.1.1\0x")
    assert_nul(raised(s.addSourceSpecificMembership, s, "127.0.0.1",
                      "232.1.1.1", lo), "interfaceAddress", lo)
    s:close()
    require("ludp").run("nowait")
  end)

  it("cuts a long value at 128 characters", function()
    local s = dgram.createSocket("udp4")
    local long = ("a"):rep(200) .. "\0"
    local err = raised(s.setMulticastInterface, s, long)
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    assert.matches('Received "' .. ("a"):rep(127) .. "...$", err.message)
    s:close()
    require("ludp").run("nowait")
  end)

  it("process.env refuses such names and values, and has no such name",
     function()
    assert_nul(raised(function() process.env["LUDP_NUL\0X"] = "1" end),
               "name", "LUDP_NUL\0X")
    assert_nul(raised(function() process.env.LUDP_NUL = "a\0b" end),
               "value", "a\0b")
    assert.is_nil(os.getenv("LUDP_NUL"))
    process.env.LUDP_NUL = "set"
    assert.is_nil(process.env["LUDP_NUL\0X"])
    process.env.LUDP_NUL = nil
    assert.is_nil(process.env.LUDP_NUL)
  end)
end)
