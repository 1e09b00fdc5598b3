// Journeys: the list, the builder (journey_builder.js) and the journey's
// page with its actions, enrolment and funnel (journey_view.js). Under the
// campaign permissions, as the API: read to see, write to edit, launch to
// launch/pause/resume/cancel and enrol.
import { Page, h, fill, statusChip } from './page.js';
import { Builder } from './journey_builder.js';
import { JourneyView } from './journey_view.js';

export class JourneysPage extends Page {
  mount() {
    const p = location.pathname;
    if (p === '/journeys/new' && this.can('campaigns:write')) { new Builder(this, 0).mount(); return; }
    const edit = p.match(/^\/journeys\/(\d+)\/edit$/);
    if (edit && this.can('campaigns:write')) { new Builder(this, Number(edit[1])).mount(); return; }
    const m = p.match(/^\/journeys\/(\d+)$/);
    if (m) { this.view = new JourneyView(this, Number(m[1])); this.view.mount(); return; }
    this.mountList();
  }
  destroy() { super.destroy(); this.view?.destroy(); }
  reload() { this.view ? this.view.load() : this.load?.(); }

  // mountList: name, status, version and the enrolments by status (the
  // list answers them with the journeys: one request for the page).
  mountList() {
    const actions = this.can('campaigns:write')
      ? [h('button', { class: 'primary', id: 'journey-new', onclick: () => this.app.navigate('/journeys/new') }, this.t('newJourney'))] : [];
    this.body = this.shell(this.t('journeys'), ...actions);
    this.load = async () => {
      const newest = this.turn();
      try {
        const out = await this.api.get('/api/v1/journeys?limit=100');
        const items = out.items || [];
        if (!newest()) return;
        const n = (d, k) => String(d.enrollments?.[k] || 0);
        fill(this.body, this.table([this.t('name'), this.t('status'), this.t('jr.version'), this.t('jr.running'), this.t('jr.completed'), this.t('jr.exited'), this.t('updated')],
          items.map((d) => h('tr', { class: 'clickable', dataset: { id: d.id }, onclick: (ev) => { if (!ev.target.closest('a')) this.app.navigate(`/journeys/${d.id}`); } },
            h('td', {}, this.link(`/journeys/${d.id}`, d.name)), h('td', {}, statusChip(this, d.status)), h('td', { class: 'num' }, `v${d.currentVersion}`),
            h('td', { class: 'num', dataset: { k: 'running' } }, n(d, 'running')), h('td', { class: 'num', dataset: { k: 'completed' } }, n(d, 'completed')),
            h('td', { class: 'num', dataset: { k: 'exited' } }, n(d, 'exited')), h('td', {}, this.time(d.updatedAt)))),
          { id: 'journey-list' }));
      } catch (e) { this.fail(e); }
    };
    this.load();
  }
}
