// Staff sign-in: the token lives in sessionStorage (this tab only, gone when it closes).

import { api } from "./api.js";

const KEY = "warmline.staff.session";

/** The saved session if it has not expired: { token, expiresAt, user }. */
export function currentSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (!s?.token || !s?.user) return null;
    if (s.expiresAt && Date.parse(s.expiresAt) <= Date.now()) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export async function login(username, password) {
  const res = await api("/api/auth/login", { method: "POST", body: { username, password } });
  const session = { token: res.token, expiresAt: res.expiresAt ?? null, user: res.user };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** Ends the session on the server (best effort) and forgets it here. */
export async function logout(session) {
  sessionStorage.removeItem(KEY);
  if (!session?.token) return;
  try {
    await api("/api/auth/logout", { method: "POST", token: session.token });
  } catch {
    /* the token is forgotten locally either way */
  }
}

export function forgetSession() {
  sessionStorage.removeItem(KEY);
}

/** Milliseconds until the session expires (Infinity when unknown). */
export function msUntilExpiry(session) {
  const t = Date.parse(session?.expiresAt ?? "");
  return Number.isFinite(t) ? t - Date.now() : Infinity;
}
