// Staff sign-in: the token lives in sessionStorage (this tab only, gone when it closes).

import { ApiError, api } from "./api.js";

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

/**
 * Wires a staff sign-in form (agent console, review page): checks both fields, signs in, and
 * hands the new session to `onSignedIn`; failures are shown in `error`.
 */
export function bindLoginForm({ form, user, pass, error, submit }, onSignedIn) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const username = user.value.trim();
    const password = pass.value;
    if (!username || !password) {
      error.textContent = "Enter your username and password.";
      error.hidden = false;
      (username ? pass : user).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    error.hidden = true;
    try {
      const session = await login(username, password);
      pass.value = "";
      onSignedIn(session);
    } catch (err) {
      error.textContent =
        err instanceof ApiError && err.status === 401
          ? "That username and password don't match. Try again."
          : err.message || "Sign-in failed. Try again.";
      error.hidden = false;
      pass.select();
      pass.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
}
