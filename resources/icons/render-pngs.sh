#!/usr/bin/env bash
# Renders the PNG sizes of quantscope.svg that the desktop's icon theme uses.
# Run by hand after editing the SVG (needs rsvg-convert, package librsvg2-bin);
# the PNGs are committed so that builds need no SVG renderer.
set -euo pipefail
cd "$(dirname "$0")"
for size in 48 64 128 256; do
  mkdir -p "${size}x${size}"
  rsvg-convert -w "$size" -h "$size" quantscope.svg -o "${size}x${size}/quantscope.png"
done
