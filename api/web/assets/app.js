// The SCRM web app: login, inbox and admin pages over /api/v1, live updates
// over the realtime gateway. Plain ES modules, no build step.
import { Api } from './api.js';
import { I18n } from './i18n.js';
import { h, clear } from './dom.js';
import { Realtime } from './realtime.js';
import { Alerts } from './alerts.js';
import { CannedPage } from './canned.js';
import { Inbox } from './inbox.js';
import { AgentsPage, TeamsPage } from './admin.js';
import { CampaignsPage } from './campaigns.js';
import { JourneysPage } from './journeys.js';
import { ContactsPage } from './contacts.js';
import { TemplatesPage, SendersPage, RolesPage, CasesPage, AuditPage } from './manage.js';
import { ReportsPage } from './reports.js';
import { FloorPage } from './floor.js';
import { IntegrationsPage } from './integrations.js';
import { AutoRepliesPage } from './autoreplies.js';

// The menu: each page shows only with the permission the server checks too.
const MENU = [
  { path: '/inbox', label: 'inbox', perm: 'inbox:read', Page: Inbox },
  { path: '/campaigns', label: 'campaigns', perm: 'campaigns:read', Page: CampaignsPage },
  { path: '/journeys', label: 'journeys', perm: 'campaigns:read', Page: JourneysPage },
  { path: '/contacts', label: 'contacts', perm: 'contacts:read', Page: ContactsPage },
  { path: '/cases', label: 'cases', perm: 'cases:read', Page: CasesPage },
  { path: '/reports', label: 'reports', perm: 'reports:read', Page: ReportsPage },
  { path: '/templates', label: 'templates', perm: 'templates:read', Page: TemplatesPage },
  { path: '/senders', label: 'senders', perm: 'senders:read', Page: SendersPage },
  { path: '/admin/agents', label: 'agents', perm: 'agents:read', Page: AgentsPage },
  { path: '/admin/teams', label: 'teams', perm: 'teams:read', Page: TeamsPage },
  { path: '/admin/roles', label: 'roles', perm: 'roles:read', Page: RolesPage },
  { path: '/admin/audit', label: 'audit', perm: 'audit:read', Page: AuditPage },
  { path: '/admin/integrations', label: 'integrations', perm: 'apikeys:write', Page: IntegrationsPage },
];

// SUBPAGES are routes of the app that have no menu entry of their own.
const SUBPAGES = [
  { path: '/canned', parent: 'inbox', perm: 'inbox:send', Page: CannedPage },
  { path: '/reports/floor', parent: 'reports', perm: 'inbox:assign', Page: FloorPage },
  { path: '/senders/auto-replies', parent: 'senders', perm: 'senders:read', Page: AutoRepliesPage },
];

