// The call events of a conversation as compact timeline lines, for the customer page and the agent
// console: "Video call started", "Dana joined the call", "Sam muted their microphone", …
//
// `callNotice(change, opts)` takes what ConversationModel.apply returned for a call_* event and
// gives { text, tone } (or null when the event is not worth a line).

import { formatDuration, humanize } from "./format.js";

/** What a member did with a source, given "their" or "your". */
const MEDIA_TEXT = {
  screen: {
    started: (their) => `started sharing ${their} screen`,
    stopped: (their) => `stopped sharing ${their} screen`,
  },
  camera: {
    stopped: (their) => `turned ${their} camera off`,
    muted: (their) => `turned ${their} camera off`,
    unmuted: (their) => `turned ${their} camera on`,
  },
  microphone: {
    stopped: (their) => `turned ${their} microphone off`,
    muted: (their) => `muted ${their} microphone`,
    unmuted: (their) => `unmuted ${their} microphone`,
  },
};

/**
 * @param change  { kind: "call", event, call }
 * @param opts    view: "customer" | "agent"
 *                model: ConversationModel
 *                isSelf(participantId): whether a participant is the person looking at the page
 */
export function callNotice(change, { view, model, isSelf = () => false }) {
  const e = change.event;
  const name = (pid) => model.participantName(pid, e.callId) || (view === "customer" ? "Support" : "Someone");
  const self = (pid) => !!pid && isSelf(pid);
  switch (e.type) {
    case "call_started": {
      let text;
      if (view === "customer") text = e.origin === "customer" ? "You started a video call" : "Video call started";
      else if (e.origin === "customer") text = `${model.customerName()} started a video call`;
      else if (e.origin === "handoff") text = "Video call started · the customer asked for a call";
      else text = "Video call started";
      if (e.recorded) text += view === "customer" ? " · this call is recorded" : " · recorded";
      return { text, tone: "call" };
    }
    case "call_joined":
      return { text: `${self(e.participantId) ? "You" : e.name || name(e.participantId)} joined the call`, tone: "call" };
    case "call_left": {
      if (e.reason === "ended") return null; // "Video call ended" says it
      const who = self(e.participantId) ? "You" : name(e.participantId);
      return { text: `${who} left the call${e.reason === "dropped" ? " · connection lost" : ""}`, tone: "default" };
    }
    case "call_media": {
      const phrase = MEDIA_TEXT[e.source]?.[e.change];
      if (!phrase) return null; // a camera or microphone starting is part of joining
      const mine = self(e.participantId);
      return { text: `${mine ? "You" : name(e.participantId)} ${phrase(mine ? "your" : "their")}`, tone: "default" };
    }
    case "call_ended": {
      const call = change.call;
      const secs = call?.startedAt && call?.endedAt ? (Date.parse(call.endedAt) - Date.parse(call.startedAt)) / 1000 : NaN;
      const duration = Number.isFinite(secs) && secs >= 1 ? ` · ${formatDuration(secs)}` : "";
      const reason = view === "agent" && e.reason && e.reason !== "hangup" && e.reason !== "everyone_left" ? ` · ${humanize(e.reason).toLowerCase()}` : "";
      return { text: `Video call ended${duration}${reason}`, tone: "call" };
    }
    default:
      return null;
  }
}
