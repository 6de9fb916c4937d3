#!/bin/sh
# Builds and runs the libFuzzer targets of tests/fuzz (see
# docs/reliability.md):
#
#   run.sh build DIR                 configure DIR with clang and
#                                    -DLUDP_FUZZ=ON, build fuzz_dgram and
#                                    fuzz_addr (incremental)
#   run.sh short TARGET DIR [SECS]   the test suite's run: SECS (30) seconds
#                                    from the seed corpus, on a scratch copy
#   run.sh long TARGET DIR [SECS] [JOBS]
#                                    a long run (default 3600 s, 1 job):
#                                    what it finds grows DIR/corpus-TARGET;
#                                    then merge new seeds with 'merge'
#   run.sh merge TARGET DIR          adds to tests/fuzz/corpus/TARGET the
#                                    inputs of DIR/corpus-TARGET that cover
#                                    something new (libFuzzer -merge=1)
#   run.sh repro TARGET DIR FILE...  runs the given inputs once (a crash
#                                    file from DIR/artifacts, or seeds)
#
# TARGET is dgram or addr. Runs happen inside a private network namespace
# with only lo (unshare -rn) when the system allows it, so that no input
# can reach another process's port or leave the machine; the drivers then
# get FUZZ_NETNS=1. Crashes are written to DIR/artifacts/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cmd=${1:?usage: run.sh build|short|long|merge|repro ...}
shift

# Runs "$@" in a fresh network namespace with lo up, if possible.
in_netns() {
  if [ "$(id -u)" -eq 0 ]; then un="unshare -n"; else un="unshare -rn"; fi
  if command -v ip >/dev/null 2>&1 && $un true 2>/dev/null; then
    $un sh -c 'ip link set lo up && FUZZ_NETNS=1 exec "$@"' sh "$@"
  else
    echo "run.sh: no network namespace: loopback only, no port above 0 bound" >&2
    "$@"
  fi
}

case "$cmd" in
  build)
    dir=${1:?run.sh build DIR}
    cc=$(command -v clang || command -v clang-14 || true)
    [ -n "$cc" ] || { echo "run.sh: clang not found (apt-get install clang)"; exit 1; }
    if [ ! -f "$dir/CMakeCache.txt" ]; then
      cmake -S "$root" -B "$dir" -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_BUILD_TYPE=Debug -DLUDP_FUZZ=ON >/dev/null
    fi
    cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)" \
      --target fuzz_dgram fuzz_addr
    ;;
  short|long)
    target=${1:?run.sh $cmd TARGET DIR}
    dir=$(cd "${2:?run.sh $cmd TARGET DIR}" && pwd)
    bin="$dir/fuzz_$target"
    [ -x "$bin" ] || { echo "run.sh: $bin missing: run.sh build $dir"; exit 1; }
    seeds="$here/corpus/$target"
    mkdir -p "$dir/artifacts"
    if [ "$cmd" = short ]; then
      secs=${3:-30}
      work="$dir/work-$target"
      rm -rf "$work"
      mkdir -p "$work"
      jobs=""
    else
      secs=${3:-3600}
      work="$dir/corpus-$target"
      mkdir -p "$work"
      jobs="-jobs=${4:-1} -workers=${4:-1}"
    fi
    # -timeout: an input that runs 10 s is a hang; -rss_limit_mb: growth
    # without bound is a leak; both count as findings.
    mkdir -p "$dir/logs-$target"
    cd "$dir/logs-$target"         # -jobs writes its fuzz-N.log here
    # shellcheck disable=SC2086
    if ! in_netns "$bin" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/$target-" $jobs "$work" "$seeds"
    then
      echo "run.sh: fuzz_$target found a failure; the input is in $dir/artifacts/."
      echo "run.sh: replay it with: tests/fuzz/run.sh repro $target $dir FILE"
      exit 1
    fi
    ;;
  merge)
    target=${1:?run.sh merge TARGET DIR}
    dir=${2:?run.sh merge TARGET DIR}
    in_netns "$dir/fuzz_$target" -merge=1 -max_len=4096 \
      "$here/corpus/$target" "$dir/corpus-$target"
    ;;
  repro)
    target=${1:?run.sh repro TARGET DIR FILE...}
    dir=${2:?run.sh repro TARGET DIR FILE...}
    shift 2
    in_netns "$dir/fuzz_$target" -runs=1 "$@"
    ;;
  *)
    echo "run.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
