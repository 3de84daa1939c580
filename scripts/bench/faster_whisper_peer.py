#!/usr/bin/env python3
"""The peer in `warmline bench transcribe`: faster-whisper on the same CTranslate2 tiny.en files.

Reads a JSON job on stdin:
  {"model": DIR, "clips": [PATH, ...], "compute_types": ["int8", "float32"],
   "threads": [1, 2], "repeats": 3}
and prints one JSON object: for every (compute type, threads) the per-clip median seconds of
`repeats` runs and the text. Decoding matches the gateway's: greedy (beam 1), English, no text
carried between clips, no VAD filter (both sides get the same whole clip).
"""
import json
import statistics
import sys
import time

from faster_whisper import WhisperModel


def main():
    job = json.load(sys.stdin)
    results = []
    for compute_type in job["compute_types"]:
        for threads in job["threads"]:
            model = WhisperModel(job["model"], device="cpu", compute_type=compute_type,
                                 cpu_threads=threads, num_workers=1)
            # One untimed run warms caches and the allocator, as the gateway's side does.
            list(model.transcribe(job["clips"][0], beam_size=1, language="en")[0])
            clips = []
            for clip in job["clips"]:
                times, text = [], ""
                for _ in range(job["repeats"]):
                    t = time.perf_counter()
                    segments, _ = model.transcribe(clip, beam_size=1, language="en",
                                                   vad_filter=False,
                                                   condition_on_previous_text=False)
                    text = "".join(s.text for s in segments).strip()
                    times.append(time.perf_counter() - t)
                clips.append({"clip": clip, "seconds": statistics.median(times), "text": text})
            results.append({"computeType": compute_type, "threads": threads, "clips": clips})
            del model
    json.dump({"peer": "faster-whisper", "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