class App {
  constructor(root) {
    this.root = root;
    this.api = new Api();
    this.i18n = new I18n(localStorage);
    this.me = null;
    this.page = null;
    this.rt = null;
    this.unseen = 0;
    this.alerts = new Alerts(this);
    this.api.onLoggedOut = () => this.loggedOut();
    this.api.onRenewed = (token) => this.rt?.authenticate(token);
    this.i18n.onChange(() => this.render());
    window.addEventListener('popstate', () => this.render());
    // The account menu closes on a click elsewhere or Escape, as menus do.
    document.addEventListener('click', (ev) => {
      const m = this.root.querySelector('#account-menu');
      if (m?.open && !m.contains(ev.target)) m.open = false;
    });
    document.addEventListener('keydown', (ev) => {
      const m = this.root.querySelector('#account-menu');
      if (ev.key === 'Escape' && m?.open) { m.open = false; m.querySelector('summary').focus(); }
    });
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.clearBadge(); });
    window.addEventListener('focus', () => this.clearBadge());
    document.documentElement.lang = this.i18n.lang;
  }

  t(k, v) { return this.i18n.t(k, v); }
  can(perm) { return !!this.me?.permissions?.includes(perm); }

  // start asks the cookie for a session first: a second tab, or a reload,
  // opens logged in.
  async start() {
    try {
      await this.api.refresh();
      await this.loadSession();
    } catch { /* no session: the login page */ }
    this.render();
  }

  async loadSession() {
    this.me = await this.api.get('/api/v1/me');
    const cfg = await this.api.raw('GET', '/api/v1/ui-config');
    this.mediaLimits = cfg?.mediaLimits || [];
    this.rt?.stop();
    if (cfg?.realtimeUrl) {
      this.rt = new Realtime({
        url: cfg.realtimeUrl,
        token: () => this.api.accessToken(),
        refresh: async () => { await this.api.refresh(); },
        onEvent: (e) => this.onEvent(e),
        onReload: () => this.page?.reload?.(),
        onState: (up) => this.root.classList.toggle('rt-down', !up),
      });
      this.rt.start();
      // The page's first load waits for the subscription: an event committed
      // after a REST load but before the welcome's cursor is in neither, and
      // the page would miss it for good (a customer's first message, say).
      // A gateway slower than 3 s: the page loads anyway and loads again
      // once the subscription is live.
      const rt = this.rt;
      const live = await Promise.race([rt.ready.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
      if (!live) rt.ready.then(() => { if (this.rt === rt) this.page?.reload?.(); });
    }
  }

  loggedOut() {
    this.rt?.stop();
    this.rt = null;
    this.me = null;
    if (location.pathname !== '/login') history.pushState(null, '', '/login');
    this.render();
  }

  navigate(path) {
    history.pushState(null, '', path);
    this.render();
  }

  onEvent(e) {
    if (e.type === 'message.created') {
      const m = e.data?.message || e.data;
      if (m?.direction === 'in') this.bumpBadge();
    }
    this.alerts.onEvent(e, this.page?.selected?.id);
    this.page?.onEvent?.(e);
  }

  // The title shows how many customer messages arrived while the tab was not looked at.
  bumpBadge() {
    if (!document.hidden && document.hasFocus()) return;
    this.unseen++;
    document.title = `(${this.unseen}) SCRM`;
  }
  clearBadge() { this.unseen = 0; document.title = 'SCRM'; }

  render() {
    this.page?.destroy?.();
    this.page = null;
    clear(this.root);
    if (!this.me) { this.renderLogin(); return; }
    const path = location.pathname;
    const menu = MENU.filter((m) => this.can(m.perm));
    // Pages reached from another page rather than the menu (their parent's
    // menu entry stays highlighted), before the menu's own sub-routes.
    const sub = SUBPAGES.find((x) => path === x.path && this.can(x.perm));
    let current = sub ? menu.find((m) => m.label === sub.parent) : menu.find((m) => path === m.path || path.startsWith(m.path + '/'));
    let page = sub && current ? sub : current;
    if (!current && menu.length) { current = menu[0]; page = current; history.replaceState(null, '', current.path); }
    const main = h('main', { class: 'main' });
    const presence = !this.can('inbox:read') ? null : h('select', { id: 'presence', 'aria-label': this.t('presence'), onchange: (ev) => this.setPresence(ev.target.value) },
      ...['online', 'away'].map((p) => h('option', { value: p, selected: this.me.agent.presence === p }, this.t(p))));
    this.root.append(
      h('header', { class: 'topbar' },
        h('span', { class: 'brand' }, this.t('appName')),
        h('nav', { class: 'menu' }, ...menu.map((m) => h('a', {
          href: m.path, class: m === current ? 'active' : '', dataset: { nav: m.label },
          onclick: (ev) => { ev.preventDefault(); this.navigate(m.path); },
        }, this.t(m.label)))),
        h('span', { class: 'spacer' }),
        presence,
        // The agent's own settings and the way out, behind her name: the
        // menu keeps the width (every page link fits at 1366 px).
        h('details', { class: 'account', id: 'account-menu' },
          h('summary', { class: 'who', title: this.t('accountMenu') }, this.me.agent.name),
          h('div', { class: 'account-items' },
            !this.can('inbox:read') ? null : h('button', { class: 'link', id: 'alerts-toggle', 'aria-pressed': String(this.alerts.on), title: this.t('alertsHelp'),
              onclick: async (ev) => { const on = await this.alerts.toggle(); ev.target.setAttribute('aria-pressed', String(on)); ev.target.textContent = this.t(on ? 'alertsOn' : 'alertsOff'); } },
            this.t(this.alerts.on ? 'alertsOn' : 'alertsOff')),
            h('button', { class: 'link', id: 'lang-toggle', onclick: () => this.i18n.toggle() }, this.t('language')),
            h('button', { class: 'link', id: 'logout', onclick: () => this.api.logout() }, this.t('logout')),
            h('button', { class: 'link', id: 'logout-all', onclick: () => this.api.logoutEverywhere() }, this.t('logoutAll')))),
      ),
      h('div', { class: 'rt-banner' }, this.t('offlineBanner')),
      main,
    );
    if (!current) { main.append(h('p', { class: 'empty' }, this.t('forbidden'))); return; }
    this.page = new page.Page(this, main);
    this.page.mount();
  }

  async setPresence(p) {
    try { this.me.agent = await this.api.put('/api/v1/me/presence', { presence: p }); } catch (e) { this.toast(e.message); }
  }

  toast(msg) {
    const el = h('div', { class: 'toast', role: 'alert' }, msg);
    document.body.append(el);
    setTimeout(() => el.remove(), 5000);
  }

  renderLogin() {
    if (location.pathname !== '/login') history.replaceState(null, '', '/login');
    const err = h('p', { class: 'error', id: 'login-error', hidden: true });
    const email = h('input', { id: 'login-email', type: 'email', autocomplete: 'username', required: true });
    const pass = h('input', { id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
    // Shown when the server asks for the second factor (TOTP or a recovery code).
    const code = h('input', { id: 'login-totp', inputmode: 'numeric', autocomplete: 'one-time-code' });
    const codeLabel = h('label', { hidden: true }, this.t('totpCode'), code);
    const form = h('form', {
      class: 'login card', onsubmit: async (ev) => {
        ev.preventDefault();
        err.hidden = true;
        try {
          await this.api.login(email.value.trim(), pass.value, code.value.trim());
          await this.loadSession();
          history.replaceState(null, '', '/inbox');
          this.render();
        } catch (e) {
          const needCode = e.status === 401 && e.field === 'totp';
          if (needCode) { codeLabel.hidden = false; code.focus(); }
          err.textContent = needCode ? (code.value ? this.t('totpWrong') : this.t('totpNeeded')) : e.status === 401 ? this.t('loginFailed') : e.message;
          err.hidden = false;
        }
      },
    },
      h('h1', {}, this.t('appName')),
      h('label', {}, this.t('email'), email),
      h('label', {}, this.t('password'), pass),
      codeLabel,
      err,
      h('button', { type: 'submit', id: 'login-submit', class: 'primary' }, this.t('login')),
      h('button', { type: 'button', class: 'link', onclick: () => this.i18n.toggle() }, this.t('language')),
    );
    this.root.append(h('div', { class: 'login-wrap' }, form));
    email.focus();
  }
}

new App(document.getElementById('app')).start();
