-- Spec: ludp --workers N, through real processes of the host (LUDP_BIN).
-- Two workers share one port on 127.0.0.1 (reusePort by default in a
-- worker) and each answers with its process.workerId; datagrams from many
-- source ports reach both; a worker killed with SIGKILL is replaced and
-- the service goes on; SIGHUP restarts the workers that it ends (a
-- reload); SIGTERM to the supervisor stops all, status 0; a
-- script that raises at start makes the supervisor give up with status 1;
-- workers die with their supervisor; -e and - work, the REPL is refused.
-- Every run is the leader of its own process group (setsid), and no
-- process of that group may be left once it has ended. The supervisor's
-- stdout is the workers' stdout: the spec waits for lines, not delays.

local dgram = require("dgram")
local T = require("ludp.test")
local helpers = require("helpers")

local BIN = os.getenv("LUDP_BIN") or "build/ludp"
local q = helpers.quote
local slurp = helpers.read_file

local temps = {}
local function temp(text)
  local path = os.tmpname()
  temps[#temps + 1] = path
  if text then helpers.write_file(path, text) end
  return path
end
after_each(function()
  for _, path in ipairs(temps) do os.remove(path) end
  temps = {}
end)

-- Runs 'cmd' (words after the binary) as the leader of a new process
-- group; its stdout through the pipe, its stderr in a file. The first
-- line is the group's id (the supervisor's pid).
local function start(args, env)
  local err = temp()
  local p = assert(io.popen("echo $$; exec " .. (env or "") .. " setsid " ..
                            q(BIN) .. " " .. args .. " </dev/null 2>" .. err))
  local pid = tonumber(p:read("l"))
  return { pipe = p, pid = pid, err = err }
end

local function line(run)
  local l = run.pipe:read("l")
  assert(l, "the workers ended early: " .. slurp(run.err))
  return l
end

-- The rest of stdout, then the status (128 + n if killed by n).
local function finish(run)
  local out = run.pipe:read("a")
  local _, how, code = run.pipe:close()
  return how == "signal" and 128 + code or code, out, slurp(run.err)
end

