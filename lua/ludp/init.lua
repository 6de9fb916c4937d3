-- ludp: the library's entry point for stock lua5.4 and busted.
--
--   local ludp = require("ludp")
--   ludp.install_globals()   -- setTimeout, setInterval, setImmediate, process, console
--   ... create sockets ...
--   ludp.run()               -- until nothing referenced is left
--
-- Inside the ludp host the loop runs by itself after the script.

local core = require("ludp.core")

local ludp = { version = core.version }

-- Runs the loop: "default" until nothing referenced is left, "once" one
-- pass that may block, "nowait" one pass that does not. Returns whether
-- referenced handles remain. An error that no 'uncaughtException' listener
-- takes stops the loop and is raised here.
function ludp.run(mode)
  return core.run(mode)
end

-- Makes run() return after the current pass.
function ludp.stop()
  core.stop()
end

-- Sets the Node-like globals: setTimeout, clearTimeout, setInterval,
-- clearInterval, setImmediate, clearImmediate, process and console.
function ludp.install_globals(env)
  env = env or _G
  local timers = require("timers")
  for _, name in ipairs({ "setTimeout", "clearTimeout", "setInterval",
                          "clearInterval", "setImmediate", "clearImmediate" }) do
    env[name] = timers[name]
  end
  env.process = require("ludp.process")
  -- console, loaded at its first use: most scripts never log.
  env.console = setmetatable({}, { __index = function(t, key)
    setmetatable(t, nil)
    for name, v in pairs(require("console")) do t[name] = v end
    return t[key]
  end })
  return env
end

return ludp
