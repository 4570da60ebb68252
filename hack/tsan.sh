#!/usr/bin/env bash
# The operator's unit tests under ThreadSanitizer: the informer, work queue, leader
# elector, Event recorder and measurement pool own threads, and a data race there may pass
# every other test. Built with clang in its own tree ($TSAN_BUILD_DIR, default build-tsan):
# TSan cannot share a build with ASan, and GCC 12 rejects (-Wtsan, an error under -Werror)
# the atomic_thread_fence that Boost.Asio uses.
#
#   hack/tsan.sh                 build, then run every unit.* test
#   hack/tsan.sh -R Informer     extra arguments go to ctest
#
# Races in third-party code are suppressed in tests/tsan.supp, each with its reason.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

build="${TSAN_BUILD_DIR:-build-tsan}"
CLANGXX="${TSAN_CXX:-clang++-14}"
command -v "$CLANGXX" >/dev/null || die "tsan.sh: $CLANGXX not found (hack/install-deps.sh installs clang-14)"

if [ ! -f "$build/build.ninja" ]; then
  # -O1: TSan slows code down 5-15x; unoptimised it would be slower still.
  CXX="$CLANGXX" cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" -DMLMODEL_SANITIZE=thread >/dev/null
fi
cmake --build "$build" -j2 --target mlmodel_unit_tests

# A report fails its test (exitcode 66 from the test binary); second_deadlock_stack shows
# where both locks of a lock-order inversion were taken.
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$REPO_ROOT/tests/tsan.supp}"
# Only the operator's GoogleTest unit tests (unit.*): the other tests labelled unit are
# scripts with no threads of ours. Left out: the tests that hold peak RSS to a cap, since
# TSan's shadow memory counts too (the endless-body test grew 50.9 MiB against its 48 MiB
# under TSan); mlmodel_flood_tests is not even built here (tests/CMakeLists.txt).
bounded_memory='EndlessBodyFailsAtItsCapWithBoundedMemory|AnEndlessHeaderGets431AtTheCapAndMemoryStaysBounded'
ctest --test-dir "$build" -L unit -R '^unit\.' -E "$bounded_memory" --output-on-failure -j2 "$@"
