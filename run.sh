#!/usr/bin/env bash
# Sets up and builds like test.sh, then opens the workbench on MODEL
# (a Hugging Face directory, .safetensors, .gguf or llama2.c .bin), or on the
# bundled demo model (resources/demo/qs-tiny-llama) when none is given.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/packaging/install-deps.sh"
cmake -S "$here" -B "$here/build" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$here/build" -j "$(nproc)" --target quantscope quantscope-cli
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "run.sh: no display; try 'xvfb-run -a ./run.sh' or 'build/bin/quantscope --open MODEL --screenshot out.png'" >&2
  exit 1
fi
if [ $# -gt 0 ]; then
  exec "$here/build/bin/quantscope" --open "$(realpath "$1")" "${@:2}"
fi
exec "$here/build/bin/quantscope"
