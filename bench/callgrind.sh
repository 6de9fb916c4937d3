#!/usr/bin/env bash
# bench/callgrind.sh - instructions per echoed datagram of one or more ludp
# binaries, counted by callgrind (user space: ludp's own work, libc's
# included, the kernel's not). Unlike pps and CPU time, the count does
# not drift with the machine, so it compares builds to the instruction.
#
#   bench/callgrind.sh [LUDP...]                 (default: build/ludp)
#   bench/callgrind.sh build/ludp /other/ludp    (A/B: one table, the first
#                                                 binary the reference)
#
# Each repetition of each binary is two runs of `LUDP examples/echo.lua
# PORT` under `valgrind --tool=callgrind`, flooded by bench/bin/loadgen
# (`loadgen flood`, SIZE bytes, WINDOW in flight) with N1 and then N2
# datagrams, then stopped with SIGTERM. Instructions per datagram =
# (Ir of the N2 run - Ir of the N1 run) / (N2 - N1): start-up and
# shut-down cancel out. The server gets a free port of 127.0.0.1
# (`loadgen freeport`; echo.lua does not report the port it would get for
# 0) and is flooded once its socket is bound (seen in /proc/net/udp), so
# that it receives the flood's datagrams and nothing else. The server and
# the load generator share one CPU (taskset), the load generator sleeping
# when it has nothing to do: the two then take turns, the server reads
# batches of the same size in every run, and the runs of one binary agree
# within a few instructions (on two CPUs the batches follow the timing,
# and the runs spread more). Loopback only; every wait is bounded, and the
# script kills only what it started.
#
# The hash seed: Lua's string hash seed mixes time() with addresses, and
# which of rinfo's keys collide moves the count by several percent. An
# LD_PRELOAD shim (bench/bin/fixed_time.so, built here) makes time()
# return FIXED_TIME; the server runs with an empty environment (env -i)
# and its port written with five digits, so that its stack, hence the
# addresses, are the same in every run: every run of one build has the
# same seed. Another build has other addresses, hence another seed: a
# small difference between two builds can be the seed alone (see
# bench/README.md).
#
# The allocator: src/alloc.c hands every block to malloc when
# RUNNING_ON_VALGRIND (a valgrind client request, compiled in when
# valgrind/valgrind.h was installed at build time) says it runs under
# valgrind, so that memcheck sees each one. No option or environment
# variable of the binary turns that off. With POOL=1 (the default) the
# binary measured is a copy of each one in which that client request
# (valgrind's marker, four `rol`s of %rdi that add up to none, then
# `xchg %rbx,%rbx`) is overwritten with `nop`s of the same length: the
# request then returns its default, 0, as it does outside valgrind, and
# the production allocator runs. Nothing else moves: same code, same
# addresses, same hash seed as the binary itself. x86-64 only; elsewhere
# (or to check the patch), build with `cmake -B build-nv
# -DCMAKE_C_FLAGS=-DNVALGRIND` (client requests then return 0 too; the
# layout moves a little) and measure that with POOL=0. POOL=0 measures
# the binaries as they are (malloc for every block).
#
# Environment:
#   REPS=3               repetitions of each binary (each: two runs); the
#                        table has each one's figure and their median
#   N1=20000 N2=40000    datagrams of the two floods
#   SIZE=64              payload bytes (1200: the other size bench/run measures)
#   PEERS=0              0: one peer (a connected socket); N: the datagrams come
#                        from N source addresses in turn, 127.0.0.2 and up
#                        (loadgen flood -P N), as bench/run's many-peer rows
#   WINDOW=64            datagrams in flight
#   POOL=1               1: the production allocator (a patched copy, above);
#                        0: the binaries as they are
#   FIXED_TIME=1700000000  what time() returns in the server
#   SEEDS=0              1: each repetition another hash seed (time() =
#                        FIXED_TIME + 1234 x (rep - 1)), the same for every
#                        binary; the median then spans seeds, so that a
#                        change to rinfo's tables is not judged on one seed's
#                        collisions (REPS=6 SEEDS=1: bench/README.md)
#   SCRIPT="examples/echo.lua"  the server script and its arguments before
#                        the port (bench/echo_recvinfo.lua [reply]: the cost
#                        of recvInfo)
#   CPU=                 the CPU of the server and the load generator
#                        (default: the last one)
#   RESULTS=bench/results  the table and a TSV go there, callgrind's output
#                        files to RESULTS/logs/callgrind-STAMP/ (callgrind_annotate)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

