-- luacheck configuration (Debian's lua-check): `luacheck .` at the root, or
-- tests/lint/luacheck.sh, which also checks the Lua examples of docs/*.md.
-- Lua 5.4 everywhere; the modules of lua/ use no global of the host.

std = "lua54"
max_line_length = 100
codes = true

-- The globals the ludp host sets (as Node does) before running a script,
-- and that require("ludp").install_globals() sets for stock lua5.4.
-- process is a table whose fields scripts set (process.exitCode = 1).
stds.ludp = {
  read_globals = {
    "setTimeout", "clearTimeout", "setInterval", "clearInterval",
    "setImmediate", "clearImmediate", "console",
    process = {
      other_fields = true,
      fields = { exitCode = { read_only = false }, env = { other_fields = true,
        read_only = false } },
    },
  },
}

-- The REPL's globals (dgram, events, timers, cjson, _) are not set for
-- scripts: a script must require what it uses.

exclude_files = {
  "build/**", "build-*/**", ".luarocks/**", "lua_modules/**",
  "types/**",          -- ---@meta definition files: bodies are empty on purpose
}

-- Scripts run by the host.
files["examples"] = { std = "+ludp" }
files["bench"] = { std = "+ludp" }
files["tests"] = { std = "+ludp" }
-- Code blocks of docs/*.md, checked by tests/lint/luacheck.sh under the
-- names docs/<file>.md-<line>.lua (busted blocks: ...-<line>_spec.lua).
files["docs"] = { std = "+ludp" }
files["docs/*_spec.lua"] = { std = "+ludp+busted" }

-- busted specs; they may call install_globals() and use the host globals.
files["spec"] = { std = "+ludp+busted" }
files[".busted"] = { std = "lua54" }
files["*.rockspec"] = { std = "lua54", allow_defined_top = true,
  ignore = { "111", "131" } }
