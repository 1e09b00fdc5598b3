// Canned responses: an agent's own, their team's and everyone's, managed
// here; the composer offers them on "/". Sharing with a team or everyone
// takes inbox:assign (the API checks it; the form offers only what fits).
import { Page } from './page.js';
import { h, fill } from './dom.js';

export class CannedPage extends Page {
  mount() {
    this.body = this.shell(this.t('cannedTitle'));
    this.listEl = h('div', { id: 'canned-list' });
    this.formEl = h('div', { id: 'canned-form-wrap' });
    this.body.append(this.formEl, this.listEl);
    this.load();
  }

  async load() {
    const newest = this.turn();
    try {
      const [out, teams] = await Promise.all([this.api.get('/api/v1/canned-responses'),
        this.can('teams:read') ? this.api.get('/api/v1/teams') : { items: [] }]);
      if (!newest()) return;
      const me = this.app.me;
      const mine = new Set([...(me.teamIds || []), ...(me.supervisedTeamIds || [])]);
      this.teams = (teams.items || teams.data || []).filter((t) => me.allScope || mine.has(t.id));
      const tn = new Map(this.teams.map((t) => [t.id, t.name]));
      const scopeOf = (c) => (c.personal ? this.t('cannedPersonal') : c.teamId ? `${this.t('teamCol')}: ${tn.get(c.teamId) || c.teamId}` : this.t('cannedEveryone'));
      const manage = (c) => c.personal ? c.createdBy === me.agent.id : this.can('inbox:assign') && (me.allScope || (c.teamId && mine.has(c.teamId)));
      fill(this.listEl, this.table([this.t('cannedShortcut'), this.t('cannedTitleCol'), this.t('body'), this.t('cannedScope'), ''],
        (out.items || []).map((c) => h('tr', { dataset: { canned: c.shortcut } },
          h('td', {}, h('code', {}, `/${c.shortcut}`)), h('td', {}, c.title || ''), h('td', { class: 'canned-body' }, c.body), h('td', {}, scopeOf(c)),
          h('td', {}, manage(c) ? h('span', {},
            h('button', { class: 'link', dataset: { edit: c.shortcut }, onclick: () => this.form(c) }, this.t('edit')),
            h('button', { class: 'link', dataset: { del: c.shortcut }, onclick: () => this.remove(c) }, this.t('delete'))) : '')))));
      if (!this.editing) this.form(null);
    } catch (e) { this.fail(e); }
  }

  // form creates a response, or edits c.
  form(c) {
    this.editing = c;
    const err = this.errorBox();
    const scopes = [h('option', { value: 'personal' }, this.t('cannedPersonal'))];
    if (this.can('inbox:assign')) {
      for (const t of this.teams || []) scopes.push(h('option', { value: `team:${t.id}` }, `${this.t('teamCol')}: ${t.name}`));
      if (this.app.me.allScope) scopes.push(h('option', { value: 'everyone' }, this.t('cannedEveryone')));
    }
    const f = h('form', { class: 'card form', id: 'canned-form' }, h('h3', {}, this.t(c ? 'cannedEdit' : 'cannedNew')),
      h('div', { class: 'row-inline' },
        h('label', {}, this.t('cannedShortcut'), h('input', { name: 'shortcut', required: true, pattern: '[a-z0-9_\\-]{1,32}', value: c?.shortcut || '', placeholder: 'rek' })),
        h('label', {}, this.t('cannedTitleCol'), h('input', { name: 'title', maxlength: 200, value: c?.title || '' })),
        c ? null : h('label', {}, this.t('cannedScope'), h('select', { name: 'scope' }, ...scopes))),
      h('label', {}, this.t('body'), h('textarea', { name: 'body', rows: 3, required: true, maxlength: 4096, value: c?.body || '' })),
      h('p', { class: 'muted' }, this.t('cannedVarsHelp')), err,
      h('div', { class: 'row-inline' }, h('button', { class: 'primary', type: 'submit' }, this.t(c ? 'save' : 'create')),
        c ? h('button', { type: 'button', onclick: () => { this.editing = null; this.form(null); } }, this.t('cancel')) : null));
    f.onsubmit = async (ev) => {
      ev.preventDefault();
      const d = new FormData(f);
      const body = { shortcut: d.get('shortcut'), title: d.get('title'), body: d.get('body') };
      try {
        if (c) {
          await this.api.patch(`/api/v1/canned-responses/${c.id}`, body);
        } else {
          const scope = d.get('scope') || 'personal';
          if (scope === 'personal') body.personal = true; else if (scope.startsWith('team:')) body.teamId = Number(scope.slice(5));
          await this.api.post('/api/v1/canned-responses', body);
        }
        this.editing = null;
        this.app.toast(this.t('saved'));
        this.load();
      } catch (e) { err.show(e); }
    };
    fill(this.formEl, f);
  }

  async remove(c) {
    try { await this.api.del(`/api/v1/canned-responses/${c.id}`); this.load(); } catch (e) { this.fail(e); }
  }
}