for a in "$@"; do
  case $a in
    -h|--help) sed -n '2,/^set -euo/p' bench/callgrind.sh | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench/callgrind.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || set -- build/ludp

REPS=${REPS:-3}
N1=${N1:-20000}
N2=${N2:-40000}
SIZE=${SIZE:-64}
PEERS=${PEERS:-0}
WINDOW=${WINDOW:-64}
POOL=${POOL:-1}
FIXED_TIME=${FIXED_TIME:-1700000000}
SEEDS=${SEEDS:-0}
SCRIPT=${SCRIPT:-examples/echo.lua}
read -r -a SCRIPT_ARGV <<<"$SCRIPT"
RESULTS=${RESULTS:-bench/results}
CPU=${CPU:-$(($(nproc) - 1))}
CC=${CC:-cc}
BIN=bench/bin
LG=$BIN/loadgen
SHIM=$BIN/fixed_time.so

say() { printf '%s\n' "$*" >&2; }
die() { say "bench/callgrind.sh: $*"; exit 2; }

for n in $REPS $N1 $N2 $SIZE $WINDOW $FIXED_TIME $CPU $PEERS; do
  [[ $n =~ ^[0-9]+$ ]] || die "REPS, N1, N2, SIZE, WINDOW, FIXED_TIME, CPU and PEERS take whole numbers, not '$n'"
done
PEER_OPT=()
[ "$PEERS" = 0 ] || PEER_OPT=(-P "$PEERS")
[ "$REPS" -ge 1 ] || die "REPS must be at least 1"
[ "$N2" -gt "$N1" ] || die "N2 ($N2) must be more than N1 ($N1)"
[ "$SIZE" -ge 8 ] || die "SIZE must be at least 8 (loadgen's sequence number)"
[[ $POOL =~ ^[01]$ ]] || die "POOL is 1 or 0, not '$POOL'"
[[ $SEEDS =~ ^[01]$ ]] || die "SEEDS is 1 or 0, not '$SEEDS'"
VALGRIND=$(command -v valgrind) || die "valgrind is not installed (apt-get install valgrind)"
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c "$CPU"); PINNING="server and loadgen on CPU $CPU"
else PINNING="not pinned (no taskset): the figures spread more"; fi
for b in "$@"; do
  { [ -f "$b" ] && [ -x "$b" ]; } || die "$b is not an executable (build ludp first: cmake -B build && cmake --build build)"
done

# --- build what is needed (bench/bin/, git-ignored) --------------------------
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$RESULTS/logs/callgrind-$STAMP
mkdir -p "$BIN/callgrind" "$OUT"
build() { # output source extra-flags...
  local out=$1 src=$2; shift 2
  if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
    "$CC" -O2 -g -Wall -Wextra -o "$out" "$src" "$@"
  fi
}
build "$LG" bench/loadgen.c || die "cannot compile bench/loadgen.c with $CC"
if [ ! -f "$SHIM" ] || [ bench/callgrind.sh -nt "$SHIM" ]; then
  # time() of a fixed value, FIXED_TIME from the environment: Lua's hash seed.
  cat >"$BIN/fixed_time.c" <<'EOF'
/* bench/callgrind.sh's LD_PRELOAD shim: time() returns $FIXED_TIME. */
#include <stdlib.h>
#include <time.h>
time_t time (time_t *t) {
  const char *s = getenv("FIXED_TIME");
  time_t v = s ? (time_t)strtoll(s, NULL, 10) : 0;
  if (t) *t = v;
  return v;
}
EOF
  "$CC" -O2 -Wall -Wextra -shared -fPIC -o "$SHIM" "$BIN/fixed_time.c" ||
    die "cannot compile the time() shim with $CC"
fi

