// The daemon's REST API as the dashboard uses it: JSON requests that ride the
// session cookie (never a token a script could read), and errors that carry
// the API's own code and message so the page can show what the daemon said.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// Called when a request answers 401 (the session ended or was revoked).
let onUnauthorized = () => {};
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

export async function request(method, path, body) {
  const init = {
    method,
    headers: { Accept: 'application/json' },
    credentials: 'same-origin',
    cache: 'no-store',
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'unreachable', 'The daemon cannot be reached (' + e.message + '). Is it running?');
  }
  let data = null;
  if (res.status !== 204) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = data && data.error;
    const failure = new ApiError(
      res.status,
      err && err.code ? err.code : 'http_' + res.status,
      err && err.message ? err.message : 'The daemon answered ' + res.status + ' ' + res.statusText + '.',
    );
    if (res.status === 401) onUnauthorized(failure);
    throw failure;
  }
  return data;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body === undefined ? {} : body);
export const del = (path) => request('DELETE', path);

export const appPath = (name) => '/api/v1/apps/' + encodeURIComponent(name);
