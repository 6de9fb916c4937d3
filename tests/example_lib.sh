# shellcheck shell=bash
# Helpers for the smoke tests of tests/examples/ (bash; sourced, from the
# repository root). A started process writes to a FIFO that the test reads
# line by line, so a test waits for what a process prints, not for a
# delay; every process runs under `timeout`, so no wait is unbounded.
#
#   . tests/example_lib.sh
#   port=$(free_port)
#   start server "$LUDP" examples/server.lua "$port" 127.0.0.1
#   wait_line server '^server listening '
#   ...
#   finish server 0            # the rest of its output, then its status

LUDP=${LUDP_BIN:-build/ludp}
EXAMPLE_TIMEOUT=${EXAMPLE_TIMEOUT:-20}
_ex_tmp=$(mktemp -d)
declare -A _ex_pid _ex_fd

_ex_cleanup() {
  local name
  for name in "${!_ex_pid[@]}"; do
    kill "${_ex_pid[$name]}" 2>/dev/null || true
  done
  rm -rf "$_ex_tmp"
}
trap _ex_cleanup EXIT

# A UDP port free on 127.0.0.1 now (the test binds it right after), taken
# below the kernel's ephemeral range: a socket bound to port 0 elsewhere
# (a spec running beside the test) is never given it, so it cannot catch
# what a client sends there before the example's server binds. Falls back
# to port 0 when that range starts too low to leave room under it.
free_port() {
  timeout 10 "$LUDP" -e '
    local lo = 32768
    local f = io.open("/proc/sys/net/ipv4/ip_local_port_range")
    if f then lo = f:read("n") or lo; f:close() end
    local dgram = require("dgram")
    -- Seeded by the pid: two tests started in the same second, whose
    -- seeds could otherwise match (an ASan build maps its heap and stack
    -- at the same addresses), would pick the same port.
    math.randomseed(process.pid, os.time())
    local function try()
      local s = dgram.createSocket("udp4")
      local port = lo >= 4096 and math.random(lo // 2, lo - 1) or 0
      s:on("error", function() s:close(); try() end) -- taken: another one
      s:bind(port, "127.0.0.1", function()
        print(s:address().port); s:close()
      end)
    end
    try()'
}

# start NAME CMD...: runs CMD in the background, its output (both
# streams) readable with wait_line/finish.
start() {
  local name=$1 fd
  shift
  mkfifo "$_ex_tmp/$name"
  # --foreground: a signal sent to timeout goes to the example once; without
  # it timeout also signals its whole group, then sends SIGCONT to both,
  # which can reach the example while it exits (in the ASan build that
  # SIGCONT can hang LeakSanitizer's exit check).
  timeout --foreground "$EXAMPLE_TIMEOUT" "$@" > "$_ex_tmp/$name" 2>&1 &
  _ex_pid[$name]=$!
  exec {fd}< "$_ex_tmp/$name"
  _ex_fd[$name]=$fd
}

pid_of() { echo "${_ex_pid[$1]}"; }

# wait_line NAME REGEX: echoes NAME's lines until one matches REGEX (bash
# =~); fails if NAME ends first.
wait_line() {
  local name=$1 re=$2 line
  while IFS= read -r line <&"${_ex_fd[$name]}"; do
    echo "$name: $line"
    [[ $line =~ $re ]] && return 0
  done
  echo "FAIL: $name ended before printing a line matching /$re/"
  return 1
}

# finish NAME STATUS: echoes the rest of NAME's output and checks that it
# exited with STATUS.
finish() {
  local name=$1 want=$2 line status=0
  while IFS= read -r line <&"${_ex_fd[$name]}"; do echo "$name: $line"; done
  wait "${_ex_pid[$name]}" || status=$?
  unset "_ex_pid[$name]"
  if [ "$status" != "$want" ]; then
    echo "FAIL: $name exited with status $status, expected $want"
    return 1
  fi
}
