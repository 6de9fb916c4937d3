#!/bin/sh
# Lint: luacheck (Debian's lua-check) with .luacheckrc over the Lua code of
# the project (lua/, spec/, examples/, tests/, bench/, the rockspec) and
# over every ```lua block of docs/*.md (extracted by tests/docs_blocks.lua,
# checked under the name docs/<file>.md-<line>.lua so that .luacheckrc
# gives them the host's globals, and busted's to busted blocks).
# The ---@meta files of types/ are only compiled: their bodies are empty.
set -eu
cd "$(dirname "$0")/../.."
command -v luacheck >/dev/null || { echo "luacheck: not installed (apt-get install lua-check)"; exit 1; }

status=0
set -- lua spec examples tests
[ -d bench ] && ls bench/*.lua >/dev/null 2>&1 && set -- "$@" bench
ls ./*.rockspec >/dev/null 2>&1 && set -- "$@" ./*.rockspec
luacheck --no-color --formatter plain "$@" || status=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
lua5.4 tests/docs_blocks.lua "$tmp" docs/*.md > "$tmp/list"
n=0
while read -r kind name where; do
  # A sample .luacheckrc sets luacheck's own globals: not a program.
  head -n 1 "$tmp/$name" | grep -q '^-- \.luacheckrc' && continue
  n=$((n + 1))
  if ! luacheck --no-color --formatter plain --filename "docs/$name" - \
       < "$tmp/$name" > "$tmp/out" 2>&1; then
    status=1
    sed "s|^docs/$name|$where (docs/$name)|" "$tmp/out"
  fi
done < "$tmp/list"
echo "luacheck: $n code blocks of docs/*.md checked"

for f in types/*.lua; do
  [ -e "$f" ] || continue
  lua5.4 -e "assert(loadfile('$f'))" || status=1
done

[ "$status" -eq 0 ] && echo "luacheck: clean"
exit "$status"
