// Signing in to the map: a personal link from Slack's `/journey map` carries a one-time secret
// in the address's fragment (`#sign-in=jol_…`; never sent to a server, so never in logs or a
// Referer). It is taken out of the address bar at once and exchanged for a map session, whose
// bearer secret is kept in sessionStorage: this tab only, gone when it closes, and sent only as
// an Authorization header (no cookie another site could make the browser send).
"use strict";

const SESSION_KEY = "journeyops.session";
const SIGN_IN_FRAGMENT = /^#sign-in=([A-Za-z0-9_-]+)$/;

// The link secret in the address, removed from the address bar (and this history entry).
function takeSignInLink() {
  const found = SIGN_IN_FRAGMENT.exec(location.hash);
  if (location.hash.startsWith("#sign-in=")) {
    history.replaceState(null, "", location.pathname + location.search);
  }
  return found ? found[1] : null;
}

// Exchange the link for a map session and keep it; a refused link throws the server's reason.
async function exchangeSignInLink(link) {
  const response = await fetch("/journeys/sign-in", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ link }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const reason = body.errors ? body.errors[0].message : response.statusText;
    throw new Error(reason);
  }
  const session = { secret: body.session, expiresAt: body.expiresAt, name: body.name, scope: body.scope };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

// The map session this tab holds, unless it has ended.
function savedSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (session && session.secret && Date.parse(session.expiresAt) > Date.now()) return session;
  } catch (error) {
    // Not ours to read: forgotten below.
  }
  forgetSession();
  return null;
}

function forgetSession() {
  sessionStorage.removeItem(SESSION_KEY);
}
