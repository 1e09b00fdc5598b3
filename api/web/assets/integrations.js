// Integrations with the business's systems (Admin): API keys (the secret is
// shown once), outbound event webhooks (the signing secret is shown once)
// and their delivery log with replay.
import { h, add, fill } from './dom.js';
import { Page, chip } from './page.js';

export class IntegrationsPage extends Page {
  mount() {
    this.body = this.shell(this.t('integrations'));
    this.keysEl = h('div', { id: 'apikey-list' });
    this.hooksEl = h('div', { id: 'webhook-list' });
    this.logEl = h('div', { id: 'delivery-list' });
    this.secretEl = h('div', { id: 'secret-once', class: 'card', hidden: true });
    add(this.body, this.secretEl);
    if (this.can('apikeys:write')) {
      add(this.body, h('h3', {}, this.t('apiKeys')), h('p', { class: 'muted' }, this.t('apiKeysHelp')), this.keysEl, this.keyForm());
    }
    if (this.can('webhooks:write')) {
      add(this.body, h('h3', {}, this.t('webhooks')), h('p', { class: 'muted' }, this.t('webhooksHelp')), this.hooksEl, this.hookForm(),
        h('h3', {}, this.t('deliveries')), this.logEl);
    }
    this.load();
  }

  // showSecret shows a secret once, with a copy button.
  showSecret(title, secret) {
    const code = h('code', { id: 'secret-value' }, secret);
    fill(this.secretEl, h('h3', {}, title), h('p', { class: 'muted' }, this.t('secretOnce')), code,
      h('div', {}, h('button', { onclick: () => navigator.clipboard?.writeText(secret) }, this.t('copy')),
        h('button', { class: 'link', onclick: () => { this.secretEl.hidden = true; } }, this.t('close'))));
    this.secretEl.hidden = false;
    this.secretEl.scrollIntoView?.();
  }

  async load() {
    try {
      if (this.can('apikeys:write')) {
        const [keys, roles] = await Promise.all([this.api.get('/api/v1/api-keys'), this.roles || this.api.get('/api/v1/roles')]);
        this.roles = roles;
        this.fillRoles();
        fill(this.keysEl, this.table([this.t('name'), this.t('role'), this.t('keyHint'), this.t('status'), this.t('expires'), this.t('lastUsed'), ''],
          keys.items.map((k) => [k.name, k.roleName, h('code', {}, `scrm_live_${k.id}_…${k.hint}`), chip(this.t(`key.${k.status}`), k.status === 'active' ? 'ok' : 'muted'),
            this.time(k.expiresAt) || '—', this.time(k.lastUsedAt) || '—',
            k.status === 'active' ? h('button', { class: 'link', dataset: { revoke: k.id }, onclick: async () => {
              if (!confirm(this.t('confirmRevoke', { x: k.name }))) return;
              try { await this.api.post(`/api/v1/api-keys/${k.id}/revoke`); this.load(); } catch (e) { this.fail(e); }
            } }, this.t('revoke')) : ''])));
      }
      if (this.can('webhooks:write')) {
        const [subs, log, types] = await Promise.all([this.api.get('/api/v1/webhooks'), this.api.get('/api/v1/webhook-deliveries?limit=50'),
          this.types || this.api.get('/api/v1/webhooks/event-types')]);
        this.types = types;
        this.fillTypes();
        fill(this.hooksEl, this.table(['URL', this.t('eventTypes'), this.t('status'), ''],
          subs.items.map((s) => [h('code', {}, s.url), s.eventTypes.join(', '), chip(this.t(s.active ? 'active' : 'inactive'), s.active ? 'ok' : 'muted'),
            h('span', {},
              h('button', { class: 'link', onclick: async () => { try { await this.api.patch(`/api/v1/webhooks/${s.id}`, { active: !s.active }); this.load(); } catch (e) { this.fail(e); } } },
                this.t(s.active ? 'disable' : 'enable')),
              h('button', { class: 'link', onclick: async () => {
                if (!confirm(this.t('confirmDelete', { x: s.url }))) return;
                try { await this.api.del(`/api/v1/webhooks/${s.id}`); this.load(); } catch (e) { this.fail(e); }
              } }, this.t('delete')))])));
        fill(this.logEl, this.table([this.t('time'), this.t('event'), this.t('object'), this.t('status'), this.t('attempts'), this.t('lastError'), ''],
          log.items.map((d) => [this.time(d.createdAt), h('code', { title: d.eventId }, d.eventType), d.objectKey,
            chip(this.t(`delivery.${d.status}`), d.status === 'delivered' ? 'ok' : d.status === 'failed' ? 'bad' : ''),
            String(d.attempts), h('span', { class: 'details' }, d.status === 'delivered' ? '' : d.lastError || (d.lastStatus ? `HTTP ${d.lastStatus}` : '')),
            h('button', { class: 'link', dataset: { replay: d.id }, onclick: async () => {
              try { await this.api.post(`/api/v1/webhook-deliveries/${d.id}/replay`); this.app.toast(this.t('replayed')); this.load(); } catch (e) { this.fail(e); }
            } }, this.t('replay'))])));
      }
    } catch (e) { this.fail(e); }
  }

  fillRoles() {
    if (!this.roleSel || this.roleSel.options.length) return;
    add(this.roleSel, ...(this.roles.items || []).map((r) => h('option', { value: r.id }, r.name)));
  }

  fillTypes() {
    if (!this.typesEl || this.typesEl.childNodes.length) return;
    add(this.typesEl, ...(this.types.items || []).map((t) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'eventTypes', value: t }), ' ', h('code', {}, t), ' ', h('span', { class: 'muted' }, this.t(`hook.${t}`)))));
  }

  keyForm() {
    const err = this.errorBox();
    this.roleSel = h('select', { name: 'roleId' });
    const f = h('form', { class: 'card form', id: 'apikey-form' }, h('h3', {}, this.t('newApiKey')),
      h('label', {}, this.t('name'), h('input', { name: 'name', required: true, maxlength: 100, placeholder: 'Core banking' })),
      h('label', {}, this.t('role'), this.roleSel),
      h('label', {}, this.t('expiresOptional'), h('input', { name: 'expires', type: 'date' })),
      err, h('button', { class: 'primary', type: 'submit' }, this.t('create')));
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const body = { name: f.name.value, roleId: Number(f.roleId.value) };
      if (f.expires.value) body.expiresAt = new Date(`${f.expires.value}T23:59:59+07:00`).toISOString();
      try {
        const k = await this.api.post('/api/v1/api-keys', body);
        err.show(null); f.reset();
        this.showSecret(this.t('apiKeyCreated', { x: k.name }), k.secret);
        this.load();
      } catch (e) { err.show(e); }
    };
    return f;
  }

  hookForm() {
    const err = this.errorBox();
    this.typesEl = h('div', { class: 'checks', id: 'webhook-types' });
    const f = h('form', { class: 'card form', id: 'webhook-form' }, h('h3', {}, this.t('newWebhook')),
      h('label', {}, 'URL', h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://erp.example.co.id/scrm/webhooks' })),
      h('fieldset', {}, h('legend', {}, this.t('eventTypes')), this.typesEl),
      err, h('button', { class: 'primary', type: 'submit' }, this.t('create')));
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const eventTypes = [...f.querySelectorAll('input[name=eventTypes]:checked')].map((i) => i.value);
      try {
        const s = await this.api.post('/api/v1/webhooks', { url: f.url.value, eventTypes });
        err.show(null); f.reset();
        this.showSecret(this.t('webhookCreated'), s.secret);
        this.load();
      } catch (e) { err.show(e); }
    };
    return f;
  }
}
