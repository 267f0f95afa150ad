#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (tests/fuzz/README.md, "Sanitizer run of the whole suite"), in two builds:
#   headless (QS_GUI=OFF): core and kernel tests, fuzz slices, hardening checks;
#   GUI (QS_GUI=ON): the Qt Test cases (tst_*), offscreen, and the quantscope
#   binary that two of them start.
# Exits non-zero when a configure, a build or a test fails.
#
#   tests/sanitize.sh [--headless-only | --gui-only]
#
# Environment (defaults in brackets):
#   QS_ASAN_DIR       headless build directory [<repo>/build-asan]
#   QS_ASAN_GUI_DIR   GUI build directory [<repo>/build-asan-gui]
#   QS_SHARED_DIR     models and data [<repo>/../shared]
#   QS_JOBS           parallel compile jobs [nproc]
#   QS_TEST_TIMEOUT   seconds per test [1500; ASan makes the model tests 3-10x slower]
#   QS_FUZZ_SLICE_INPUTS  mutated inputs per reader [300; 10000 is the long run]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
headless_dir=${QS_ASAN_DIR:-$root/build-asan}
gui_dir=${QS_ASAN_GUI_DIR:-$root/build-asan-gui}
shared_dir=${QS_SHARED_DIR:-$root/../shared}
jobs=${QS_JOBS:-$(nproc)}
timeout=${QS_TEST_TIMEOUT:-1500}
fuzz_inputs=${QS_FUZZ_SLICE_INPUTS:-300}

run_headless=1 run_gui=1
case "${1:-}" in
  --headless-only) run_gui=0 ;;
  --gui-only) run_headless=0 ;;
  "") ;;
  *) echo "usage: $0 [--headless-only | --gui-only]" >&2; exit 2 ;;
esac

# Leaks are errors; the suppressions cover only leaks inside system libraries
# (each entry says which and why). UBSan already aborts (-fno-sanitize-recover);
# the stack trace says where. Initialization order matters here: the CLI's
# commands register themselves from file-scope objects.
export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

configure() {  # configure <dir> <extra cmake args...>
  local dir=$1; shift
  cmake -S "$root" -B "$dir" -G Ninja -DQS_SANITIZE=ON -DQS_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DQS_SHARED_DIR="$shared_dir" -DQS_FUZZ_SLICE_INPUTS="$fuzz_inputs" "$@"
}

# Both builds run even when the first fails, so one run reports everything.
status=0
if (( run_headless )); then
  echo "== headless: $headless_dir"
  if configure "$headless_dir" -DQS_GUI=OFF && cmake --build "$headless_dir" -j "$jobs"; then
    (cd "$headless_dir" && ctest --output-on-failure -j1 --timeout "$timeout") || status=1
  else
    status=1
  fi
fi
if (( run_gui )); then
  echo "== GUI: $gui_dir"
  gui_tests=()
  for src in "$root"/tests/views/tst_*.cpp; do gui_tests+=("$(basename "$src" .cpp)"); done
  if configure "$gui_dir" -DQS_GUI=ON && cmake --build "$gui_dir" -j "$jobs" --target quantscope "${gui_tests[@]}"; then
    (cd "$gui_dir" && QT_QPA_PLATFORM=offscreen ctest --output-on-failure -j1 --timeout "$timeout" -R '^tst_') ||
      status=1
  else
    status=1
  fi
fi
exit "$status"
