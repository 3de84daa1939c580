// The review endpoints, and the two things a plain link cannot do with a bearer token: download a
// file (CSV, exports) and load a recording into a Blob URL for <audio>/<video>.

import { ApiError, api } from "./api.js";

const enc = encodeURIComponent;

/** Query string for the list and aggregates: empty filters are left out. */
export function filterQuery(f, extra = {}) {
  const q = new URLSearchParams();
  const put = (k, v) => {
    if (v !== undefined && v !== null && v !== "" && v !== false) q.set(k, String(v));
  };
  put("from", f.from);
  put("to", f.to);
  put("agent", f.agent);
  put("skill", f.skill);
  put("trigger", f.trigger);
  put("repeatAsks", f.repeatAsks ? "true" : "");
  put("maxScore", f.maxScore);
  for (const [k, v] of Object.entries(extra)) put(k, v);
  return q.toString();
}

export class ReviewApi {
  constructor(token, { onUnauthorized } = {}) {
    this.token = token;
    this.onUnauthorized = onUnauthorized ?? (() => {});
  }

  async #get(path, { signal } = {}) {
    try {
      return await api(path, { token: this.token, signal });
    } catch (err) {
      if (err.status === 401) this.onUnauthorized();
      throw err;
    }
  }

  filters() {
    return this.#get("/api/review/filters");
  }

  handoffs(f, { limit = 50, offset = 0, signal } = {}) {
    return this.#get(`/api/review/handoffs?${filterQuery(f, { limit, offset })}`, { signal });
  }

  aggregates(f, by, { signal } = {}) {
    return this.#get(`/api/review/aggregates?${filterQuery(f, { by })}`, { signal });
  }

  handoff(id, { signal } = {}) {
    return this.#get(`/api/review/handoffs/${enc(id)}`, { signal });
  }

  audit(limit = 100) {
    return this.#get(`/api/review/audit?limit=${limit}`);
  }

  handoffsCsvPath(f) {
    return `/api/review/handoffs?${filterQuery(f, { limit: 10000, offset: 0, format: "csv" })}`;
  }

  aggregatesCsvPath(f, by) {
    return `/api/review/aggregates?${filterQuery(f, { by, format: "csv" })}`;
  }

  /** Fetches `path` with the token and hands it to the browser as a download. */
  async download(path, fallbackName) {
    const res = await this.#fetch(path);
    const blob = await res.blob();
    const name = fileNameOf(res.headers.get("Content-Disposition")) || fallbackName;
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
    return name;
  }

  /** A recording as a Blob URL (the caller revokes it). */
  async blobUrl(path, { signal } = {}) {
    const res = await this.#fetch(path, { signal });
    return URL.createObjectURL(await res.blob());
  }

  async #fetch(path, { signal } = {}) {
    let res;
    try {
      res = await fetch(path, { headers: { Authorization: `Bearer ${this.token}` }, credentials: "same-origin", signal });
    } catch (err) {
      if (err?.name === "AbortError") throw err;
      throw new ApiError(0, "network", "Can't reach the server. Check your connection and try again.");
    }
    if (!res.ok) {
      let e = {};
      try {
        e = (await res.json())?.error ?? {};
      } catch {
        /* not JSON */
      }
      if (res.status === 401) this.onUnauthorized();
      throw new ApiError(res.status, e.code, e.message || res.statusText);
    }
    return res;
  }
}

function fileNameOf(disposition) {
  if (!disposition) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1].trim() : null;
}
