-- Spec: the failures found by the fuzz harness (tests/fuzz/) and by the
-- reliability work around it, each kept here as a regression test in the
-- regular suite. Each case says what went wrong before the fix. Loopback
-- only, port 0 only.

local dgram = require("dgram")
local core = require("ludp.core")
local T = require("ludp.test")
local errors = require("ludp.errors")

describe("a buffer size option above INT_MAX", function()
  -- Before: createSocket accepted it (it is < 2^32, as Node checks), and
  -- the bind then raised a plain "bad argument #2 to 'buffer_size'" from
  -- inside the loop, an uncaught non-API error.
  it("gives ERR_SOCKET_BUFFER_SIZE (EINVAL) events; the socket works",
     function()
    local errs, got = {}, {}
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4", recvBufferSize = 2 ^ 31,
                                     sendBufferSize = 2 ^ 32 - 1 })
      s:on("error", function(err) errs[#errs + 1] = err end)
      s:on("message", function(msg)
        got[#got + 1] = msg
        s:close(done)
      end)
      s:bind(0, "127.0.0.1", function()
        s:send("still works", s:address().port, "127.0.0.1")
      end)
    end)
    assert.equal(2, #errs)
    local syscalls = {}
    for _, e in ipairs(errs) do
      assert.equal("SystemError", e.name)
      assert.equal("ERR_SOCKET_BUFFER_SIZE", e.code)
      assert.equal(-22, e.errno)
      syscalls[#syscalls + 1] = e.syscall
    end
    table.sort(syscalls)
    assert.same({ "uv_recv_buffer_size", "uv_send_buffer_size" }, syscalls)
    assert.same({ "still works" }, got)
  end)
end)

describe("an address with a NUL inside", function()
  -- Before: C read "127.0.0.1\0x" as 127.0.0.1 (isip said 4, the binding
  -- parsed up to the NUL), so such a string reached 127.0.0.1, and a name
  -- went to getaddrinfo cut at the NUL.
  it("is not an IP literal", function()
    assert.equal(0, core.isip("127.0.0.1\0"))
    assert.equal(0, core.isip("127.0.0.1\0x"))
    assert.equal(0, core.isip("::1\0"))
    assert.equal(4, core.isip("127.0.0.1"))
  end)

  it("is refused by the binding (EINVAL)", function()
    local _, h = core.udp(4)
    assert.equal(0, h:bind("127.0.0.1", 0))
    assert.equal(-22, (h:send("x", "127.0.0.1\0x", 9)))
    assert.equal(-22, h:connect("127.0.0.1\0", 9))
    h:close()
    require("ludp").run("nowait")
  end)

  it("is not found by send, bind or connect, and nothing is sent", function()
    local errs, got = {}, {}
    T.run(function(done)
      local s = dgram.createSocket("udp4")
      s:on("message", function(msg)
        got[#got + 1] = msg
        s:close(done)
      end)
      s:bind(0, "127.0.0.1", function()
        local port = s:address().port
        s:send("leaked", port, "127.0.0.1\0x", function(err)
          errs[#errs + 1] = err
          s:send("leaked", port, "localhost\0evil", function(err2)
            errs[#errs + 1] = err2
            local b = dgram.createSocket("udp4")
            b:on("error", function(err3)
              errs[#errs + 1] = err3
              b:close()
              local c = dgram.createSocket("udp4")
              c:connect(port, "127.0.0.1\0x", function(err4)
                errs[#errs + 1] = err4
                c:close()
                s:send("last", port, "127.0.0.1")
              end)
            end)
            b:bind(0, "127.0.0.1\0x")
          end)
        end)
      end)
    end)
    assert.equal(4, #errs)
    for _, e in ipairs(errs) do assert.equal("ENOTFOUND", e.code) end
    assert.same({ "last" }, got)
  end)
end)

describe("a 'removeListener' listener that closes the socket", function()
  -- Before: a failed bind drops the bind and connect listeners, which
  -- emits 'removeListener'; a listener closing the socket there made the
  -- failed bind close it a second time: "attempt to index a nil value
  -- (local 'h')" in finish_close, raised from the loop.
  for _, queued in ipairs({ "nothing", "a connect" }) do
    it("while a failed bind drops listeners (" .. queued .. " queued)",
       function()
      local closes, errs = 0, 0
      T.run(function(done)
        local holder = dgram.createSocket("udp4")
        holder:bind(0, "127.0.0.1", function()
          local s = dgram.createSocket("udp4")
          s:on("close", function()
            closes = closes + 1
            holder:close(function() core.next_tick(done) end)
          end)
          s:on("error", function() errs = errs + 1 end)
          s:on("removeListener", function()
            if not s._closed then s:close() end
          end)
          s:bind(holder:address().port, "127.0.0.1", function() end)
          if queued == "a connect" then
            s:connect(9, "127.0.0.1", function() end)
          end
        end)
      end)
      assert.equal(1, closes)
      assert.equal(0, errs)          -- closed: no 'error' after close()
    end)
  end
end)

describe("a custom lookup that throws", function()
  -- Before: a lookup that answered and then threw left the socket UNBOUND
  -- with its bind still due, so a second bind started over it: the first
  -- bound, the second failed with a spurious EINVAL 'error' and left the
  -- socket marked unbound while it received; closing it while a send
  -- waited then closed the handle twice.
  it("after answering: bind raises, the bind goes on, once", function()
    local events, second = {}, nil
    T.run(function(done)
      local first = true
      local s = dgram.createSocket({ type = "udp4",
        lookup = function(_, family, cb)
          cb(nil, "127.0.0.1", family)
          if first then
            first = false
            error("lookup threw after answering")
          end
        end })
      s:on("error", function(err) events[#events + 1] = "error " .. err.code end)
      s:on("listening", function()
        events[#events + 1] = "listening"
        s:close(done)
      end)
      local ok, err = pcall(s.bind, s, 0, "127.0.0.1")
      assert.is_false(ok)
      assert.matches("lookup threw after answering", err)
      ok, second = pcall(s.bind, s, 0, "127.0.0.1")
      assert.is_false(ok)
    end)
    assert.equal("ERR_SOCKET_ALREADY_BOUND", second.code)
    assert.same({ "listening" }, events)
  end)

  -- Before: a send's lookup that threw and answered later, after the
  -- socket had closed, sent on the closed handle: "attempt to index a nil
  -- value (field '_handle')" raised from the loop.
  it("and answers after its socket closed: nothing happens", function()
    local closes = 0
    T.run(function(done)
      local s = dgram.createSocket({ type = "udp4",
        lookup = function(host, family, cb)
          if host == "later" then
            core.next_tick(cb, nil, "127.0.0.1", family)
            error("thrown, answered later")
          end
          cb(nil, host, family)
        end })
      s:on("close", function()
        closes = closes + 1
        -- the late answer runs in this pass; done after it
        core.next_tick(done)
      end)
      s:bind(0, "127.0.0.1", function()
        local ok = pcall(s.send, s, "x", 9, "later", function()
          error("the send's callback ran")
        end)
        assert.is_false(ok)
        s:close()
      end)
    end)
    assert.equal(1, closes)
  end)
end)

-- Found by review: C entry points that trusted their first argument.
describe("the binding's functions called by hand", function()
  -- Before: handle_gc dereferenced whatever it was given (SIGSEGV).
  it("a handle's __gc given something else does nothing", function()
    local s = dgram.createSocket("udp4")
    local gc = getmetatable(s._handle).__gc
    gc({})
    gc(io.stdout)
    gc(core.timer())
    assert.is_false(s._handle:is_closing())
    s:close()
    core.run()
  end)

  -- Before: the receive batch's C function, reachable through the
  -- registry, dereferenced its argument.
  it("the receive batch's function does nothing outside a batch", function()
    local called = 0
    for k, v in pairs(debug.getregistry()) do
      -- the binding keeps it under the address of a C variable
      if type(k) == "userdata" and type(v) == "function" then
        pcall(v, nil)
        pcall(v, k)
        called = called + 1
      end
    end
    assert.is_true(called >= 1)
  end)

  -- Before: #msg honoured __len (-1 sent an empty datagram in a batch).
  it("an array message is read raw: __len and __index do not count",
     function()
    local got
    T.run(function(done)
      local server = dgram.createSocket("udp4")
      local client = dgram.createSocket("udp4")
      server:on("message", function(msg)
        got = msg
        client:close()
        server:close(done)
      end)
      server:bind(0, "127.0.0.1", function()
        local odd = setmetatable({ "a", "b" }, {
          __len = function() return -1 end,
          __index = function() return "x" end,
        })
        client:send(odd, server:address().port, "127.0.0.1")
      end)
    end)
    assert.equal("ab", got)
  end)
end)

describe("the methods and options beyond Node's, with hostile arguments", function()
  -- Each is called with values of every kind on a socket in every state
  -- (unbound, bound, connected, paused, closed; unix sockets bound,
  -- paused and closed too); each call works or
  -- raises an API error, never a plain Lua error, and the loop settles.
  local HOSTILE = table.pack(nil, true, 0, -1, 1.5, 0 / 0, math.huge, 2 ^ 63,
                    math.mininteger, "", "x", "127.0.0.1\0x", {},
                    { address = "127.0.0.1\0", port = 1, localAddress = 1,
                      interface = "lo" },
                    { address = "::1", port = 9, localAddress = "::1",
                      interface = -1 },
                    { address = "127.0.0.1", port = 9,
                      localAddress = "255.255.255.255", interface = 2 ^ 40 },
                    function() error("boom") end, io.stdout)
  local METHODS = { "reply", "setTOS", "getTOS", "setDontFragment",
                    "getMTU", "pause", "resume", "stats", "__close" }

  local function acceptable(err)
    return errors.is_error(err) and type(err.code) == "string"
           and (err.code:match("^ERR_") or err.name == "SystemError")
  end

  it("raise only API errors", function()
    local bad, calls = {}, 0
    T.run(function(done)
      local socks, states = {}, { "unbound", "bound", "connected", "paused",
                                  "closed", "recvInfo", "small",
                                  "unix bound", "unix paused", "unix closed" }
      local n = 0
      local function exercise()
        for i, s in ipairs(socks) do
          s:on("error", function() end)
          for _, name in ipairs(METHODS) do
            for j = 1, HOSTILE.n do
              local a = HOSTILE[j]
              for k = 1, HOSTILE.n, 6 do
                calls = calls + 1
                local ok, err = pcall(s[name], s, a, HOSTILE[k])
                if not ok and not acceptable(err) then
                  bad[#bad + 1] = states[i] .. ":" .. name .. ": "
                                  .. tostring(err)
                end
              end
            end
          end
        end
        setTimeout(function()
          for _, s in ipairs(socks) do
            if not s._closed then s:close() end
          end
          setTimeout(done, 5)
        end, 5)
      end
      local function ready()
        n = n + 1
        if n == 7 then exercise() end
      end
      socks[1] = dgram.createSocket("udp4")
      socks[2] = dgram.createSocket("udp6")
      socks[3] = dgram.createSocket("udp4")
      socks[4] = dgram.createSocket("udp4")
      socks[5] = dgram.createSocket("udp4")
      socks[6] = dgram.createSocket({ type = "udp6", recvInfo = true })
      socks[7] = dgram.createSocket({ type = "udp4", maxDatagramSize = 1,
                                      recvInfo = true })
      socks[5]:close()
      socks[2]:bind(0, "::1", ready)
      socks[3]:connect(9, "127.0.0.1", ready)
      socks[4]:pause()
      socks[4]:bind(0, "127.0.0.1", ready)
      socks[6]:bind(0, "::1", ready)
      socks[7]:bind(0, "127.0.0.1", ready)
      for i = 8, 10 do socks[i] = dgram.createSocket("unix") end
      socks[8]:bind(ready)                 -- an abstract name of its own
      socks[9]:pause()
      socks[9]:bind(ready)
      socks[10]:close()
    end, 180000)            -- a watchdog: thousands of errors under valgrind
    assert.same({}, bad)
    assert.equal(10 * #METHODS * HOSTILE.n * 3, calls)
  end)
end)

describe("a coroutine's wait that ends in an error", function()
  local ludp = require("ludp")
  local EventEmitter = require("events")

  -- Before: ludp.wait removed its listeners and then woke its coroutine;
  -- a 'removeListener' listener that raised left the coroutine waiting
  -- for ever, its fired timer referenced from the registry (a leak the
  -- fuzz harness counted).
  it("still wakes the coroutine when removing its listeners raises",
     function()
    local woke, uncaught
    T.run(function(done)
      local function on_uncaught(err)
        uncaught = err
        process.removeListener("uncaughtException", on_uncaught)
      end
      process.on("uncaughtException", on_uncaught)
      local e = EventEmitter.new()
      e:on("removeListener", function() error("listener's own", 0) end)
      ludp.async(function()
        woke = { ludp.wait(e, "never", 5) }
        done()
      end)
    end)
    assert.is_nil(woke[1])
    assert.equal("ETIMEDOUT", woke[2].code)
    assert.equal("listener's own", uncaught)
  end)

  -- Before: a resend that raised (the socket's own lookup) left the
  -- request waiting for ever, as above.
  it("raises a resend's error inside the request's coroutine", function()
    local got
    T.run(function(done)
      local calls = 0
      local s = dgram.createSocket({ type = "udp4",
        lookup = function(host, _, cb)
          calls = calls + 1
          if calls > 2 then error("lookup failed", 0) end
          cb(nil, host, 4)
        end })
      s:bind(0, "127.0.0.1")       -- lookup 1; the first send is lookup 2
      ludp.async(function()
        assert(ludp.wait(s, "listening"))
        local ok, err = pcall(s.request, s, "x", 9, "127.0.0.1",
                              { timeout = 5, retries = 1 })
        got = { ok, err }
        s:close(done)
      end)
    end)
    assert.same({ false, "lookup failed" }, got)
  end)
end)