# --- the binaries measured ---------------------------------------------------
# With POOL=1, a copy whose valgrind client requests return their default (0).
patch_valgrind_check() { # binary copy -> prints how many requests were patched
  local elf
  elf=$(od -An -tx1 -j18 -N2 "$1" | tr -d ' ')
  [ "$elf" = 3e00 ] || die "POOL=1 patches x86-64 code only ($1 is not x86-64):" \
    "build with -DCMAKE_C_FLAGS=-DNVALGRIND and use POOL=0"
  # valgrind.h's amd64 marker (rol $3,$13,$61,$51 of %rdi: 128 bits, no
  # change) and the client request's xchg %rbx,%rbx, 19 bytes, become two
  # 9-byte nops and a nop. The result register already holds the default;
  # the asm clobbers the flags. (Valgrind refuses the marker without a
  # request after it, so it goes too.)
  perl -0777 -pe 'BEGIN { binmode STDIN; binmode STDOUT }
    $n += s/\x48\xc1\xc7\x03\x48\xc1\xc7\x0d\x48\xc1\xc7\x3d\x48\xc1\xc7\x33\x48\x87\xdb/
            "\x66\x0f\x1f\x84\x00\x00\x00\x00\x00" x 2 . "\x90"/ge;
    END { print STDERR ($n || 0), "\n" }' <"$1" 2>"$2.count" >"$2"
  chmod +x "$2"
  cat "$2.count"
  rm -f "$2.count"
}
NB=$#
SRC=() RUN=() INFO=() NOTE=()
i=0
for b in "$@"; do
  i=$((i + 1))
  SRC[i]=$b
  INFO[i]="$("$b" --version 2>/dev/null | head -n 1), built $(date -r "$b" '+%Y-%m-%d %H:%M')"
  if [ "$POOL" = 1 ]; then
    RUN[i]=$BIN/callgrind/ludp-$i
    n=$(patch_valgrind_check "$b" "${RUN[i]}")
    case $n in
      0) NOTE[i]="no valgrind check in the binary: its allocator is the pool under valgrind too" ;;
      1) NOTE[i]="" ;;
      *) NOTE[i]="$n valgrind client requests patched to return 0, not 1" ;;
    esac
  else
    RUN[i]=$b NOTE[i]=""
  fi
done

# --- one run under callgrind -------------------------------------------------
STARTED=()
cleanup() {
  local p
  for p in "${STARTED[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bound() { # port -> true once a socket of 127.0.0.1:port is bound
  grep -q " 0100007F:$(printf %04X "$1") " /proc/net/udp
}

seed_time() { # rep -> what time() returns in that repetition
  if [ "$SEEDS" = 1 ]; then echo $((FIXED_TIME + 1234 * ($1 - 1))); else echo "$FIXED_TIME"; fi
}

CG_IR=""
callgrind_run() { # binary-index rep count -> Ir of the whole run in CG_IR
  local i=$1 rep=$2 count=$3 port pid line out log rc
  out=$OUT/callgrind.out.$i.$rep.$count
  log=$OUT/run.$i.$rep.$count.log
  port=$("$LG" freeport)
  bound "$port" && die "port $port from loadgen freeport is taken"
  # An empty environment and a five-digit port: the same stack in every run.
  "${PIN[@]}" env -i FIXED_TIME="$(seed_time "$rep")" LD_PRELOAD="$ROOT/$SHIM" \
    "$VALGRIND" --tool=callgrind --callgrind-out-file="$out" \
    "${RUN[i]}" "${SCRIPT_ARGV[@]}" "$(printf %05d "$port")" >"$log" 2>&1 &
  pid=$!
  STARTED+=("$pid")
  for _ in $(seq 600); do # up to 60 s for start-up under valgrind
    bound "$port" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! bound "$port"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    say "bench/callgrind.sh: ${SRC[i]} did not bind 127.0.0.1:$port; its log ($log):"
    sed 's/^/    /' "$log" >&2
    exit 1
  fi
  line=$("${PIN[@]}" "$LG" flood -S "${PEER_OPT[@]}" -p "$port" -s "$SIZE" -w "$WINDOW" -n "$count" -t 10000 -d 120 \
    -l "$i.$rep" || true)
  echo "$line" >>"$OUT/loadgen.txt"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -KILL "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    die "${SRC[i]} did not exit within 60 s of SIGTERM; see $log"
  fi
  rc=0
  wait "$pid" 2>/dev/null || rc=$?
  [ "$rc" = 0 ] || die "${SRC[i]} exited with status $rc; see $log"
  [[ $line == *" echoed=$count lost=0 "* && $line == *" capped=0 "* ]] ||
    die "${SRC[i]}: the flood of $count did not come back whole: $line"
  CG_IR=$(awk '$1 == "totals:" { print $2 }' "$out")
  [[ $CG_IR =~ ^[0-9]+$ ]] || die "no 'totals:' line in $out"
}

