-- Spec for lua/ludp/async.lua under loss: 1,000 sock:request()s with
-- retries and match through a relay that drops 30%, duplicates 5% and
-- reorders 25% of the datagrams both ways (this kernel has no netem, so
-- the lossy path is a ludp relay between client and server, seeded: a
-- failure replays with LUDP_LOSSY_SEED). Each request gets its own reply
-- or ETIMEDOUT after exactly its retries, none another's, no coroutine
-- is left waiting, and every figure is counted on each side and adds up.
-- Loopback only, port 0 only. Counts, not timings: a slow run (GC
-- stress, valgrind) times out more requests, and the sums still hold.

local dgram = require("dgram")
local ludp = require("ludp")
local core = require("ludp.core")
local T = require("ludp.test")

local SEED = tonumber(os.getenv("LUDP_LOSSY_SEED") or "") or 20261207
-- Under GC stress or valgrind the relay is many times slower: fewer
-- requests at a time and a longer timeout, so that what waits for it
-- stays within the kernel's buffers (a drop there is loss no one counts).
local function slowed()
  local v = os.getenv("LUDP_VALGRIND") or os.getenv("LUDP_GC_STRESS")
  return v ~= nil and v ~= "" and v ~= "0"
end
local REQUESTS, WORKERS, TIMEOUT, RETRIES = 1000, 50, 30, 3
if slowed() then REQUESTS, WORKERS, TIMEOUT = 200, 10, 400 end

-- xorshift32: the relay's own generator, so nothing else moves it.
local function generator(seed)
  local x = seed & 0xffffffff
  if x == 0 then x = 1 end
  return function()
    x = x ~ ((x << 13) & 0xffffffff)
    x = x ~ (x >> 17)
    x = x ~ ((x << 5) & 0xffffffff)
    return x / 4294967296.0
  end
end

-- One direction of the relay: out:send(msg, port, address), after the
-- dice: drop 30%, else duplicate 5%, and delay 25% by 1..8 ms (the rest
-- overtake them).
local function lossy(random, counts)
  return function(out, msg, port, address)
    counts.received = counts.received + 1
    local r = random()
    if r < 0.30 then
      counts.dropped = counts.dropped + 1
      return
    end
    local copies = 1
    if random() < 0.05 then
      copies = 2
      counts.duplicated = counts.duplicated + 1
    end
    for _ = 1, copies do
      if random() < 0.25 then
        counts.reordered = counts.reordered + 1
        counts.delayed = counts.delayed + 1
        setTimeout(function()
          counts.delayed = counts.delayed - 1
          out:send(msg, port, address)
          counts.forwarded = counts.forwarded + 1
        end, 1 + math.floor(random() * 8))
      else
        out:send(msg, port, address)
        counts.forwarded = counts.forwarded + 1
      end
    end
  end
end

local function new_counts()
  return { received = 0, dropped = 0, duplicated = 0, reordered = 0,
           forwarded = 0, delayed = 0 }
end

