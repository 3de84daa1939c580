#!/usr/bin/env bash
# Sets up and runs every test: unit tests of the pure engines, integration tests that start the
# real gateway on port 0 with a temporary SQLite database, and browser tests that drive Debian's
# Chromium against it. Ends with one totals line.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/browser-deps.sh

# The e-mail tests' SMTP server: Debian's aiosmtpd for the system Python (tests/it/email.rs).
# Without root the tests skip; as root (WLTEST_REQUIRE_ROOT below) they must run.
if ! /usr/bin/python3 -c "import aiosmtpd" 2>/dev/null; then
  echo "==> installing Debian packages for the e-mail tests: python3-aiosmtpd"
  { as_root apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-aiosmtpd; } ||
    echo "(python3-aiosmtpd not installed: the e-mail tests will skip)"
fi

# Cluster mode's tests (tests/it/store*.rs, cluster.rs) start their own throwaway PostgreSQL and
# NATS servers from Debian's postgresql and nats-server; with them installed, they must run
# rather than skip.
have_postgres() { ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; }
have_nats() { [ -x /usr/sbin/nats-server ] || command -v nats-server >/dev/null; }
if ! have_postgres || ! have_nats; then
  echo "==> installing Debian packages for cluster mode's tests: postgresql nats-server"
  { as_root apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql nats-server; } ||
    echo "(postgresql/nats-server not installed: cluster mode's tests will skip)"
fi
if have_postgres; then export WLTEST_REQUIRE_POSTGRES=1; fi
if have_nats; then export WLTEST_REQUIRE_NATS=1; fi

# The real models (Whisper tiny.en, converted once, and all-MiniLM-L6-v2, extracted once; both
# cached and checked by checksum) for the transcription and semantic tests, which must run here
# rather than skip.
echo "==> models (speech, embeddings)"
bash models/fetch.sh q8_0
export WLTEST_REQUIRE_MODEL=1

# As root the fault-injection test mounts a small tmpfs (a full disk); it must run, not skip.
if [ "$(id -u)" = 0 ]; then export WLTEST_REQUIRE_ROOT=1; fi

# Browser tests must run here, not skip; screenshots land next to the build.
export WLTEST_REQUIRE_BROWSER=1
export WLTEST_SCREENSHOTS="${WLTEST_SCREENSHOTS:-$CARGO_TARGET_DIR/browser-screenshots}"
echo "==> cargo test (target dir: $CARGO_TARGET_DIR)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked --all-targets 2>&1 | tee "$log" || status=$?
# The shared target folder keeps every build's test binaries (a clone at a new path builds new
# ones, about 2 GB a run since the tests link once): keep the newest of each name, and drop incremental state over 8 GB.
python3 - "$CARGO_TARGET_DIR" <<'PRUNE' || true
import os, re, sys, shutil
deps = os.path.join(sys.argv[1], "debug", "deps")
newest = {}
for f in os.listdir(deps) if os.path.isdir(deps) else []:
    p = os.path.join(deps, f)
    m = re.match(r"^(.*)-[0-9a-f]{16}$", f)
    if m and os.path.isfile(p) and os.access(p, os.X_OK):
        newest.setdefault(m.group(1), []).append((os.path.getmtime(p), p))
for name, runs in newest.items():
    keep = 2 if name == "warmline" else 1  # the lib's and the bin's unit tests share a name
    for _, p in sorted(runs)[:-keep]:
        os.remove(p)
inc = os.path.join(sys.argv[1], "debug", "incremental")
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(inc) for f in fs)
if size > 8 << 30:
    shutil.rmtree(inc, ignore_errors=True)
PRUNE
# Ignored tests are the long fuzzing runs (cargo test --release --lib -- --ignored fuzz).
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "tests: %d passed, %d failed, %d ignored (long fuzzing runs)\n", p, f, i }' "$log"
exit "$status"
