-- Adds up the JSON lines examples/statsd.lua flushed (a file, given as
-- arg[1]) and checks them against the burst the statsd tests send:
-- counters and sets summed over the intervals, timers' count, sum, min
-- and max combined, the gauge's last value, no line unread and no
-- datagram dropped by the kernel. arg[2]: "sampled" when the burst had
-- 10,000 increments sampled at 0.1, else ("hot-shots") they were plain
-- ones. Prints what it found; exits 1 on a difference.
local cjson = require("cjson")

local c, sets, t = {}, {}, { count = 0, sum = 0 }
local gauge, bad, drops, flushes = nil, 0, nil, 0
for line in io.lines(arg[1]) do
  local f = cjson.decode(line)
  flushes = flushes + 1
  for k, v in pairs(f.counters) do c[k] = (c[k] or 0) + v end
  for k, v in pairs(f.sets) do sets[k] = (sets[k] or 0) + v end
  local bt = f.timers["burst.time"]
  if bt then
    t.count, t.sum = t.count + bt.count, t.sum + bt.sum
    t.min = math.min(t.min or bt.min, bt.min)
    t.max = math.max(t.max or bt.max, bt.max)
  end
  local p90 = f.timers["check.p90"]
  if p90 then
    assert(p90.count == 10 and p90.p90 == 9 and p90.min == 1
           and p90.max == 10 and p90.sum == 55, "p90: " .. cjson.encode(p90))
    print("p90 of 1..10: " .. math.tointeger(p90.p90))
  end
  gauge = f.gauges["burst.gauge"] or gauge
  bad, drops = bad + f.bad, f.kernelDrops
end
-- cjson reads every number as a float: written as integers here
local function n(v) return v and string.format("%.14g", v) or "nil" end
local got = string.format(
  "count=%s sampled=%s gauge=%s timer=%s/%s/%s/%s users=%s bad=%s " ..
  "kernelDrops=%s", n(c["burst.count"]), n(c["burst.sampled"]), n(gauge),
  n(t.count), n(t.sum), n(t.min), n(t.max), n(sets["burst.users"]), n(bad),
  n(drops))
local want = (arg[2] == "sampled" and "count=60000 sampled=100000"
             or "count=70000 sampled=nil") ..
  " gauge=-10000 timer=10000/5005000/1/1000 users=10000 bad=0 kernelDrops=0"
print(got .. " (" .. flushes .. " flushes)")
if got ~= want then
  print("FAIL: want " .. want)
  os.exit(1)
end
