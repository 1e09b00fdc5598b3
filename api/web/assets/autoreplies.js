// Auto-replies of a business number (#19): the welcome, the away message
// outside business hours and keyword rules that answer, route to a team or
// hand over to an agent. The customer's "agen" always reaches a human (the
// server's built-in words, shown here). Managing them takes senders:write.
import { Page, h, fill, add, chip } from './page.js';

const DAYS = [1, 2, 3, 4, 5, 6, 0];
const ZONES = ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura'];

// sendersNav links the numbers and their auto-replies (both under Nomor pengirim).
export function sendersNav(page) {
  return page.subnav([
    { path: '/senders', key: 'senders' },
    { path: '/senders/auto-replies', key: 'autoReplies', perm: 'senders:read' },
  ]);
}

export class AutoRepliesPage extends Page {
  mount() {
    this.body = this.shell(this.t('autoReplies'));
    this.pickEl = h('div', { class: 'row-inline', id: 'ar-pick' });
    this.infoEl = h('p', { class: 'muted', id: 'ar-handover' });
    this.listEl = h('div', { id: 'ar-list' });
    this.formEl = h('div', { id: 'ar-form-wrap' });
    add(this.body, sendersNav(this), this.pickEl, this.infoEl, this.listEl, this.formEl);
    this.start();
  }

  async start() {
    try {
      const [senders, teams] = await Promise.all([this.api.get('/api/v1/senders'),
        this.can('teams:read') ? this.api.get('/api/v1/teams') : { items: [] }]);
      this.senders = senders.data || [];
      this.teams = teams.items || teams.data || [];
      const sel = h('select', { id: 'ar-sender', onchange: () => { this.senderId = Number(sel.value); this.editing = null; this.load(); } },
        ...this.senders.map((s) => h('option', { value: s.id }, s.displayNumber || s.phoneNumberId)));
      fill(this.pickEl, h('label', {}, this.t('ar.number'), sel));
      this.senderId = this.senders[0]?.id;
      if (this.senderId) this.load(); else fill(this.listEl, h('p', { class: 'muted' }, this.t('ar.noNumbers')));
    } catch (e) { this.fail(e); }
  }

  teamName(id) { return this.teams.find((t) => t.id === id)?.name || `#${id}`; }

  async load() {
    const newest = this.turn();
    try {
      const out = await this.api.get(`/api/v1/senders/${this.senderId}/auto-replies`);
      if (!newest()) return;
      this.infoEl.textContent = this.t('ar.handoverInfo', { words: (out.handoverKeywords || []).map((w) => `“${w}”`).join(', ') });
      const write = this.can('senders:write');
      const action = (r) => [r.routeTeamId ? `${this.t('ar.routeTo')} ${this.teamName(r.routeTeamId)}` : '', r.handover ? this.t('ar.handover') : '',
        r.menu ? this.t('ar.menuOf', { n: r.menu.choices.length, kind: this.t(r.menu.type === 'list' ? 'ar.kindList' : 'ar.kindButtons') }) : '']
        .filter(Boolean).join(' · ');
      fill(this.listEl, this.table([this.t('ar.kind'), this.t('ar.name'), this.t('ar.keywords'), this.t('ar.reply'), this.t('ar.action'), this.t('status'), ''],
        (out.data || []).map((r) => h('tr', { dataset: { rule: r.id, kind: r.kind } },
          h('td', {}, chip(this.t(`ar.k.${r.kind}`), r.kind)), h('td', {}, r.name || ''),
          h('td', {}, (r.keywords || []).join(', ')), h('td', { class: 'canned-body' }, r.reply), h('td', {}, action(r)),
          h('td', {}, r.enabled ? this.t('ar.on') : this.t('ar.off')),
          h('td', {}, write ? h('span', {},
            h('button', { class: 'link', dataset: { edit: r.id }, onclick: () => this.form(r) }, this.t('edit')),
            h('button', { class: 'link', dataset: { del: r.id }, onclick: () => this.remove(r) }, this.t('delete'))) : '')))));
      if (write && !this.editing) this.form(null);
      if (!write) fill(this.formEl);
    } catch (e) { this.fail(e); }
  }

