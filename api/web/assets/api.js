// API client: the access token lives in memory only, the refresh token in
// an httpOnly cookie shared by the browser's tabs (see Api). A 401 is
// answered with one refresh and one retry.
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.details = body?.error?.details;
    this.field = body?.error?.field;
  }
}

// uiLang is the web app's language (i18n.js sets it on <html>): the api
// answers error messages in it.
const uiLang = () => document.documentElement.lang || 'id';

// One login serves every tab of the browser. The refresh token is an
// httpOnly, SameSite=Strict cookie (scrm_refresh, path /api/v1/auth) that
// no script can read; the access token lives in this tab's memory only. A
// new tab starts with a refresh, which the cookie answers. Refreshes are
// serialised across tabs with a Web Lock, since each one rotates the
// cookie and the server treats a rotated token seen twice as theft. Logout
// clears the cookie (server side) and tells the other tabs on a
// BroadcastChannel, so they leave at once instead of at their next call.
export class Api {
  constructor() {
    this.access = null;
    this.refreshing = null;
    this.onLoggedOut = () => {};
    this.onRenewed = () => {};
    this.renewTimer = null;
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('scrm-session') : null;
    if (this.channel) this.channel.onmessage = (ev) => { if (ev.data === 'logout') this.forget(false); };
  }
  accessToken() { return this.access; }

  remember(out) {
    this.access = out.accessToken;
    // Refresh ahead of expiry so the websocket can swap its token in place.
    clearTimeout(this.renewTimer);
    if (out.expiresIn > 0) {
      this.renewTimer = setTimeout(() => this.refresh().then(() => this.onRenewed(this.access), () => {}), out.expiresIn * 800);
    }
  }

  // login signs in; totp is the second factor when the account has it on.
  async login(email, password, totp = '') {
    const out = await this.raw('POST', '/api/v1/auth/login', { email, password, totp, session: 'cookie' });
    this.remember(out);
    return out;
  }

  // refresh trades the cookie for a new access token (and rotates the
  // cookie); concurrent callers in this tab share one call, other tabs wait
  // for the lock.
  refresh() {
    if (!this.refreshing) {
      const call = async () => {
        try {
          this.remember(await this.raw('POST', '/api/v1/auth/refresh', {}));
        } catch (e) {
          if (e.status === 401 || e.status === 400) this.forget(false);
          throw e;
        }
      };
      const locked = navigator.locks ? () => navigator.locks.request('scrm-refresh', call) : call;
      this.refreshing = locked().finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  // forget drops this tab's session; broadcast tells the other tabs.
  forget(broadcast) {
    clearTimeout(this.renewTimer);
    const had = !!this.access;
    this.access = null;
    if (broadcast && this.channel) this.channel.postMessage('logout');
    if (had || broadcast) this.onLoggedOut();
  }

  async logout() {
    try { await this.request('POST', '/api/v1/auth/logout'); } catch { /* the session ends here anyway */ }
    this.forget(true);
  }

  // logoutEverywhere ends every session of the agent, on every device.
  async logoutEverywhere() {
    try { await this.request('POST', '/api/v1/auth/logout-all'); } catch { /* as logout */ }
    this.forget(true);
  }

  async raw(method, path, body, headers = {}, token = null) {
    const h = { Accept: 'application/json', 'Accept-Language': uiLang(), ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (token) h.Authorization = `Bearer ${token}`;
    const res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = null; } }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  // send makes one authenticated fetch (refresh and retry once on 401) and
  // returns the Response; raw and upload build on it.
  async send(path, init) {
    if (!this.access) await this.refresh();
    const go = () => fetch(path, { ...init, headers: { 'Accept-Language': uiLang(), ...init.headers, Authorization: `Bearer ${this.access}` } });
    let res = await go();
    if (res.status === 401) { await this.refresh(); res = await go(); }
    return res;
  }

  // upload posts multipart form data (the browser sets the boundary).
  async upload(path, form, headers = {}) {
    const res = await this.send(path, { method: 'POST', headers: { Accept: 'application/json', ...headers }, body: form });
    const text = await res.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = null; } }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  // download fetches a file with the session and hands it to the browser.
  async download(path, name) {
    const res = await this.send(path, { method: 'GET', headers: {} });
    if (!res.ok) throw new ApiError(res.status, null);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url; a.download = name;
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async request(method, path, body, headers = {}) {
    if (!this.access) await this.refresh();
    try {
      return await this.raw(method, path, body, headers, this.access);
    } catch (e) {
      if (e.status !== 401) throw e;
      await this.refresh();
      return this.raw(method, path, body, headers, this.access);
    }
  }
  get(path) { return this.request('GET', path); }
  post(path, body = {}, headers) { return this.request('POST', path, body, headers); }
  put(path, body = {}) { return this.request('PUT', path, body); }
  patch(path, body = {}) { return this.request('PATCH', path, body); }
  del(path) { return this.request('DELETE', path); }
}
