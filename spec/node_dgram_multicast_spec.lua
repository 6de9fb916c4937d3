-- Node.js's own tests of dgram's multicast calls, carried over to Lua
-- (test/parallel/test-dgram-*.js; spec/README.md lists them all). Each
-- `it` names the Node test it comes from. These check the calls and their
-- errors only, as Node's do; multicast traffic is in
-- spec/dgram_multicast_spec.lua, inside a network namespace. Errors of
-- the system are SystemErrors here (name "SystemError"; Node: "Error").

local dgram = require("dgram")
local core = require("ludp.core")
local T = require("ludp.test")

local raised = require("helpers").raised

-- Runs body(socket) once a socket of kind is bound to port 0; the socket
-- is closed after it.
local function bound(kind, body)
  T.run(function(done)
    local socket = dgram.createSocket(kind)
    socket:bind(0)
    socket:on("listening", T.expect(function()
      body(socket)
      socket:close(done)
    end))
  end)
end

local GROUP = "224.0.0.114"

local function setup()
  return dgram.createSocket({ type = "udp4", reuseAddr = true })
end

describe("Node's dgram multicast tests", function()
  it("test-dgram-membership: the checks of addMembership, " ..
     "dropMembership and the source-specific ones", function()
    for _, m in ipairs({ "addMembership", "dropMembership" }) do
      T.run(function(done)
        local socket = setup()
        socket:close(T.expect(function()
          local err = raised(socket[m], socket, GROUP)
          assert.equal("ERR_SOCKET_DGRAM_NOT_RUNNING", err.code)
          assert.equal("Error", err.name)
          assert.equal("Not running", err.message)
          done()
        end))
      end)
      local socket = setup()
      local err = raised(socket[m], socket)
      assert.equal("ERR_MISSING_ARGS", err.code)
      assert.equal("TypeError", err.name)
      assert.equal('The "multicastAddress" argument must be specified',
                   err.message)
      err = raised(socket[m], socket, "256.256.256.256")
      assert.equal("EINVAL", err.code)
      assert.equal(m .. " EINVAL", err.message)
      socket:close()
    end
    for _, m in ipairs({ "addSourceSpecificMembership",
                         "dropSourceSpecificMembership" }) do
      local socket = setup()
      local err = raised(socket[m], socket, 0, GROUP)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.equal('The "sourceAddress" argument must be of type string. ' ..
                   "Received type number (0)", err.message)
      err = raised(socket[m], socket, GROUP, 0)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.equal('The "groupAddress" argument must be of type string. ' ..
                   "Received type number (0)", err.message)
      err = raised(socket[m], socket, GROUP, "0")
      assert.equal("EINVAL", err.code)
      assert.equal(m .. " EINVAL", err.message)
      socket:close()
    end
    core.run("nowait")
  end)

  it("test-dgram-multicast-loopback: 'setMulticastLoopback EBADF' when " ..
     "unbound; returns its argument once bound", function()
    local socket = dgram.createSocket("udp4")
    local err = raised(socket.setMulticastLoopback, socket, 16)
    assert.equal("EBADF", err.code)
    assert.equal("setMulticastLoopback EBADF", err.message)
    socket:close()
    core.run("nowait")
    bound("udp4", function(s)
      assert.equal(16, s:setMulticastLoopback(16))
      assert.equal(0, s:setMulticastLoopback(0))
    end)
  end)

  it("test-dgram-multicast-set-interface: the interface checks of udp4 " ..
     "and udp6 sockets", function()
    bound("udp4", function(s)
      assert.is_nil(s:setMulticastInterface("0.0.0.0"))  -- default choice
      -- Succeeds, or EINVAL, or ENOPROTOOPT (Linux), by platform.
      local ok, err = pcall(s.setMulticastInterface, s, "::")
      assert.is_true(ok or err.code == "EINVAL" or err.code == "ENOPROTOOPT")
      err = raised(s.setMulticastInterface, s, 1)
      assert.equal("TypeError", err.name)
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      err = raised(s.setMulticastInterface, s, "224.0.0.2")  -- no unicast
      assert.equal("SystemError", err.name)
    end)
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:bind(0, T.expect(function()
        s:close(T.expect(function()
          local err = raised(s.setMulticastInterface, s, "0.0.0.0")
          assert.equal("Not running", err.message)
          done()
        end))
      end))
    end)
    bound("udp6", function(s)
      assert.equal("EINVAL", raised(s.setMulticastInterface, s,
                                    "undefined").code)
      assert.equal("EINVAL", raised(s.setMulticastInterface, s, "").code)
      -- An unknown scope becomes #0, the default choice.
      s:setMulticastInterface("::%lo0")
    end)
  end)

  it("test-dgram-multicast-setTTL: returns its argument; 1000 " ..
     "'setMulticastTTL EINVAL'; a string ERR_INVALID_ARG_TYPE", function()
    bound("udp4", function(s)
      assert.equal(16, s:setMulticastTTL(16))
      local err = raised(s.setMulticastTTL, s, 1000)
      assert.equal("EINVAL", err.code)
      assert.equal("setMulticastTTL EINVAL", err.message)
      err = raised(s.setMulticastTTL, s, "foo")
      assert.equal("ERR_INVALID_ARG_TYPE", err.code)
      assert.equal("TypeError", err.name)
      assert.equal('The "ttl" argument must be of type number. Received ' ..
                   'type string ("foo")', err.message)
    end)
  end)
end)
