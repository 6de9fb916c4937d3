-- Spec for lua/ludp/blocklist.lua: dgram.BlockList as Node's net.BlockList
-- (the cases of Node's test/parallel/test-blocklist.js that apply): rules
-- of addresses, ranges and subnets, IPv4 and IPv6, IPv4-mapped addresses,
-- the strings of 'rules', and Node's argument errors. No sockets.

local dgram = require("dgram")
local raised = require("helpers").raised

local BlockList = dgram.BlockList

describe("BlockList", function()
  it("is empty when new, and told apart from other values", function()
    local bl = BlockList.new()
    assert.same({}, bl.rules)
    assert.is_false(bl:check("1.2.3.4"))
    assert.is_true(BlockList.isBlockList(bl))
    assert.is_false(BlockList.isBlockList({}))
    assert.is_false(BlockList.isBlockList(nil))
    assert.equal("BlockList<0 rules>", tostring(bl))
  end)

  it("matches single addresses of both families", function()
    local bl = BlockList.new()
    bl:addAddress("1.1.1.1")
    bl:addAddress("8592:757c:efae:4e45::1", "ipv6")
    assert.is_true(bl:check("1.1.1.1"))
    assert.is_true(bl:check("1.1.1.1", "ipv4"))
    assert.is_false(bl:check("1.1.1.2"))
    assert.is_true(bl:check("8592:757c:efae:4e45::1", "ipv6"))
    assert.is_true(bl:check("8592:757c:efae:4e45:0:0:0:1", "IPV6"))
    assert.is_false(bl:check("8592:757c:efae:4e45::2", "ipv6"))
    assert.equal("BlockList<2 rules>", tostring(bl))
  end)

  it("matches ranges, ends included", function()
    local bl = BlockList.new()
    bl:addRange("1.1.1.1", "1.1.1.10")
    bl:addRange("8592:757c:efae:4e45::1", "8592:757c:efae:4e45::f", "ipv6")
    assert.is_false(bl:check("1.1.1.0"))
    for i = 1, 10 do assert.is_true(bl:check("1.1.1." .. i)) end
    assert.is_false(bl:check("1.1.1.11"))
    assert.is_false(bl:check("8592:757c:efae:4e45::", "ipv6"))
    assert.is_true(bl:check("8592:757c:efae:4e45::1", "ipv6"))
    assert.is_true(bl:check("8592:757c:efae:4e45::8", "ipv6"))
    assert.is_true(bl:check("8592:757c:efae:4e45::f", "ipv6"))
    assert.is_false(bl:check("8592:757c:efae:4e45::10", "ipv6"))
    assert.is_false(bl:check("8592:757c:efae:4f45::f", "ipv6"))
  end)

  it("compares ranges as unsigned numbers across the top bit", function()
    local bl = BlockList.new()
    bl:addRange("127.255.255.250", "128.0.0.5")
    bl:addRange("7fff:ffff:ffff:ffff::", "8000::1", "ipv6")
    assert.is_true(bl:check("127.255.255.255"))
    assert.is_true(bl:check("128.0.0.0"))
    assert.is_false(bl:check("128.0.0.6"))
    assert.is_false(bl:check("255.255.255.255"))
    assert.is_true(bl:check("7fff:ffff:ffff:ffff:ffff::", "ipv6"))
    assert.is_true(bl:check("8000::", "ipv6"))
    assert.is_false(bl:check("ffff::", "ipv6"))
    assert.is_false(bl:check("::", "ipv6"))
  end)

  it("matches subnets of every prefix length", function()
    local bl = BlockList.new()
    bl:addSubnet("1.1.1.0", 16)
    bl:addSubnet("8592:757c:efae:4e45::", 64, "ipv6")
    assert.is_true(bl:check("1.1.0.1"))
    assert.is_true(bl:check("1.1.255.255"))
    assert.is_false(bl:check("1.2.0.1"))
    assert.is_true(bl:check("8592:757c:efae:4e45::f", "ipv6"))
    assert.is_true(bl:check("8592:757c:efae:4e45:f::", "ipv6"))
    assert.is_false(bl:check("8592:757c:efae:4f45::f", "ipv6"))
    local n = BlockList.new()
    n:addSubnet("10.0.0.1", 32)
    assert.is_true(n:check("10.0.0.1"))
    assert.is_false(n:check("10.0.0.0"))
    local all = BlockList.new()
    all:addSubnet("0.0.0.0", 0)
    assert.is_true(all:check("255.1.2.3"))
    assert.is_false(all:check("2001:db8::1", "ipv6"))
    local odd = BlockList.new()
    odd:addSubnet("2001:db8:8000::", 33, "ipv6")
    assert.is_true(odd:check("2001:db8:ffff::1", "ipv6"))
    assert.is_false(odd:check("2001:db8:7fff::1", "ipv6"))
    local host = BlockList.new()
    host:addSubnet("2001:db8::1", 128, "ipv6")
    assert.is_true(host:check("2001:db8::1", "ipv6"))
    assert.is_false(host:check("2001:db8::2", "ipv6"))
  end)

  it("matches IPv4-mapped IPv6 addresses against IPv4 rules, and back",
     function()
    local bl = BlockList.new()
    bl:addAddress("1.1.1.1")
    bl:addRange("10.0.0.1", "10.0.0.10")
    bl:addSubnet("192.168.0.0", 16)
    assert.is_true(bl:check("::ffff:1.1.1.1", "ipv6"))
    assert.is_true(bl:check("::ffff:101:101", "ipv6"))
    assert.is_true(bl:check("::ffff:10.0.0.5", "ipv6"))
    assert.is_true(bl:check("::ffff:192.168.7.7", "ipv6"))
    assert.is_false(bl:check("::1.1.1.1", "ipv6"))        -- not mapped
    assert.is_false(bl:check("::ffff:10.0.0.11", "ipv6"))
    local v6 = BlockList.new()
    v6:addAddress("::ffff:1.1.1.1", "ipv6")
    v6:addSubnet("::ffff:10.0.0.0", 104, "ipv6")
    v6:addRange("::ffff:172.16.0.1", "::ffff:172.16.0.9", "ipv6")
    assert.is_true(v6:check("1.1.1.1"))
    assert.is_true(v6:check("10.9.9.9"))
    assert.is_true(v6:check("172.16.0.5"))
    assert.is_false(v6:check("172.16.0.10"))
  end)

  it("never compares an IPv4 address with a range of plain IPv6 ends, " ..
     "as Node", function()
    local bl = BlockList.new()
    bl:addRange("::", "ffff::", "ipv6")
    assert.is_false(bl:check("10.0.0.1"))
    assert.is_true(bl:check("::ffff:10.0.0.1", "ipv6"))
    local wide = BlockList.new()
    wide:addSubnet("::", 0, "ipv6")                    -- subnets do match
    assert.is_true(wide:check("10.0.0.1"))
  end)

  it("returns false for a string that is not an address of the family",
     function()
    local bl = BlockList.new()
    bl:addSubnet("0.0.0.0", 0)
    bl:addSubnet("::", 0, "ipv6")
    assert.is_false(bl:check("::1"))                   -- IPv4 by default
    assert.is_false(bl:check("1.2.3.4", "ipv6"))
    assert.is_false(bl:check("not an address"))
    assert.is_false(bl:check(""))
    assert.is_false(bl:check("1.2.3.4\0"))
    assert.is_false(bl:check("01.2.3.4"))
    assert.is_true(bl:check("fe80::1%lo", "ipv6"))     -- the zone is no part
  end)

  it("lists its rules newest first, in Node's words", function()
    local bl = BlockList.new()
    bl:addAddress("1.1.1.1")
    bl:addRange("10.0.0.1", "10.0.0.10")
    bl:addSubnet("8592:757c:efae:4e45::", 64, "IpV6")
    bl:addSubnet("2001:0db8:0000::", 32, "ipv6")
    bl:addAddress("::ffff:1.2.3.4", "ipv6")
    bl:addAddress("1:0:0:2:0:0:0:3", "ipv6")
    bl:addRange("::1", "::2", "ipv6")
    assert.same({
      "Range: IPv6 0:0:0:0:0:0:0:1-0:0:0:0:0:0:0:2",
      "Address: IPv6 1:0:0:2:0:0:0:3",
      "Address: IPv6 0:0:0:0:0:ffff:102:304",
      "Subnet: IPv6 2001:db8:0:0:0:0:0:0/32",
      "Subnet: IPv6 8592:757c:efae:4e45:0:0:0:0/64",
      "Range: IPv4 10.0.0.1-10.0.0.10",
      "Address: IPv4 1.1.1.1",
    }, bl.rules)
    local copy = bl.rules                 -- a new array each time
    copy[1] = nil
    assert.equal(7, #bl.rules)
  end)

  it("accepts a range of one address", function()
    local bl = BlockList.new()
    bl:addRange("10.0.0.1", "10.0.0.1")
    assert.is_true(bl:check("10.0.0.1"))
    assert.is_false(bl:check("10.0.0.2"))
  end)
end)

describe("BlockList's argument errors", function()
  local bl = BlockList.new()

  it("wants strings for addresses and family", function()
    local err = raised(bl.addAddress, bl, 1)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    assert.equal('The "address" argument must be of type string. '
                 .. "Received type number (1)", err.message)
    err = raised(bl.addRange, bl, "1.1.1.1", nil)
    assert.equal('The "end" argument must be of type string. Received nil',
                 err.message)
    err = raised(bl.addRange, bl, {}, "1.1.1.1")
    assert.equal('The "start" argument must be of type string. '
                 .. "Received type table", err.message)
    err = raised(bl.addSubnet, bl, false, 8)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    assert.truthy(err.message:find('"network"', 1, true))
    err = raised(bl.check, bl, nil)
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    err = raised(bl.check, bl, "1.1.1.1", 4)
    assert.equal('The "family" argument must be of type string. '
                 .. "Received type number (4)", err.message)
  end)

  it("refuses a family that is neither ipv4 nor ipv6", function()
    local err = raised(bl.addAddress, bl, "1.1.1.1", "ipv5")
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    assert.equal("TypeError", err.name)
    assert.equal("The property 'options.family' is invalid. "
                 .. 'Received "ipv5"', err.message)
    assert.equal("ERR_INVALID_ARG_VALUE",
                 raised(bl.check, bl, "1.1.1.1", "inet").code)
  end)

  it("refuses an address that is not one of the family", function()
    for _, args in ipairs({ { "1.1.1" }, { "::1" }, { "1.1.1.1", "ipv6" },
                            { "" }, { "1.1.1.1\0" } }) do
      local err = raised(bl.addAddress, bl, args[1], args[2])
      assert.equal("ERR_INVALID_ADDRESS", err.code)
      assert.equal("Invalid socket address", err.message)
    end
    assert.equal("ERR_INVALID_ADDRESS",
                 raised(bl.addRange, bl, "1.1.1.1", "x").code)
    assert.equal("ERR_INVALID_ADDRESS",
                 raised(bl.addSubnet, bl, "x", 8).code)
    assert.same({}, bl.rules)
  end)

  it("refuses a range whose start comes after its end", function()
    local err = raised(bl.addRange, bl, "10.0.0.9", "10.0.0.1")
    assert.equal("ERR_INVALID_ARG_VALUE", err.code)
    assert.equal("The argument 'start' must come before end. "
                 .. 'Received "10.0.0.9"', err.message)
    assert.equal("ERR_INVALID_ARG_VALUE",
                 raised(bl.addRange, bl, "::2", "::1", "ipv6").code)
  end)

  it("checks a subnet's prefix as Node's validateInt32", function()
    local err = raised(bl.addSubnet, bl, "1.1.1.0", "8")
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    assert.equal('The "prefix" argument must be of type number. '
                 .. 'Received type string ("8")', err.message)
    err = raised(bl.addSubnet, bl, "1.1.1.0", 33)
    assert.equal("ERR_OUT_OF_RANGE", err.code)
    assert.equal("RangeError", err.name)
    assert.equal('The value of "prefix" is out of range. It must be >= 0 '
                 .. "&& <= 32. Received 33", err.message)
    err = raised(bl.addSubnet, bl, "::", 129, "ipv6")
    assert.truthy(err.message:find("<= 128. Received 129", 1, true))
    err = raised(bl.addSubnet, bl, "1.1.1.0", -1)
    assert.equal("ERR_OUT_OF_RANGE", err.code)
    err = raised(bl.addSubnet, bl, "1.1.1.0", 8.5)
    assert.equal('The value of "prefix" is out of range. It must be an '
                 .. "integer. Received 8.5", err.message)
    assert.equal("ERR_OUT_OF_RANGE",
                 raised(bl.addSubnet, bl, "1.1.1.0", 0 / 0).code)
    assert.equal("ERR_OUT_OF_RANGE",
                 raised(bl.addSubnet, bl, "1.1.1.0", math.huge).code)
    bl:addSubnet("1.1.1.0", 24.0)                      -- an integral float
    assert.same({ "Subnet: IPv4 1.1.1.0/24" }, bl.rules)
  end)

  it("refuses a receiver that is not a BlockList", function()
    local err = raised(bl.check, nil, "1.1.1.1")
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    assert.equal('The "this" argument must be an instance of BlockList. '
                 .. "Received nil", err.message)
    err = raised(bl.addAddress, setmetatable({}, getmetatable(bl)), "1.1.1.1")
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
    err = raised(bl.addAddress, {}, "1.1.1.1")
    assert.equal("ERR_INVALID_ARG_TYPE", err.code)
  end)
end)
