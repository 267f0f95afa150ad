#!/usr/bin/env bash
# Installs (apt-get) what building and testing QuantScope needs, when missing.
# Used by ../test.sh and ../run.sh; safe to run repeatedly.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-svg-dev libgl1-mesa-dev libqcustomplot-dev
  libeigen3-dev libhdf5-dev nlohmann-json3-dev libsentencepiece-dev libpcre2-dev
  xvfb xauth poppler-utils
  dpkg-dev file  # the .deb's dependencies: CPack runs dpkg-shlibdeps and file
)
# The package test also runs lintian, desktop-file-validate (desktop-file-utils)
# and appstreamcli (appstream) when they are installed; they are not required.

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists; update first, and again if an install fails on stale lists.
if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
