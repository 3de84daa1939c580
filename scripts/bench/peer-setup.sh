#!/usr/bin/env bash
# Installs the transcription benchmark's peer (faster-whisper, pinned) into a virtualenv under
# the shared cache and prints its python. Idempotent.
set -euo pipefail
venv="${WARMLINE_CACHE:-$HOME/.cache/warmline}/venv-faster-whisper"
if ! "$venv/bin/python" -c 'import faster_whisper' 2>/dev/null; then
  echo "==> installing faster-whisper into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q faster-whisper==1.2.1 ctranslate2==4.8.5 >&2
fi
echo "$venv/bin/python"
