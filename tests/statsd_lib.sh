# Shared by the StatsD example's tests (tests/examples/statsd*.sh), after
# tests/example_lib.sh started the server: reads its flushes until they
# counted TOTAL metrics, then checks their totals with
# tests/statsd_totals.lua in MODE (what the client sent).
#   statsd_check TOTAL MODE
statsd_check() {
  local want=$1 mode=$2 line total=0
  lines=$(mktemp)
  trap 'rm -f "$lines"; _ex_cleanup' EXIT
  while [ "$total" -lt "$want" ] &&
        IFS= read -r line <&"${_ex_fd[server]}"; do
    [[ $line =~ \"metrics\":([0-9]+) ]] || { echo "server: $line"; continue; }
    total=$((total + BASH_REMATCH[1]))
    echo "$line" >> "$lines"
  done
  echo "flushes counted $total metrics"
  timeout 20 "$LUDP" tests/statsd_totals.lua "$lines" "$mode"
}
