// Realtime connection to the websocket gateway (see realtime/server.go):
// reconnects with exponential backoff and resumes from the last event id,
// so events missed while away are replayed.
export class Realtime {
  constructor({ url, token, refresh, onEvent, onReload, onState }) {
    Object.assign(this, { url, token, refresh, onEvent, onReload, onState });
    this.cursor = 0;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.timer = null;
    // ready settles on the first welcome: from then on every committed
    // event reaches onEvent (live, or replayed from the cursor).
    this.ready = new Promise((resolve) => { this.markReady = resolve; });
  }

  start() { this.stopped = false; this.open(); }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  open() {
    // A path such as "/ws" means the gateway behind the same host (an ingress).
    const u = new URL(this.url, location.href);
    if (u.protocol === 'http:') u.protocol = 'ws:';
    if (u.protocol === 'https:') u.protocol = 'wss:';
    // The token goes in the first frame, never in the URL (URLs end up in
    // proxy logs and history); the gateway answers with "welcome".
    if (this.cursor > 0) u.searchParams.set('cursor', String(this.cursor));
    const ws = new WebSocket(u);
    this.ws = ws;
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'auth', token: this.token() }));
      this.attempt = 0;
      this.onState(true);
    };
    ws.onmessage = (m) => this.receive(m.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onState(false);
      if (this.stopped) return;
      this.retry(ev.code === 1008);
    };
    ws.onerror = () => {}; // onclose follows and schedules the retry
  }

  async retry(tokenRefused) {
    if (tokenRefused) {
      try { await this.refresh(); } catch { return; } // logged out
    }
    const delay = Math.min(30000, 500 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
    this.attempt++;
    this.timer = setTimeout(() => { if (!this.stopped) this.open(); }, delay);
  }

  receive(raw) {
    let f;
    try { f = JSON.parse(raw); } catch { return; }
    switch (f.type) {
      case 'welcome':
        if (!this.cursor) this.cursor = f.latest || 0;
        this.markReady();
        return;
      case 'resync_required':
        this.ws?.send(JSON.stringify({ type: 'resync', after: this.cursor }));
        return;
      case 'reload':
        this.cursor = f.latest || this.cursor;
        this.onReload();
        return;
    }
    if (typeof f.id !== 'number') return;
    if (f.id > this.cursor) this.cursor = f.id;
    this.onEvent(f);
  }

  // authenticate swaps a fresh access token into the open connection.
  authenticate(token) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'auth', token }));
  }
}
