// Files in a conversation: the composer's attach button, drag and drop onto the conversation and
// pasting an image (AttachComposer), and how a message's attachment shows (attachmentView): an
// image as its thumbnail, a log or PDF as a file chip, each with a download.
//
// Files are only ever fetched with the page's bearer token (never a token in a URL), then shown
// or saved from a blob URL. The gateway decides what a file is from its bytes; the page only
// checks the size first so a too-large file fails at once instead of after its upload.

import { h } from "./dom.js";

/** The gateway's default limit; a lower configured one answers 413 with its figure. */
export const MAX_BYTES = 10 * 1024 * 1024;
/** What the file picker offers (the gateway checks the bytes whatever the name says). */
const ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,.log,.txt,.csv,.json,.har,.md";

let tokenOf = () => null;

/** Tells the module where the page's bearer token comes from (called once per page). */
export function useFileToken(fn) {
  tokenOf = fn;
}

export function formatSize(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

/** Blob URLs of thumbnails already fetched, by path: a re-render does not fetch again. */
const thumbs = new Map();

async function fetchBlob(path) {
  const token = tokenOf();
  const res = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {}, credentials: "same-origin" });
  if (!res.ok) {
    let message = res.status === 404 ? "This file is no longer available." : "The file couldn't be loaded.";
    try {
      const body = await res.json();
      if (res.status !== 404 && body?.error?.message) message = body.error.message;
    } catch {
      /* not JSON */
    }
    const err = new Error(message);
    err.status = res.status;
    throw err;
  }
  return res.blob();
}

function thumbnailUrl(path) {
  if (!thumbs.has(path)) {
    const p = fetchBlob(path).then((b) => URL.createObjectURL(b));
    p.catch(() => thumbs.delete(path));
    thumbs.set(path, p);
  }
  return thumbs.get(path);
}

/** Downloads an attachment under its name (the gateway serves it as a download anyway). */
export async function download(attachment, statusEl) {
  try {
    const blob = await fetchBlob(attachment.url);
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: attachment.name || "file", hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
    if (statusEl) statusEl.hidden = true;
  } catch (err) {
    if (statusEl) {
      statusEl.textContent = err.message;
      statusEl.hidden = false;
    }
  }
}

function kindLabel(a) {
  if (a.kind === "pdf") return "PDF";
  if (a.kind === "image") return (a.contentType || "image/").split("/")[1]?.toUpperCase() || "Image";
  const ext = (a.name || "").split(".").pop();
  return ext && ext.length <= 5 && ext !== a.name ? ext.toUpperCase() : "Text";
}

const FILE_ICON =
  '<svg viewBox="0 0 20 20" width="18" height="18" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"><path d="M11.5 2.5H6a1.5 1.5 0 0 0-1.5 1.5v12A1.5 1.5 0 0 0 6 17.5h8a1.5 1.5 0 0 0 1.5-1.5V6.5z"/><path d="M11.5 2.5v4h4"/><path d="M7.5 10.5h5M7.5 13.5h5"/></svg>';
const DOWNLOAD_ICON =
  '<svg viewBox="0 0 20 20" width="16" height="16" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"><path d="M10 3v10M6 9l4 4 4-4M4 16h12"/></svg>';

function icon(svg) {
  const span = h("span", { class: "attachment__icon", "aria-hidden": "true" });
  span.innerHTML = svg; // a constant of this module, never data
  return span;
}

/**
 * How a message's attachment shows: the thumbnail (images; a click downloads the original) or a
 * file chip, with the name, the size and a download button.
 */
export function attachmentView(a) {
  const status = h("p", { class: "attachment__error", role: "status", hidden: true });
  const save = h(
    "button",
    { type: "button", class: "attachment__download", "aria-label": `Download ${a.name}`, title: "Download", "data-testid": "attachment-download" },
    icon(DOWNLOAD_ICON),
  );
  save.addEventListener("click", () => download(a, status));
  const meta = h(
    "div",
    { class: "attachment__meta" },
    h("span", { class: "attachment__name", text: a.name, title: a.name }),
    h("span", { class: "attachment__size", text: `${kindLabel(a)} · ${formatSize(a.size)}` }),
  );
  if (a.kind === "image" && a.thumbnailUrl) {
    const img = h("img", { class: "attachment__thumb", alt: a.name, "data-testid": "attachment-thumbnail" });
    if (a.width && a.height) {
      // The box has its final shape before the picture arrives, so the timeline does not jump.
      img.style.aspectRatio = `${a.width} / ${a.height}`;
    }
    thumbnailUrl(a.thumbnailUrl)
      .then((url) => {
        img.src = url;
      })
      .catch((err) => {
        img.replaceWith(h("span", { class: "attachment__missing", text: err.message }));
      });
    const open = h("button", { type: "button", class: "attachment__preview", title: `Download ${a.name}` }, img);
    open.addEventListener("click", () => download(a, status));
    return h("div", { class: "attachment attachment--image", "data-testid": "attachment" }, open, h("div", { class: "attachment__bar" }, meta, save), status);
  }
  return h(
    "div",
    { class: `attachment attachment--file attachment--${a.kind}`, "data-testid": "attachment" },
    h("div", { class: "attachment__bar" }, icon(FILE_ICON), meta, save),
    status,
  );
}

