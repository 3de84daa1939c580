#!/usr/bin/env bash
# Shared by test.sh: what the browser tests need. Debian's Chromium (never a downloaded browser),
# espeak-ng (speech for the fake microphone), iptables as root (the network-drop test), Node.js with npm, and playwright-core from npm, installed with `npm ci` from the committed lock
# (integrity-checked) into a cache directory named after the lock's checksum, so repeated runs
# reuse it. Exports WLTEST_BROWSER_MODULES (the node_modules directory) and
# WLTEST_CHROMIUM. Source it after setup.sh; do not run it.

need_pkgs=()
command -v chromium >/dev/null 2>&1 || need_pkgs+=(chromium)
command -v node >/dev/null 2>&1 || need_pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || need_pkgs+=(npm)
# Speech for the fake microphone in call tests.
command -v espeak-ng >/dev/null 2>&1 || need_pkgs+=(espeak-ng)
# Packet filtering for the network-drop call test (root only; it cuts the media ports for seconds).
if [ "$(id -u)" = 0 ]; then
  command -v iptables >/dev/null 2>&1 || need_pkgs+=(iptables)
fi
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "==> installing Debian packages for browser tests: ${need_pkgs[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_pkgs[@]}"
fi

lock="tests/browser/package-lock.json"
sum="$(sha256sum "$lock" | cut -c1-16)"
dir="$WARMLINE_CACHE/npm/$sum"
if [ ! -f "$dir/.complete" ]; then
  echo "==> installing browser test packages (npm ci) into $dir"
  rm -rf "$dir" && mkdir -p "$dir"
  cp tests/browser/package.json "$lock" "$dir/"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  touch "$dir/.complete"
fi
export WLTEST_BROWSER_MODULES="$dir/node_modules"
WLTEST_CHROMIUM="$(command -v chromium)"
export WLTEST_CHROMIUM