describe("sock:request through a lossy relay", function()
  it("gives each request its own reply or ETIMEDOUT after exactly its " ..
     "retries, and every count adds up", function()
    local random = generator(SEED)
    local up, down = new_counts(), new_counts()   -- client->server, back
    local server_got, server_ids, server_sent = 0, {}, 0
    local attempts, answered, timed_out, results = {}, 0, 0, {}
    local client_sends = 0
    local tasks = {}
    local delivered_before = core.udp_paths().delivered
    -- every delivery of the process is the server's, the relay's or the
    -- client's
    local function client_received()
      local delivered = core.udp_paths().delivered - delivered_before
      return delivered - server_got - up.received - down.received
    end

    T.run(function(done)
      local opts = { type = "udp4", recvBufferSize = 1 << 20 }
      local server = dgram.createSocket(opts)
      local front = dgram.createSocket(opts)   -- the client talks to it
      local back = dgram.createSocket(opts)    -- it talks to the server
      local client = dgram.createSocket(opts)
      local client_port
      local to_server = lossy(random, up)
      local to_client = lossy(random, down)

      server:on("message", function(msg, rinfo)
        server_got = server_got + 1
        local id = string.unpack(">I4", msg)
        server_ids[id] = (server_ids[id] or 0) + 1
        server_sent = server_sent + 1
        server:send(string.pack(">I4", id) .. "answer to " .. id,
                    rinfo.port, rinfo.address)
      end)
      front:on("message", function(msg, rinfo)
        client_port = rinfo.port
        to_server(back, msg, server:address().port, "127.0.0.1")
      end)
      back:on("message", function(msg)
        to_client(front, msg, client_port, "127.0.0.1")
      end)
      -- counts what the client sends, resends included
      client.send = function(self, msg, ...)
        client_sends = client_sends + 1
        local id = string.unpack(">I4", msg)
        attempts[id] = (attempts[id] or 0) + 1
        return dgram.Socket.send(self, msg, ...)
      end

      local bound = 0
      local function start()
        bound = bound + 1
        if bound < 4 then return end
        ludp.async(function()
          local port = front:address().port
          local finished = 0
          for w = 1, WORKERS do
            tasks[w] = ludp.async(function()
              for k = 1, REQUESTS // WORKERS do
                local id = (w - 1) * (REQUESTS // WORKERS) + k
                local head = string.pack(">I4", id)
                local reply, err = client:request(head .. "question", port,
                  "127.0.0.1", { timeout = TIMEOUT, retries = RETRIES,
                    match = function(msg) return msg:sub(1, 4) == head end })
                if reply then
                  answered = answered + 1
                  results[id] = reply
                else
                  assert.equal("ETIMEDOUT", err.code)
                  timed_out = timed_out + 1
                  results[id] = false
                end
              end
              finished = finished + 1
            end)
          end
          while finished < WORKERS do ludp.sleep(10) end
          -- late replies: a listener reads them (the client, read only by
          -- request, reads no more once none waits)
          client:on("message", function() end)
          -- the delayed copies leave, and what is on its way comes in
          local function settled()
            return up.delayed + down.delayed == 0
              and server_got == up.forwarded
              and down.received == server_sent
              and client_received() == down.forwarded
          end
          local waited = 0
          while not settled() and waited < 5000 do
            ludp.sleep(5)
            waited = waited + 5
          end
          for _, s in ipairs({ client, server, front, back }) do s:close() end
          done()
          end)
      end
      for _, s in ipairs({ server, front, back, client }) do
        s:bind(0, "127.0.0.1", start)
      end
    end, 120000)

    local why = "seed " .. SEED
    -- the client: every request ended one way or the other, once
    assert.equal(REQUESTS, answered + timed_out, why)
    for id = 1, REQUESTS do
      local r, n = results[id], attempts[id]
      assert.is_not_nil(r, why)
      assert.is_true(n >= 1 and n <= RETRIES + 1, why)
      if r then
        assert.equal(string.pack(">I4", id) .. "answer to " .. id, r, why)
        assert.is_not_nil(server_ids[id], why)   -- the server saw it
      else
        assert.equal(RETRIES + 1, n, why)        -- exactly its retries
      end
    end
    for _, co in ipairs(tasks) do
      assert.equal("dead", coroutine.status(co), why)
    end
    -- the client's sends, resends included, are what the relay got
    local retried = client_sends - REQUESTS
    assert.equal(client_sends, up.received, why)
    assert.is_true(retried >= timed_out * RETRIES, why)
    -- relay: each direction's datagrams dropped or forwarded (dups twice)
    for _, c in ipairs({ up, down }) do
      assert.equal(0, c.delayed, why)
      assert.equal(c.received - c.dropped + c.duplicated, c.forwarded, why)
    end
    -- the server got what the relay forwarded, answered each
    assert.equal(up.forwarded, server_got, why)
    assert.equal(server_got, server_sent, why)
    assert.equal(server_sent, down.received, why)
    -- the client received what came back
    local client_got = client_received()
    assert.equal(down.forwarded, client_got, why)
    assert.is_true(client_got >= answered, why)
    -- the loss was real both ways
    assert.is_true(up.dropped > 0 and down.dropped > 0, why)
    assert.is_true(up.duplicated > 0 and down.reordered > 0, why)
    -- (a slowed run, where a loaded machine may miss many timeouts,
    -- only needs some answers)
    assert.is_true(answered > (slowed() and 0 or timed_out), why)
    print(string.format("lossy relay (seed %d): %d answered, %d timed out, " ..
      "%d resends; up %d/%d dropped, down %d/%d dropped", SEED, answered,
      timed_out, retried, up.dropped, up.received, down.dropped,
      down.received))
  end)
end)
