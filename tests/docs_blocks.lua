-- The Lua code blocks of docs/*.md, for spec/docs_examples_spec.lua (which
-- runs them) and tests/lint/luacheck.sh (which lints them).
--
-- A block is a fenced ```lua block. The words after "lua" on the fence
-- line say how it runs:
--   ```lua          a script: `ludp file.lua` must exit 0 by itself
--   ```lua lua5.4   a script for stock lua5.4 with the modules on the paths
--   ```lua busted   a busted spec file, run with busted
--   ```lua norun    not run (a fragment of a bigger program, a server that
--                   runs until stopped); still linted
--
--   local blocks = dofile("tests/docs_blocks.lua").extract("docs/guide.md")
--   -- { { file = "docs/guide.md", line = 12, kind = "ludp", code = "..." } }
--
-- As a script, `lua5.4 tests/docs_blocks.lua DIR docs/*.md` writes every
-- block to DIR/<doc>.md-<line>.lua (busted blocks: -<line>_spec.lua) and
-- prints one line per block: kind, file name, source.

local M = {}

local KINDS = { [""] = "ludp", ["lua5.4"] = "lua5.4", busted = "busted",
                norun = "norun" }

-- Returns the blocks of one Markdown file, in order.
function M.extract(path)
  local fh = assert(io.open(path, "r"))
  local blocks, current, n = {}, nil, 0
  for line in fh:lines() do
    n = n + 1
    if current then
      if line:match("^%s*```%s*$") then
        current.code = table.concat(current.lines, "\n") .. "\n"
        current.lines = nil
        blocks[#blocks + 1] = current
        current = nil
      else
        current.lines[#current.lines + 1] = line
      end
    else
      local info = line:match("^```lua%s*(.-)%s*$")
      if info then
        local kind = KINDS[info]
        if not kind then
          error(string.format("%s:%d: unknown block kind %q (use lua, " ..
            "lua lua5.4, lua busted or lua norun)", path, n, info))
        end
        current = { file = path, line = n + 1, kind = kind, lines = {} }
      end
    end
  end
  fh:close()
  if current then
    error(string.format("%s:%d: unterminated code block", path, current.line))
  end
  return blocks
end

-- The name a block is written under: "reference.md-120.lua".
function M.name(block)
  local base = block.file:match("([^/]+)$")
  return string.format("%s-%d%s.lua", base, block.line,
                       block.kind == "busted" and "_spec" or "")
end

if arg and arg[0] and arg[0]:match("docs_blocks%.lua$") and arg[1] then
  local dir = arg[1]
  for i = 2, #arg do
    for _, b in ipairs(M.extract(arg[i])) do
      local name = M.name(b)
      local out = assert(io.open(dir .. "/" .. name, "w"))
      out:write(b.code)
      out:close()
      print(b.kind, name, b.file .. ":" .. b.line)
    end
  end
end

return M
