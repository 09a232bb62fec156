// The MAPI client: the token endpoint (password and refresh grants), the
// XSRF cookie and header, JSON POSTs. It is what any other client of the
// management API does; the session lives in this module's memory only, so
// closing or reloading the tab ends it (a logout also ends it on the
// server).

const TOKEN_PATH = '/ui/auth/realms/vsp-object/protocol/openid-connect/token';
const LOGOUT_PATH = '/ui/auth/realms/vsp-object/protocol/openid-connect/logout';
const CLIENT_ID = 'vsp-object-external-client';
// Refresh the access token this long before it expires.
const REFRESH_MARGIN_MS = 30000;

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
    this.details = details || '';
  }
}

let session = null; // {access, accessExpires, refresh, user}
let refreshing = null; // the refresh in flight: refresh tokens rotate, so only one at a time
const endListeners = new Set();

export function user() {
  return session ? session.user : null;
}

export function isAdmin() {
  return !!session && session.user && session.user.role === 'ADMIN';
}

// onSessionEnd calls fn(message) when the session ends by itself (its
// refresh token expired or was revoked, its user deleted).
export function onSessionEnd(fn) {
  endListeners.add(fn);
}

async function oauth(path, form) {
  const resp = await fetch(path, {
    method: 'POST',
    body: new URLSearchParams(form),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (resp.status === 204) return null;
  let body = {};
  try {
    body = await resp.json();
  } catch {
    // not JSON: reported below by status
  }
  if (!resp.ok) {
    let message = body.error_description || body.error || `HTTP ${resp.status}`;
    if (resp.status === 401 && body.error === 'invalid_grant' && body.error_description === 'Invalid user credentials') {
      message = 'Wrong username or password.';
    }
    throw new ApiError(resp.status, body.error, message);
  }
  return body;
}

function keep(tokens) {
  session = {
    ...(session || {}),
    access: tokens.access_token,
    accessExpires: Date.now() + tokens.expires_in * 1000,
    refresh: tokens.refresh_token,
  };
}

// login runs the password grant, fetches an XSRF token and reads who the
// user is.
export async function login(username, password) {
  session = null;
  const tokens = await oauth(TOKEN_PATH, { grant_type: 'password', client_id: CLIENT_ID, username, password });
  keep(tokens);
  await fetchCSRF();
  session.user = await call('user/info');
  return session.user;
}

function endSession(message) {
  session = null;
  for (const fn of endListeners) fn(message);
}

function refresh() {
  if (!refreshing) {
    const presented = session && session.refresh;
    refreshing = (async () => {
      try {
        keep(await oauth(TOKEN_PATH, { grant_type: 'refresh_token', client_id: CLIENT_ID, refresh_token: presented }));
      } catch (err) {
        endSession(`Your session has ended: ${err.message}`);
        throw err;
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

// logout ends the login on the server too, so its refresh token is dead.
export async function logout() {
  const ending = session;
  session = null;
  if (ending && ending.refresh) {
    try {
      await oauth(LOGOUT_PATH, { client_id: CLIENT_ID, refresh_token: ending.refresh });
    } catch {
      // the login ends when its refresh token expires anyway
    }
  }
}

function csrfCookie() {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'XSRF-TOKEN') return decodeURIComponent(rest.join('='));
  }
  return '';
}

async function fetchCSRF() {
  const resp = await fetch('/mapi/v1/csrf', { credentials: 'same-origin', cache: 'no-store' });
  if (!resp.ok) throw new ApiError(resp.status, '', 'Could not get an XSRF token');
}

// call POSTs body to /mapi/v1/<endpoint> and returns the answer. An
// access token about to expire is refreshed first; a 401 is retried once
// after a refresh, a refused XSRF token once with a new one.
export async function call(endpoint, body = {}, retried = false) {
  if (!session) throw new ApiError(401, 'UNAUTHORIZED', 'You are not signed in.');
  if (Date.now() > session.accessExpires - REFRESH_MARGIN_MS) await refresh();
  if (!csrfCookie()) await fetchCSRF();
  const resp = await fetch(`/mapi/v1/${endpoint}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${session.access}`,
      'Content-Type': 'application/json',
      'X-XSRF-TOKEN': csrfCookie(),
    },
    body: JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  let data = null;
  try {
    data = await resp.json();
  } catch {
    // an empty or non-JSON answer
  }
  if (resp.ok) return data;
  const err = new ApiError(resp.status, data && data.code, data && data.message, data && data.details);
  if (!retried && resp.status === 403 && err.code === 'CSRF_TOKEN_INVALID') {
    await fetchCSRF();
    return call(endpoint, body, true);
  }
  if (!retried && resp.status === 401 && session) {
    if (err.details === "the token's user no longer exists") {
      endSession('Your user no longer exists; sign in as someone else.');
      throw err;
    }
    await refresh();
    return call(endpoint, body, true);
  }
  throw err;
}

// all follows pageToken through every page of a listing and returns the
// items under key.
export async function all(endpoint, key, body = {}) {
  const out = [];
  let pageToken;
  do {
    const page = await call(endpoint, { ...body, ...(pageToken ? { pageToken } : {}) });
    out.push(...(page[key] || []));
    pageToken = page.pageToken;
  } while (pageToken);
  return out;
}
