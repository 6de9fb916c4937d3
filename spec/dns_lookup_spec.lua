-- Spec for lua/dns.lua over src/dns.c: dns.lookup's argument forms,
-- checks, answers and errors, and that sockets' default lookup is
-- dns.lookup. No name is ever resolved through DNS: literals, `localhost`
-- for IPv4 (from /etc/hosts), names that fail inside getaddrinfo before
-- any query, and ENOTFOUND inside a private network and mount namespace
-- whose resolver consults only the hosts file.

local dns = require("dns")
local dgram = require("dgram")
local T = require("ludp.test")
local helpers = require("helpers")

local raised, recorder, quote = helpers.raised, helpers.recorder, helpers.quote

-- Runs dns.lookup(...) with a callback; returns what the callback got,
-- and whether it was called before lookup returned.
local function lookup(...)
  local got, returned, early = nil, false, nil
  local args = table.pack(...)
  T.run(function(done)
    args[args.n + 1] = T.expect(function(...)
      got = table.pack(...)
      early = not returned
      done()
    end)
    dns.lookup(table.unpack(args, 1, args.n + 1))
    returned = true
  end)
  return got, early
end

describe("dns.lookup", function()
  it("answers an IP literal with itself, never inside the call", function()
    local got, early = lookup("127.0.0.1")
    assert.same({ n = 3, nil, "127.0.0.1", 4 }, got)
    assert.is_false(early)
    got = lookup("::1", { family = 6 })
    assert.same({ n = 3, nil, "::1", 6 }, got)
    got = lookup("127.0.0.1", { all = true })
    assert.same({ n = 2, nil, { { address = "127.0.0.1", family = 4 } } }, got)
  end)

  it("answers an empty or missing name with no address", function()
    assert.same({ n = 3, nil, nil, 4 }, lookup(""))
    assert.same({ n = 3, nil, nil, 6 }, lookup(nil, 6))
    assert.same({ n = 2, nil, {} }, lookup("", { all = true }))
  end)

  it("resolves localhost for IPv4 from the hosts file", function()
    local got, early = lookup("localhost", { family = 4 })
    assert.same({ n = 3, nil, "127.0.0.1", 4 }, got)
    assert.is_false(early)
    assert.same({ n = 3, nil, "127.0.0.1", 4 }, lookup("localhost", 4))
    assert.same({ n = 3, nil, "127.0.0.1", 4 },
                lookup("localhost", { family = "IPv4", hints = dns.ADDRCONFIG,
                                      order = "ipv6first" }))
    got = lookup("localhost", { family = 4, all = true, verbatim = false })
    assert.is_nil(got[1])
    assert.is_true(#got[2] >= 1)
    for _, r in ipairs(got[2]) do
      assert.equal(4, r.family)
      assert.equal("127.0.0.1", r.address)
    end
  end)

  it("fails a name getaddrinfo refuses, with Node's error fields", function()
    -- Not valid IDNA: refused inside getaddrinfo, before any query.
    local got = lookup("\xff.example", 4)
    local e = got[1]
    assert.equal("EINVAL", e.code)
    assert.equal("getaddrinfo", e.syscall)
    assert.equal("\xff.example", e.hostname)
    -- A NUL would cut the name: refused before getaddrinfo, as not found.
    got = lookup("a\0b", { all = true })
    e = got[1]
    assert.equal("ENOTFOUND", e.code)
    assert.equal("getaddrinfo", e.syscall)
    assert.equal("getaddrinfo ENOTFOUND a\0b", e.message)
    assert.equal(1, got.n)
  end)

  it("checks its arguments as Node does", function()
    local cb = function() end
    local cases = {
      { "ERR_INVALID_ARG_TYPE", 5, cb },
      { "ERR_INVALID_ARG_TYPE", {}, cb },
      { "ERR_INVALID_ARG_TYPE", "x" },
      { "ERR_INVALID_ARG_TYPE", "x", {} },
      { "ERR_INVALID_ARG_TYPE", "x", 4, "cb" },
      { "ERR_INVALID_ARG_TYPE", "x", "4", cb },
      { "ERR_INVALID_ARG_VALUE", "x", 5, cb },
      { "ERR_INVALID_ARG_VALUE", "x", { family = 5 }, cb },
      { "ERR_INVALID_ARG_VALUE", "x", { family = "4" }, cb },
      { "ERR_INVALID_ARG_VALUE", "x", { family = 4.5 }, cb },
      { "ERR_INVALID_ARG_TYPE", "x", { all = 1 }, cb },
      { "ERR_INVALID_ARG_TYPE", "x", { verbatim = "yes" }, cb },
      { "ERR_INVALID_ARG_VALUE", "x", { order = "random" }, cb },
      { "ERR_INVALID_ARG_TYPE", "x", { hints = "1" }, cb },
      { "ERR_INVALID_ARG_VALUE", "x", { hints = 1 << 20 }, cb },
      { "ERR_INVALID_ARG_VALUE", "x", { hints = -1 }, cb },
    }
    for i, c in ipairs(cases) do
      local e = raised(dns.lookup, table.unpack(c, 2, 4))
      assert.equal(c[1], e.code, "case " .. i)
      assert.equal("TypeError", e.name, "case " .. i)
    end
  end)

  it("is the default lookup of sockets", function()
    local log = recorder()
    local real = dns.lookup
    dns.lookup = function(host, family, cb)
      log.push(host .. "/" .. tostring(family))
      return real(host, family, cb)
    end
    finally(function() dns.lookup = real end)
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("message", T.expect(function(msg)
        log.push(msg)
        s:close(done)
      end))
      s:bind(0, "localhost", function()
        s:send("via dns", s:address().port, "localhost")
      end)
    end)
    assert.same({ "localhost/4", "localhost/4", "via dns" }, log)
  end)
end)

describe("dns.lookup of a name that does not exist", function()
  -- Inside a private network namespace (nothing can leave it) and a
  -- private mount namespace where nsswitch.conf says "hosts: files", so
  -- no DNS query is even tried: getaddrinfo answers EAI_NONAME, which is
  -- Node's ENOTFOUND. (With the network namespace alone the resolver
  -- tries its servers, and fails with EAI_AGAIN instead.)
  it("fails with ENOTFOUND", function()
    local bin = os.getenv("LUDP_BIN") or "build/ludp"
    local conf = os.tmpname()
    helpers.write_file(conf, "hosts: files\n")
    finally(function() os.remove(conf) end)
    local chunk = [[
      require("dns").lookup("no-such-host.invalid", function(e, a)
        print(e.code, e.errno == require("ludp.core").errno.EAI_NONAME,
              e.syscall, e.hostname, a)
      end)]]
    local mount = 'mount --bind "$1" /etc/nsswitch.conf && exec "$0" -e "$2"'
    local out
    for _, unshare in ipairs({ "unshare -mn", "unshare -rmn" }) do
      local p = io.popen("timeout -k 5 30 " .. unshare .. " sh -c " ..
        quote(mount) .. " " .. quote(bin) .. " " .. quote(conf) .. " " ..
        quote(chunk) .. " 2>&1 </dev/null")
      out = p:read("a")
      if p:close() then break end
      out = nil
    end
    if not out then
      pending("cannot make a private network and mount namespace " ..
              "(unshare -mn)")
      return
    end
    assert.equal("ENOTFOUND\ttrue\tgetaddrinfo\tno-such-host.invalid\tnil\n",
                 out)
  end)
end)
