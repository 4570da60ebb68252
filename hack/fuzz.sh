#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang and runs each for a while over its
# checked-in seeds (tests/fuzz/corpus/<target>/) plus what earlier runs found.
#
#   hack/fuzz.sh                     every target, FUZZ_SECONDS (default 60) each
#   hack/fuzz.sh --ci                every target: all seeds, then FUZZ_SECONDS (default 10)
#                                    each; any crash fails the run
#   hack/fuzz.sh image_reference     only the targets named (without _fuzz)
#
# New inputs go to $FUZZ_BUILD_DIR/corpus/<target> (the checked-in seeds stay as they
# are: copy a good find there by hand); a crash's input to $FUZZ_BUILD_DIR/crashes/<target>/
# and its log to $FUZZ_BUILD_DIR/logs/<target>.log. Replay one with
#   $FUZZ_BUILD_DIR/tests/fuzz/<target>_fuzz <input file>
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

ci=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --ci) ci=1 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "fuzz.sh: unknown option $arg" ;;
    *) targets+=("$arg") ;;
  esac
done
seconds="${FUZZ_SECONDS:-$([ "$ci" = 1 ] && echo 10 || echo 60)}"
build="${FUZZ_BUILD_DIR:-build-fuzz}"
CLANGXX="${FUZZ_CXX:-clang++-14}"
command -v "$CLANGXX" >/dev/null || die "fuzz.sh: $CLANGXX not found (hack/install-deps.sh installs clang-14)"

if [ ! -f "$build/build.ninja" ]; then
  # -O1: fast enough to fuzz, quick to build; Debug keeps assertions on.
  CXX="$CLANGXX" cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" -DMLMODEL_FUZZ=ON -DMLMODEL_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j2 --target fuzzers

if [ ${#targets[@]} -eq 0 ]; then
  for src in tests/fuzz/*_fuzz.cpp; do
    name=$(basename "$src" _fuzz.cpp)
    targets+=("$name")
  done
fi

# Leaks count as findings; UBSan stops at the first report (-fno-sanitize-recover).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
for name in "${targets[@]}"; do
  bin="$build/tests/fuzz/${name}_fuzz"
  seeds="tests/fuzz/corpus/$name"
  [ -x "$bin" ] || die "fuzz.sh: no target $name ($bin)"
  [ -d "$seeds" ] || die "fuzz.sh: no seeds for $name ($seeds)"
  mkdir -p "$build/corpus/$name" "$build/crashes/$name" "$build/logs"
  logfile="$build/logs/$name.log"
  start=$(date +%s)
  rc=0
  # The first directory receives new inputs; the seeds are only read. -timeout: an input
  # that takes over 10 s is a hang; -rss_limit_mb: one that needs 2 GiB a memory bomb.
  "$bin" "$build/corpus/$name" "$seeds" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/crashes/$name/" \
    >"$logfile" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logfile" | tail -1)
  printf 'fuzz: %-20s %3ss %10s runs  exit %s\n' "$name" "$(($(date +%s) - start))" "${runs:-?}" "$rc"
  if [ "$rc" -ne 0 ]; then
    failed+=("$name")
    tail -n 60 "$logfile" >&2
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/crashes/<target>/, logs in $build/logs/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