-- The live processes of group 'pgid' ("pid state" lines); a zombie has
-- ended, whoever reaps it (an orphan's is reaped by init).
local function group_now(pgid)
  local p = io.popen("ps -e -o pid=,pgid=,stat=")
  local left = {}
  for l in p:lines() do
    local pid, g, stat = l:match("(%d+)%s+(%d+)%s+(%S+)")
    if tonumber(g) == pgid and not stat:find("^Z") then
      left[#left + 1] = pid .. " " .. stat
    end
  end
  p:close()
  return table.concat(left, "\n")
end

-- The same once a process that closed its stdout has also finished
-- exiting (a bounded wait: 5 s).
local function group_left(pgid)
  local left = group_now(pgid)
  for _ = 1, 100 do
    if left == "" then break end
    os.execute("sleep 0.05")
    left = group_now(pgid)
  end
  return left
end

-- Sends one datagram from each of 'n' fresh sockets (n source ports) to
-- 'port'; returns the replies' senders: { [workerId] = pid }.
local function ask(port, n)
  local seen = {}
  T.run(function(done)
    local left = n
    for _ = 1, n do
      local s = dgram.createSocket("udp4")
      s:on("message", function(msg)
        local id, pid = msg:match("^(%d+) (%d+)$")
        seen[tonumber(id)] = tonumber(pid)
        s:close()
        left = left - 1
        if left == 0 then done() end
      end)
      s:bind(0, "127.0.0.1", function() s:send("who", port, "127.0.0.1") end)
    end
  end)
  return seen
end

local SERVER = [[
local dgram = require("dgram")
io.stdout:setvbuf("line")
local s = dgram.createSocket("udp4")
s:on("message", function(_, r)
  s:send(process.workerId .. " " .. process.pid, r.port, r.address)
end)
s:bind(tonumber(arg[1]), "127.0.0.1", function()
  print("ready " .. process.workerId)
end)
]]

describe("ludp --workers", function()
  it("spreads peers over 2 workers, replaces a killed one, stops on SIGTERM",
     function()
    local port = T.port()
    local run = start("--workers 2 " .. q(temp(SERVER)) .. " " .. port)
    local ready = {}
    ready[line(run)] = true
    ready[line(run)] = true
    assert.same({ ["ready 1"] = true, ["ready 2"] = true }, ready)

    local seen = ask(port, 40)
    assert.is_number(seen[1])
    assert.is_number(seen[2])
    assert.are_not.equal(seen[1], seen[2])

    os.execute("kill -KILL " .. seen[1])
    assert.equal("ready 1", line(run))     -- worker 1 started again
    local again = ask(port, 40)
    assert.is_number(again[1])
    assert.is_number(again[2])
    assert.are_not.equal(seen[1], again[1])
    assert.equal(seen[2], again[2])

    os.execute("kill -TERM " .. run.pid)
    local status, _, err = finish(run)
    assert.equal(0, status)
    assert.matches("worker 1 %(pid %d+%) killed by signal 9; restarting", err)
    assert.equal("", group_left(run.pid))
  end)

  it("reloads on SIGHUP: a worker it ends starts again at once", function()
    local port = T.port()
    local run = start("--workers 2 " .. q(temp(SERVER)) .. " " .. port)
    local ready = { [line(run)] = true, [line(run)] = true }
    assert.same({ ["ready 1"] = true, ["ready 2"] = true }, ready)
    local seen = ask(port, 40)
    os.execute("kill -HUP " .. run.pid)
    ready = { [line(run)] = true, [line(run)] = true }
    assert.same({ ["ready 1"] = true, ["ready 2"] = true }, ready)
    local again = ask(port, 40)
    assert.is_number(again[1])
    assert.is_number(again[2])
    assert.are_not.equal(seen[1], again[1])
    assert.are_not.equal(seen[2], again[2])
    os.execute("kill -TERM " .. run.pid)
    local status, _, err = finish(run)
    assert.equal(0, status)
    assert.matches("worker 1 %(pid %d+%) ended by SIGHUP; restarting it", err)
    assert.equal("", group_left(run.pid))
  end)

  it("gives up with status 1 on a script that raises at start", function()
    local run = start("--workers 2 -e " .. q("error('boom')"))
    local status, _, err = finish(run)
    assert.equal(1, status)
    assert.matches("boom", err)
    assert.matches("times in a row before it was ready: giving up", err)
    assert.equal("", group_left(run.pid))
  end)

  it("ends with the workers: 0 when all end with 0", function()
    local run = start("--workers 2 -e " ..
                      q("print('worker ' .. process.workerId)"))
    local status, out = finish(run)
    assert.equal(0, status)
    local got = {}
    for l in out:gmatch("[^\n]+") do got[#got + 1] = l end
    table.sort(got)
    assert.same({ "worker 1", "worker 2" }, got)
  end)

  it("ends with the first failure's status once all have stopped", function()
    -- Each worker's SIGTERM listener exits with 4 + its id: not the
    -- signal forwarded, so a failure, and the first one is the status.
    local run = start("--workers 2 -e " .. q([[
      io.stdout:setvbuf("line")
      process.on("SIGTERM", function() process.exit(process.workerId + 4) end)
      setInterval(function() end, 1000)
      print("up " .. process.workerId)]]))
    line(run)
    line(run)
    os.execute("kill -TERM " .. run.pid)
    local status = finish(run)
    assert.is_true(status == 5 or status == 6)
    assert.equal("", group_left(run.pid))
  end)

  it("takes 'auto' as one worker per core the process may use", function()
    local p = io.popen("env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc")
    local cores = tonumber(p:read("l"))
    p:close()
    local run = start("--workers auto -e " .. q("print(process.workerId)"))
    local status, out = finish(run)
    assert.equal(0, status)
    local ids = {}
    for id in out:gmatch("%d+") do ids[#ids + 1] = tonumber(id) end
    table.sort(ids)
    assert.equal(cores, #ids)
    for i = 1, cores do assert.equal(i, ids[i]) end
  end)

  it("runs stdin's script in every worker", function()
    local script = temp("print('stdin ' .. process.workerId)")
    local err = temp()
    local p = io.popen(q(BIN) .. " --workers=2 - <" .. q(script) ..
                       " 2>" .. err)
    local out = p:read("a")
    local ok = p:close()
    assert.is_true(ok, slurp(err))
    local got = {}
    for l in out:gmatch("[^\n]+") do got[#got + 1] = l end
    table.sort(got)
    assert.same({ "stdin 1", "stdin 2" }, got)
  end)

  it("has no workerId and no default reusePort without --workers", function()
    local p = io.popen(q(BIN) .. " -e " .. q([[
      local s = require("dgram").createSocket("udp4")
      s:bind(0, "127.0.0.1", function()
        local s2 = require("dgram").createSocket("udp4")
        s2:on("error", function(e)
          print(process.workerId, e.code)
          s:close()
        end)
        s2:bind(s:address().port, "127.0.0.1")
      end)]]) .. " 2>&1")
    assert.equal("nil\tEADDRINUSE\n", p:read("a"))
    p:close()
  end)

  it("lets a worker's script say reusePort = false", function()
    local run = start("--workers 1 -e " .. q([[
      local s = require("dgram").createSocket({ type = "udp4",
                                                reusePort = false })
      s:bind(0, "127.0.0.1", function()
        local s2 = require("dgram").createSocket("udp4")
        s2:on("error", function(e) print(e.code); s:close() end)
        s2:bind(s:address().port, "127.0.0.1")
      end)]]))
    local status, out = finish(run)
    assert.equal(0, status)
    assert.equal("EADDRINUSE\n", out)
  end)

  it("stops the workers when the supervisor dies", function()
    local run = start("--workers 2 -e " .. q([[
      io.stdout:setvbuf("line")
      process.on("SIGTERM", function() print("bye"); process.exit(0) end)
      setInterval(function() end, 1000)
      print("up")]]))
    line(run)
    line(run)
    os.execute("kill -KILL " .. run.pid)
    local _, out = finish(run)         -- EOF: every worker has exited
    assert.equal("bye\nbye\n", out)
    assert.equal("", group_left(run.pid))
  end)

  it("refuses the REPL and a bad count", function()
    for _, args in ipairs({ "--workers 2 -i", "--workers 0 x.lua",
                            "--workers lots x.lua", "--workers" }) do
      local p = io.popen(q(BIN) .. " " .. args .. " 2>&1 </dev/null; echo $?")
      local out = p:read("a")
      p:close()
      assert.matches("\n2\n$", "\n" .. out, 1, false)
      assert.matches("ludp: %-%-workers", out)
    end
  end)
end)