  // form creates a rule, or edits r.
  form(r) {
    this.editing = r;
    const err = this.errorBox();
    const kind = r?.kind || 'welcome';
    const hours = r?.hours || {};
    const days = new Set(hours.days?.length ? hours.days : [1, 2, 3, 4, 5, 6]);
    const kindSel = h('select', { name: 'kind', id: 'ar-kind', onchange: () => show() },
      ...['welcome', 'away', 'keyword'].map((k) => h('option', { value: k, selected: k === kind }, this.t(`ar.k.${k}`))));
    const away = h('fieldset', { class: 'ar-away' }, h('legend', {}, this.t('ar.hours')),
      h('div', { class: 'row-inline' }, ...DAYS.map((d) => h('label', { class: 'inline' },
        h('input', { type: 'checkbox', name: 'day', value: d, checked: days.has(d) }), this.t(`ar.d${d}`)))),
      h('div', { class: 'row-inline' },
        h('label', {}, this.t('ar.from'), h('input', { type: 'time', name: 'from', value: hours.from || '08:00' })),
        h('label', {}, this.t('ar.to'), h('input', { type: 'time', name: 'to', value: hours.to || '20:00' })),
        h('label', {}, this.t('ar.zone'), h('select', { name: 'zone' }, ...ZONES.map((z) => h('option', { value: z, selected: z === (r?.zone || ZONES[0]) }, this.t(`ar.z.${z}`)))))));
    const kw = h('fieldset', { class: 'ar-keyword' }, h('legend', {}, this.t('ar.keywordRule')),
      h('label', {}, this.t('ar.keywords'), h('input', { name: 'keywords', id: 'ar-keywords', value: (r?.keywords || []).join(', '), placeholder: 'harga, biaya admin' })),
      h('p', { class: 'muted' }, this.t('ar.keywordsHelp')),
      h('div', { class: 'row-inline' },
        h('label', {}, this.t('ar.routeTo'), h('select', { name: 'routeTeamId', id: 'ar-route' }, h('option', { value: '' }, this.t('ar.noRoute')),
          ...this.teams.map((t) => h('option', { value: t.id, selected: t.id === r?.routeTeamId }, t.name)))),
        h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'handover', checked: !!r?.handover }), this.t('ar.handoverBox')),
        h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'marketing', checked: !!r?.marketing }), this.t('ar.marketing'))),
      this.menuEditor(r?.menu));
    // fieldset sets display: grid, which beats the hidden attribute.
    const show = () => {
      away.style.display = kindSel.value === 'away' ? '' : 'none';
      kw.style.display = kindSel.value === 'keyword' ? '' : 'none';
    };
    const f = h('form', { class: 'card form', id: 'ar-form' }, h('h3', {}, this.t(r ? 'ar.edit' : 'ar.new')),
      h('div', { class: 'row-inline' },
        h('label', {}, this.t('ar.kind'), kindSel),
        h('label', {}, this.t('ar.name'), h('input', { name: 'name', maxlength: 100, value: r?.name || '' })),
        h('label', {}, this.t('ar.teamOnly'), h('select', { name: 'teamId' }, h('option', { value: '' }, this.t('ar.allTeams')),
          ...this.teams.map((t) => h('option', { value: t.id, selected: t.id === r?.teamId }, t.name))))),
      h('label', {}, this.t('ar.reply'), h('textarea', { name: 'reply', id: 'ar-reply', rows: 3, required: true, maxlength: 4096, value: r?.reply || '' })),
      away, kw,
      h('div', { class: 'row-inline' },
        h('label', {}, this.t('ar.cooldown'), h('input', { type: 'number', name: 'cooldownMinutes', min: 0, max: 10080, value: r?.cooldownMinutes ?? 0 })),
        h('label', {}, this.t('ar.priority'), h('input', { type: 'number', name: 'priority', value: r?.priority ?? 0 })),
        h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'enabled', checked: r ? r.enabled : true }), this.t('ar.enabled'))),
      h('p', { class: 'muted' }, this.t('ar.cooldownHelp')), err,
      h('div', { class: 'row-inline' }, h('button', { class: 'primary', type: 'submit' }, this.t(r ? 'save' : 'create')),
        r ? h('button', { type: 'button', onclick: () => this.form(null) }, this.t('cancel')) : null));
    show();
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      const k = d.get('kind');
      const num = (v) => (v ? Number(v) : null);
      const body = { kind: k, name: d.get('name'), reply: d.get('reply'), teamId: num(d.get('teamId')), enabled: d.get('enabled') === 'on',
        cooldownMinutes: Number(d.get('cooldownMinutes') || 0), priority: Number(d.get('priority') || 0) };
      if (k === 'away') {
        body.hours = { days: d.getAll('day').map(Number), from: d.get('from'), to: d.get('to') };
        body.zone = d.get('zone');
      }
      if (k === 'keyword') {
        body.menu = this.menuOf(f);
        body.keywords = String(d.get('keywords') || '').split(',').map((s) => s.trim()).filter(Boolean);
        body.routeTeamId = num(d.get('routeTeamId'));
        body.handover = d.get('handover') === 'on';
        body.marketing = d.get('marketing') === 'on';
      }
      try {
        const base = `/api/v1/senders/${this.senderId}/auto-replies`;
        if (r) await this.api.put(`${base}/${r.id}`, body); else await this.api.post(base, body);
        this.editing = null;
        this.app.toast(this.t('saved'));
        this.load();
      } catch (e) { err.show(e); }
    };
    fill(this.formEl, f);
  }

  // menuEditor edits a keyword rule's menu: reply buttons or a list whose
  // choices answer (an FAQ), route to a team or hand over to an agent.
  menuEditor(menu) {
    const rows = h('div', { class: 'ar-choices', id: 'ar-choices' });
    const typeSel = h('select', { name: 'menuType', id: 'ar-menu-type', onchange: () => sync() },
      ...[['', 'ar.menuNone'], ['buttons', 'ar.menuButtons'], ['list', 'ar.menuList']].map(([v, k]) => h('option', { value: v, selected: (menu?.type || '') === v }, this.t(k))));
    const open = h('label', {}, this.t('ar.menuOpen'), h('input', { name: 'menuButton', maxlength: 20, value: menu?.button || 'Pilih' }));
    const addRow = (c = {}) => rows.append(h('div', { class: 'row-inline ar-choice', dataset: { id: c.id || '' } },
      h('label', {}, this.t('ar.choiceTitle'), h('input', { class: 'ar-c-title', maxlength: 24, value: c.title || '' })),
      h('label', {}, this.t('ar.choiceReply'), h('input', { class: 'ar-c-reply', value: c.reply || '' })),
      h('label', {}, this.t('ar.routeTo'), h('select', { class: 'ar-c-route' }, h('option', { value: '' }, this.t('ar.noRoute')),
        ...this.teams.map((t) => h('option', { value: t.id, selected: t.id === c.routeTeamId }, t.name)))),
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', class: 'ar-c-hand', checked: !!c.handover }), this.t('ar.handover')),
      h('button', { type: 'button', class: 'link', onclick: (ev) => ev.target.closest('.ar-choice').remove() }, this.t('delete'))));
    (menu?.choices || []).forEach(addRow);
    const more = h('button', { type: 'button', id: 'ar-add-choice', onclick: () => addRow() }, this.t('ar.addChoice'));
    const sync = () => {
      const on = typeSel.value !== '';
      rows.style.display = more.style.display = on ? '' : 'none';
      open.style.display = typeSel.value === 'list' ? '' : 'none';
      if (on && !rows.children.length) addRow();
    };
    const box = h('div', { class: 'ar-menu' }, h('div', { class: 'row-inline' }, h('label', {}, this.t('ar.menu'), typeSel), open),
      h('p', { class: 'muted' }, this.t('ar.menuHelp')), rows, more);
    sync();
    return box;
  }

  menuOf(f) {
    const type = f.querySelector('#ar-menu-type').value;
    if (!type) return null;
    const choices = [...f.querySelectorAll('.ar-choice')].map((el, i) => ({
      id: el.dataset.id || `c${i + 1}`, title: el.querySelector('.ar-c-title').value, reply: el.querySelector('.ar-c-reply').value,
      routeTeamId: el.querySelector('.ar-c-route').value ? Number(el.querySelector('.ar-c-route').value) : null,
      handover: el.querySelector('.ar-c-hand').checked,
    }));
    return { type, button: type === 'list' ? f.querySelector('[name="menuButton"]').value : '', choices };
  }

  async remove(r) {
    try {
      await this.api.del(`/api/v1/senders/${this.senderId}/auto-replies/${r.id}`);
      if (this.editing?.id === r.id) this.editing = null;
      this.load();
    } catch (e) { this.fail(e); }
  }
}
