-- Spec for createSocket's maxDatagramSize: a datagram longer than it
-- arrives cut to that many bytes with rinfo.truncated = true, and is
-- counted in stats().truncated; one that fits arrives whole, without the
-- field. The option's checks. Loopback only, port 0 only.

local dgram = require("dgram")
local T = require("ludp.test")

local raised = require("helpers").raised

-- Sends each of 'sizes' (bytes) to a socket made with opts; returns the
-- (msg, rinfo) it got for each and its stats() after the last.
local function receive_sizes(opts, sizes)
  local got, stats = {}, nil
  T.run(function(done)
    local server = dgram.createSocket(opts)
    local client = dgram.createSocket(opts.type)
    local host = opts.type == "udp6" and "::1" or "127.0.0.1"
    server:on("message", function(msg, rinfo)
      got[#got + 1] = { msg = msg, rinfo = rinfo }
      if #got == #sizes then
        stats = server:stats()
        client:close()
        server:close(done)
      end
    end)
    server:bind(0, host, function()
      for i, n in ipairs(sizes) do
        client:send(string.rep(string.char(64 + i), n),
                    server:address().port, host)
      end
    end)
  end)
  return got, stats
end

describe("maxDatagramSize", function()
  it("cuts a longer datagram, marks and counts it", function()
    local got, stats = receive_sizes({ type = "udp4", maxDatagramSize = 100 },
                                     { 100, 101, 5000, 0 })
    assert.equal(string.rep("A", 100), got[1].msg)
    assert.is_nil(got[1].rinfo.truncated)
    assert.equal(string.rep("B", 100), got[2].msg)
    assert.is_true(got[2].rinfo.truncated)
    assert.equal(100, got[2].rinfo.size)
    assert.equal(string.rep("C", 100), got[3].msg)
    assert.is_true(got[3].rinfo.truncated)
    assert.equal("", got[4].msg)
    assert.is_nil(got[4].rinfo.truncated)
    assert.equal(2, stats.truncated)
    assert.equal(4, stats.received)
    assert.equal(300, stats.receivedBytes)
  end)

  it("of 1 keeps one byte of each; on IPv6 too", function()
    local got, stats = receive_sizes({ type = "udp6", maxDatagramSize = 1 },
                                     { 1, 2 })
    assert.equal("A", got[1].msg)
    assert.is_nil(got[1].rinfo.truncated)
    assert.equal("B", got[2].msg)
    assert.is_true(got[2].rinfo.truncated)
    assert.equal(1, stats.truncated)
  end)

  it("with recvInfo, both kinds of fields", function()
    local got = receive_sizes({ type = "udp4", maxDatagramSize = 10,
                                recvInfo = true }, { 11 })
    assert.is_true(got[1].rinfo.truncated)
    assert.equal("127.0.0.1", got[1].rinfo.localAddress)
  end)

  it("of 65535, the default, receives the largest datagram whole", function()
    local got, stats = receive_sizes({ type = "udp4",
                                       maxDatagramSize = 65535 }, { 65507 })
    assert.equal(65507, #got[1].msg)
    assert.is_nil(got[1].rinfo.truncated)
    assert.equal(0, stats.truncated)
  end)

  it("is checked", function()
    for _, v in ipairs({ 0, -1, 65536, 1.5, math.huge, 0 / 0 }) do
      local e = raised(dgram.createSocket, { type = "udp4",
                                             maxDatagramSize = v })
      assert.equal("ERR_OUT_OF_RANGE", e.code)
      assert.equal("RangeError", e.name)
    end
    for _, v in ipairs({ "100", true, {} }) do
      local e = raised(dgram.createSocket, { type = "udp4",
                                             maxDatagramSize = v })
      assert.equal("ERR_INVALID_ARG_TYPE", e.code)
    end
  end)
end)
