// Transcribed speech as captions. Voice lines are `voice` messages of the conversation (stored
// and reviewed with everything else) but never chat bubbles: during the call they show as
// captions (the customer turns them on) and in the agent's live transcript. Very short
// utterances and ones without a word ("uh", noise) are left out of these live views, and lines
// are ordered by when they were spoken, not when recognition finished.

/** Shortest utterance shown live, in milliseconds. */
export const MIN_CAPTION_MS = 1000;

const WORD = /[\p{L}\p{N}]{2,}/u;

/** Whether a voice message is worth showing live. */
export function captionWorthy(message) {
  const v = message?.voice;
  if (message?.channel !== "voice" || !v) return false;
  const ms = (v.endMs ?? v.startMs) - v.startMs;
  return ms >= MIN_CAPTION_MS && WORD.test(message.content ?? "");
}

/**
 * The last `n` caption lines of `callId` in `model`, oldest first: [{ id, speaker, name, text }].
 * `self` is the speaker shown as "You" ("customer" on the customer's page).
 */
export function latestCaptions(model, callId, { n = 2, self = null } = {}) {
  if (!model || !callId) return [];
  const lines = [];
  for (const m of model.messages?.values?.() ?? []) {
    if (m.voice?.callId === callId && captionWorthy(m)) lines.push(m);
  }
  lines.sort((a, b) => a.voice.startMs - b.voice.startMs);
  return lines.slice(-n).map((m) => ({
    id: m.id,
    speaker: m.speaker,
    name:
      m.speaker === self
        ? "You"
        : model.participantName?.(m.voice.participantId, callId) || (m.speaker === "customer" ? model.customerName?.() : null) || (m.speaker === "customer" ? "Customer" : "Support"),
    text: m.content,
  }));
}