/** Uploads one file; resolves with the committed message. `onProgress(fraction)`. */
export function uploadFile(conversationId, file, { name, onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const query = new URLSearchParams({ name: name || file.name || "file", clientMsgId: `att-${crypto.randomUUID()}` });
    xhr.open("POST", `/api/conversations/${encodeURIComponent(conversationId)}/attachments?${query}`);
    const token = tokenOf();
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status === 200 || xhr.status === 201) resolve(body);
      else {
        const err = new Error(body?.error?.message || `The file couldn't be sent (HTTP ${xhr.status}).`);
        err.status = xhr.status;
        err.code = body?.error?.code;
        reject(err);
      }
    });
    xhr.addEventListener("error", () => reject(new Error("The file couldn't be sent: the connection failed. Try again.")));
    xhr.send(file);
  });
}

/**
 * The composer's attachments: a paperclip button (file picker), files dropped anywhere on
 * `dropZone`, and images pasted into `input`. Each file is sent as its own message; a progress
 * line shows above the composer while it uploads.
 *
 * @param opts { form, input, dropZone, conversationId(), blocked() → reason or null,
 *               onSent(message, conversationId), onError(text) }
 */
export class AttachComposer {
  constructor(opts) {
    this.opts = opts;
    this.uploads = 0;
    const picker = h("input", { type: "file", accept: ACCEPT, multiple: true, hidden: true, "data-testid": "attach-input", tabindex: "-1" });
    this.button = h(
      "button",
      { type: "button", class: "composer__attach", "aria-label": "Attach a file", title: "Attach a screenshot, log or PDF", "data-testid": "attach-button" },
    );
    this.button.innerHTML =
      '<svg aria-hidden="true" viewBox="0 0 20 20" width="18" height="18" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round"><path d="M16.5 9.5l-6.6 6.6a4 4 0 0 1-5.7-5.7l7-7a2.7 2.7 0 0 1 3.8 3.8l-7 7a1.3 1.3 0 0 1-1.9-1.9l6.4-6.4"/></svg>';
    this.button.addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => {
      this.send([...picker.files]);
      picker.value = "";
    });
    opts.form.prepend(this.button, picker);
    this.progress = h("div", { class: "upload-progress", role: "status", "aria-live": "polite", hidden: true, "data-testid": "upload-progress" });
    opts.form.before(this.progress);

    opts.input.addEventListener("paste", (e) => {
      const files = [...(e.clipboardData?.files ?? [])].filter((f) => f.type.startsWith("image/"));
      if (!files.length || !this.opts.conversationId()) return;
      e.preventDefault();
      this.send(files.map((f, i) => renamed(f, i)));
    });

    const zone = opts.dropZone;
    let depth = 0;
    const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
    zone.addEventListener("dragenter", (e) => {
      if (!hasFiles(e) || !this.#enabled()) return;
      e.preventDefault();
      depth += 1;
      zone.classList.add("is-dropping");
    });
    zone.addEventListener("dragover", (e) => {
      if (!hasFiles(e) || !this.#enabled()) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (!depth) zone.classList.remove("is-dropping");
    });
    zone.addEventListener("drop", (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      zone.classList.remove("is-dropping");
      if (this.#enabled()) this.send([...e.dataTransfer.files]);
    });
  }

  #enabled() {
    return !!this.opts.conversationId();
  }

  /** Enables or disables the button with the composer's state. */
  setEnabled(on) {
    this.button.disabled = !on;
  }

  async send(files) {
    const id = this.opts.conversationId();
    if (!id || !files.length) return;
    const blocked = this.opts.blocked?.();
    if (blocked) {
      this.opts.onError?.(blocked);
      return;
    }
    for (const file of files) {
      if (file.size > MAX_BYTES) {
        this.opts.onError?.(`${file.name} is ${formatSize(file.size)}; files can be at most ${formatSize(MAX_BYTES)}.`);
        continue;
      }
      this.uploads += 1;
      const line = h("span", { class: "upload-progress__item" }, h("span", { class: "spinner spinner--small", "aria-hidden": "true" }), ` Sending ${file.name}…`);
      this.progress.append(line);
      this.progress.hidden = false;
      try {
        const message = await uploadFile(id, file, {
          onProgress: (f) => {
            line.lastChild.textContent = ` Sending ${file.name}… ${Math.round(f * 100)}%`;
          },
        });
        if (message) this.opts.onSent?.(message, id);
      } catch (err) {
        this.opts.onError?.(err.message);
      } finally {
        line.remove();
        this.uploads -= 1;
        this.progress.hidden = this.uploads === 0;
      }
    }
  }
}

/** A pasted image is often just "image.png": give it a name with the time, so several differ. */
function renamed(file, i) {
  if (file.name && file.name !== "image.png") return file;
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  const ext = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
  return new File([file], `pasted-${stamp}${i ? `-${i + 1}` : ""}.${ext}`, { type: file.type });
}