# --- the runs ----------------------------------------------------------------
say "# bench/callgrind.sh: $NB binar$([ "$NB" = 1 ] && echo y || echo ies), $REPS repetition$([ "$REPS" = 1 ] || echo s) of" \
    "a $N1 and a $N2 datagram flood ($SIZE B, window $WINDOW, ${PEERS/#0/1} peer(s)) under callgrind; output in $OUT"
TSV=$RESULTS/callgrind-$STAMP.tsv
TABLE=$RESULTS/callgrind-$STAMP.txt
printf 'n\tbinary\trep\tir_%s\tir_%s\tir_per_datagram\n' "$N1" "$N2" >"$TSV"
declare -A PER=()
for rep in $(seq "$REPS"); do
  for i in $(seq "$NB"); do # binaries in turn
    callgrind_run "$i" "$rep" "$N1"; a=$CG_IR
    callgrind_run "$i" "$rep" "$N2"; b=$CG_IR
    PER[$i,$rep]=$(awk -v a="$a" -v b="$b" -v n=$((N2 - N1)) 'BEGIN { printf "%.1f", (b - a) / n }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "${SRC[i]}" "$rep" "$a" "$b" "${PER[$i,$rep]}" >>"$TSV"
    say "  rep $rep ${SRC[i]}: ${PER[$i,$rep]} instructions per datagram"
  done
done

# --- the table ---------------------------------------------------------------
{
  echo "bench/callgrind.sh $STAMP: $(nproc) CPU $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $("$VALGRIND" --version)"
  echo "instructions per echoed datagram: (Ir of a $N2 - Ir of a $N1 datagram flood) / $((N2 - N1));" \
       "$SIZE B, window $WINDOW, from ${PEERS/#0/1} peer(s); time() = $FIXED_TIME$([ "$SEEDS" = 0 ] || echo " + 1234 x (rep - 1), a hash seed each"); $SCRIPT; $PINNING"
  if [ "$POOL" = 1 ]; then
    echo "allocator: the production pool (a copy of each binary, its valgrind check patched out)"
  else
    echo "allocator: as built (under valgrind, src/alloc.c hands every block to malloc)"
  fi
  for i in $(seq "$NB"); do
    echo "  ${SRC[i]}: ${INFO[i]}${NOTE[i]:+; ${NOTE[i]}}"
  done
  echo
  awk -F'\t' -v reps="$REPS" '
    function median(a, n,   i, j, t) {
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    NR > 1 { if ($1 + 0 > nbin) nbin = $1 + 0
             name[$1] = $2; v[$1, $3] = $6; if (length($2) > w) w = length($2) }
    END {
      if (w < 6) w = 6
      line = sprintf("%-" w "s", "binary")
      for (r = 1; r <= reps; r++) line = line sprintf(" %9s", "rep " r)
      print line sprintf(" %9s %9s", "median", "vs first")
      for (i = 1; i <= nbin; i++) {
        line = sprintf("%-" w "s", name[i]); n = 0
        for (r = 1; r <= reps; r++) { line = line sprintf(" %9.1f", v[i, r]); a[++n] = v[i, r] }
        m[i] = median(a, n)
        line = line sprintf(" %9.1f", m[i])
        if (i > 1) line = line sprintf(" %+8.2f%%", m[1] ? 100 * (m[i] / m[1] - 1) : 0)
        print line
      }
    }' "$TSV"
} | tee "$TABLE"
say "# table: $TABLE; TSV: $TSV; callgrind's files: $OUT (callgrind_annotate FILE)"
