-- LuaRocks build of ludp's library for a Lua 5.4 tree: the modules dgram,
-- events, timers, ludp and ludp.test, and the C module ludp.core they run
-- on (libuv). From a checkout, with no network:
--
--   luarocks --lua-version=5.4 make                 # system tree
--   luarocks --lua-version=5.4 make --tree=lua_modules
--
-- The ludp host itself (the program, its REPL) is built with CMake; see
-- README.md. Needs the libuv headers (Debian: libuv1-dev).

rockspec_format = "3.0"
package = "ludp"
version = "scm-1"

source = {
  url = "git+file:///dev/null/ludp.git",   -- built from a checkout: `luarocks make`
}

description = {
  summary = "Node.js's dgram (UDP sockets), events and timers for Lua 5.4 on libuv",
  detailed = [[
Write, try out and test UDP services in Lua: Node.js's dgram API
(createSocket, bind, send, connect, multicast, broadcast, ref/unref),
an EventEmitter, Node-like timers and process, running on a libuv event
loop. Under stock Lua the loop is run with require("ludp").run(); the
ludp.test module drives real sockets from busted specs.
]],
  license = "MIT",
  labels = { "udp", "networking", "libuv", "events", "busted" },
}

dependencies = {
  "lua >= 5.4, < 5.5",
}

external_dependencies = {
  LIBUV = { header = "uv.h", library = "uv" },
}

build = {
  type = "builtin",
  modules = {
    ["ludp.core"] = {
      sources = {
        "src/core.c", "src/loop.c", "src/handle.c", "src/timer.c",
        "src/check.c", "src/signal.c", "src/dns.c", "src/sockaddr.c",
        "src/udp.c", "src/udp_recv.c", "src/udp_send.c", "src/notify.c",
        "src/stdio.c",
        "src/unix_dgram.c",
        "src/udp_quiet.c", "src/udp_reply.c",
      },
      defines = { "_GNU_SOURCE" },
      incdirs = { "src", "$(LIBUV_INCDIR)" },
      libdirs = { "$(LIBUV_LIBDIR)" },
      libraries = { "uv" },
    },
    -- LuaRocks also copies the rest of lua/ (ludp.host, ludp.repl): they
    -- run only inside the host, which embeds its own copies.
    ["ludp"] = "lua/ludp/init.lua",
    ["ludp.complete"] = "lua/ludp/complete.lua",
    ["ludp.errors"] = "lua/ludp/errors.lua",
    ["ludp.inspect"] = "lua/ludp/inspect.lua",
    ["ludp.process"] = "lua/ludp/process.lua",
    ["ludp.readiness"] = "lua/ludp/readiness.lua",
    ["ludp.repl_chunk"] = "lua/ludp/repl_chunk.lua",
    ["ludp.test"] = "lua/ludp/test.lua",
    ["ludp.validators"] = "lua/ludp/validators.lua",
    ["ludp.socket_options"] = "lua/ludp/socket_options.lua",
    ["ludp.stdio"] = "lua/ludp/stdio.lua",
    ["console"] = "lua/console.lua",
    ["dns"] = "lua/dns.lua",
    ["ludp.blocklist"] = "lua/ludp/blocklist.lua",
    ["ludp.unix_socket"] = "lua/ludp/unix_socket.lua",
    ["ludp.socket_control"] = "lua/ludp/socket_control.lua",
    ["ludp.socket_events"] = "lua/ludp/socket_events.lua",
    ["ludp.socket_queries"] = "lua/ludp/socket_queries.lua",
    ["ludp.async"] = "lua/ludp/async.lua",
    ["ludp.backpressure"] = "lua/ludp/backpressure.lua",
    ["dgram"] = "lua/dgram.lua",
    ["events"] = "lua/events.lua",
    ["timers"] = "lua/timers.lua",
  },
  copy_directories = { "docs", "types" },
}
