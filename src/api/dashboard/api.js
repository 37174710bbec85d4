// The API client: the signed-in user's bearer token (localStorage) and fetch with errors as
// ApiError {status, code, message, correlationId}, from the API's error body.
const kTokenKey = 'ingestd_token';

export class ApiError extends Error {
  constructor(status, code, message, correlationId) {
    super(message);
    this.status = status;
    this.code = code;
    this.correlationId = correlationId;
  }
}

export const token = () => localStorage.getItem(kTokenKey) || '';
export const storeToken = (t) => localStorage.setItem(kTokenKey, t.trim());
export const forgetToken = () => localStorage.removeItem(kTokenKey);

// The token's claims, read without verifying (the server verifies every call).
export function claims() {
  const part = token().split('.')[1];
  if (!part) return null;
  try {
    return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return null;
  }
}

export const isAdmin = () => claims()?.role === 'admin';

// A `#code=…` fragment (the one-time URL `make run` prints; a fragment never reaches the
// server or a log) leaves the address bar and the history at once, then is traded for a
// session token (POST /api/v1/auth/signin) that goes to storage as a pasted one does.
// Resolves to false when there is no code; rejects with the API's error.
export async function signInFromFragment() {
  const m = /^#code=([^&]+)/.exec(location.hash);
  if (!m) return false;
  history.replaceState(null, '', location.pathname + location.search + '#/jobs');
  const answer = await api('POST', '/api/v1/auth/signin', {code: decodeURIComponent(m[1])}, '');
  storeToken(answer.token);
  return true;
}

// body: undefined, FormData (multipart, as is) or a value sent as JSON. Resolves to the
// parsed JSON answer (null for 204). An empty bearer sends no Authorization (open routes).
export async function api(method, path, body, bearer = token()) {
  const headers = bearer ? {Authorization: 'Bearer ' + bearer} : {};
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, {method, headers, body: payload});
  } catch (e) {
    throw new ApiError(0, 'NETWORK_ERROR', 'ingestd did not answer: ' + e.message, '');
  }
  if (r.status === 204) return null;
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!r.ok) {
    const e = json?.error ?? {};
    throw new ApiError(r.status, e.code ?? 'HTTP_' + r.status, e.message ?? text.slice(0, 200),
                       e.correlation_id ?? r.headers.get('X-Correlation-ID') ?? '');
  }
  return json;
}
