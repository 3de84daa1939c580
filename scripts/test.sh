#!/usr/bin/env bash
# Sets up and runs every test: unit tests of the pure engines and integration tests that start the
# real gateway on port 0 with a temporary SQLite database.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

echo "==> cargo test (target dir: $CARGO_TARGET_DIR)"
cargo test --locked --all-targets 2>&1
