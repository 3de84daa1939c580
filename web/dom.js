// Tiny DOM helpers. User-provided text only ever goes through text nodes (never innerHTML).

/**
 * h("li", { class: "msg", dataset: { id }, "aria-label": "…", on: { click } }, child, "text", …)
 * Children may be nodes, strings (become text nodes), arrays, or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style") el.style.cssText = value; // CSSOM, so a strict CSP (no inline style attributes) still allows it
    else if (key === "on") for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'()]+[^\s<>"'().,;:!?]/g;

/**
 * Puts `text` into `el` as text nodes, turning http(s) URLs into links. Line breaks are kept by
 * CSS (`white-space: pre-wrap`).
 */
export function setRichText(el, text) {
  clear(el);
  const s = String(text ?? "");
  let last = 0;
  for (const m of s.matchAll(URL_RE)) {
    if (m.index > last) el.append(document.createTextNode(s.slice(last, m.index)));
    const a = document.createElement("a");
    a.href = m[0];
    a.textContent = m[0];
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    el.append(a);
    last = m.index + m[0].length;
  }
  if (last < s.length) el.append(document.createTextNode(s.slice(last)));
}

let announcer;
/** Speaks a short status to screen readers (polite). */
export function announce(message) {
  if (!announcer) {
    announcer = h("div", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
    document.body.append(announcer);
  }
  announcer.textContent = "";
  // A new text node on the next frame is announced even when the text repeats.
  requestAnimationFrame(() => {
    announcer.textContent = message;
  });
}

/** Grows a textarea with its content, up to its CSS max-height. */
export function autoGrow(textarea) {
  const fit = () => {
    textarea.style.height = "auto";
    textarea.style.height = `${textarea.scrollHeight}px`;
  };
  textarea.addEventListener("input", fit);
  return fit;
}
