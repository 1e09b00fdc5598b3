// Alerts for an agent's own chats: a short sound and a desktop
// notification when a customer writes in a conversation assigned to the
// agent, one is assigned to them, or a teammate @mentions them in a note.
// Per agent (remembered in this browser for that agent), off until switched on; the browser's permission is asked
// once, when the agent switches them on. Quiet when the tab is focused on
// that very chat.
export class Alerts {
  constructor(app) {
    this.app = app;
    this.ctx = null;
  }

  key() { return `scrm.alerts.${this.app.me?.agent?.id || 0}`; }
  get on() { return localStorage.getItem(this.key()) === '1'; }

  async toggle() {
    if (this.on) { localStorage.removeItem(this.key()); return false; }
    localStorage.setItem(this.key(), '1');
    if ('Notification' in window && Notification.permission === 'default') {
      try { await Notification.requestPermission(); } catch { /* refused: sound only */ }
    }
    return true;
  }

  // onEvent decides whether e concerns the agent's own chats and alerts.
  onEvent(e, openConversationId) {
    if (!this.on) return;
    const me = this.app.me?.agent?.id;
    const d = e.data || {};
    let convId = 0, text = '', title = '';
    if (e.type === 'message.created') {
      const m = d.message || d;
      if (m.direction !== 'in' || m.type === 'system') return;
      const assignee = d.assigneeAgentId ?? m.assigneeAgentId;
      if (assignee !== me) return;
      convId = m.conversationId ?? d.conversationId;
      // A returning customer's message carries no profile name: the list or
      // the conversation knows it.
      title = m.contactName || d.contactName || this.app.page?.items?.find((c) => c.id === convId)?.contactName || '';
      text = m.body || `[${m.type}]`;
    } else if (e.type === 'sla.alert') {
      // The agent serving and the team's supervisors receive it (models/sla).
      convId = d.conversationId;
      title = this.app.t(d.level === 'breach' ? 'sla.breachAlert' : 'sla.nearAlert');
      text = d.customer || '';
    } else if (e.type === 'conversation.updated' && d.change === 'mention') {
      // Only the mentioned agent receives this event (models/inbox/mention.go).
      convId = d.id;
      title = this.app.t('mentionedYou');
      text = d.note?.body || '';
    } else if (e.type === 'conversation.updated' && ['assigned', 'assign', 'route', 'transfer'].includes(d.change) && d.assigneeAgentId === me && d.by !== me) {
      convId = d.id;
      title = this.app.t('newConversationForYou');
      text = d.contactName || '';
    } else {
      return;
    }
    if (document.hasFocus() && !document.hidden && openConversationId === convId) return;
    if (title) { this.fire(title, text, convId); return; }
    this.nameOf(convId).then((name) => this.fire(name || this.app.t('newMessage'), text, convId));
  }

  async nameOf(convId) {
    this.names = this.names || new Map();
    if (!this.names.has(convId)) {
      try { this.names.set(convId, (await this.app.api.get(`/api/v1/conversations/${convId}`)).contactName || ''); } catch { return ''; }
    }
    return this.names.get(convId);
  }

  fire(title, text, convId) {
    this.app.alerted = (this.app.alerted || 0) + 1; // counted for tests and the badge
    this.beep();
    if ('Notification' in window && Notification.permission === 'granted') {
      try {
        const n = new Notification(title, { body: text.slice(0, 140), tag: `conv-${convId}` });
        n.onclick = () => { window.focus(); this.app.navigate(`/inbox/${convId}`); n.close(); };
      } catch { /* some browsers only notify from a service worker */ }
    }
  }

  // beep plays a short two-tone chime (no sound file to fetch).
  beep() {
    try {
      this.ctx = this.ctx || new (window.AudioContext || window.webkitAudioContext)();
      const t = this.ctx.currentTime;
      for (const [i, f] of [[0, 880], [1, 1320]]) {
        const o = this.ctx.createOscillator();
        const g = this.ctx.createGain();
        o.frequency.value = f;
        g.gain.setValueAtTime(0.0001, t + i * 0.12);
        g.gain.exponentialRampToValueAtTime(0.2, t + i * 0.12 + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.12 + 0.11);
        o.connect(g).connect(this.ctx.destination);
        o.start(t + i * 0.12);
        o.stop(t + i * 0.12 + 0.12);
      }
    } catch { /* no audio device */ }
  }
}
