// Files in the inbox: how a media, location or contact message looks in the
// thread (images inline with a viewer, documents with name/size/download,
// audio and video players, stickers, map links, contact cards), and the
// composer's attachment (button, drag-and-drop, paste; preview, caption,
// WhatsApp's limits checked before the upload).
import { h, clear } from './dom.js';
import { interactiveChoices } from './inbox_interactive.js';

const MEDIA = ['image', 'document', 'audio', 'video', 'sticker'];

export function humanSize(n) {
  if (!n && n !== 0) return '';
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0)} MB`;
  if (n >= 1 << 10) return `${Math.round(n / (1 << 10))} KB`;
  return `${n} B`;
}

function payloadOf(m) {
  let p = m.payload;
  if (typeof p === 'string') { try { p = JSON.parse(p); } catch { p = null; } }
  return p || {};
}

// kindFor picks the WhatsApp kind a file is sent as, by its type.
export function kindFor(file, limits) {
  const t = (file.type || '').toLowerCase();
  for (const k of ['image', 'sticker', 'video', 'audio']) {
    if ((limits.find((l) => l.kind === k)?.types || []).includes(t)) return k;
  }
  return 'document';
}

// checkFile applies the limits the server serves (media.Limits); it
// returns an error text or ''.
export function checkFile(file, kind, limits, t) {
  const l = limits.find((x) => x.kind === kind);
  if (!l) return t('media.badType', { type: file.type || '?' });
  if (!l.types.includes((file.type || '').toLowerCase())) return t('media.badType', { type: file.type || '?' });
  if (file.size > l.maxBytes) return t('media.tooLarge', { kind: t(`media.kind.${kind}`), max: humanSize(l.maxBytes) });
  if (file.size === 0) return t('media.empty');
  return '';
}

// openViewer shows an image full size over the page (Escape or a click closes it).
export function openViewer(src, alt, t) {
  const close = () => { box.remove(); document.removeEventListener('keydown', onKey); prev?.focus?.(); };
  const onKey = (ev) => { if (ev.key === 'Escape') close(); };
  const prev = document.activeElement;
  const closeBtn = h('button', { class: 'viewer-close', 'aria-label': t('close'), onclick: close }, '✕');
  const box = h('div', { class: 'viewer', id: 'media-viewer', role: 'dialog', 'aria-modal': 'true', 'aria-label': alt || t('media.kind.image'),
    onclick: (ev) => { if (ev.target === box) close(); } },
  h('img', { src, alt: alt || t('media.kind.image') }),
  h('div', { class: 'viewer-bar' }, h('a', { href: src, target: '_blank', rel: 'noopener' }, t('media.original')), closeBtn));
  document.body.append(box);
  document.addEventListener('keydown', onKey);
  closeBtn.focus();
}

// messageBody renders the bubble's content of message m (view: its file).
export function messageBody(m, view, t) {
  const p = payloadOf(m);
  if (m.type === 'location' && p.location) {
    const { latitude: lat, longitude: lon, name, address } = p.location;
    const href = `https://www.openstreetmap.org/?mlat=${encodeURIComponent(lat)}&mlon=${encodeURIComponent(lon)}#map=17/${encodeURIComponent(lat)}/${encodeURIComponent(lon)}`;
    return h('div', { class: 'location' }, h('span', { class: 'muted small' }, t('media.location')),
      h('strong', {}, name || t('media.location')), address ? h('div', { class: 'muted' }, address) : null,
      h('a', { class: 'map-link', href, target: '_blank', rel: 'noopener noreferrer' }, t('media.openMap')),
      h('div', { class: 'muted small' }, `${lat}, ${lon}`));
  }
  if (m.type === 'contacts' && Array.isArray(p.contacts)) {
    return h('div', { class: 'contact-cards' }, ...p.contacts.map((c) => h('div', { class: 'contact-card' },
      h('strong', {}, c.name?.formatted_name || [c.name?.first_name, c.name?.last_name].filter(Boolean).join(' ') || t('contact')),
      ...(c.phones || []).map((ph) => h('div', {}, ph.phone || ph.wa_id || '')),
      ...(c.emails || []).map((e) => h('div', {}, e.email || '')),
      c.org?.company ? h('div', { class: 'muted' }, c.org.company) : null)));
  }
  const ix = interactiveChoices(m, p);
  if (ix) return h('div', { class: 'ix-sent' }, h('div', {}, p.interactive.body?.text || m.body || ''), ix);
  if (!MEDIA.includes(m.type)) return null;
  const obj = p[m.type] || {};
  const caption = obj.caption || '';
  const filename = view?.filename || obj.filename || '';
  const parts = [];
  if (!view || view.status === 'pending') {
    parts.push(h('div', { class: 'media-pending', dataset: { media: 'pending' } }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('media.loading', { kind: t(`media.kind.${m.type}`) })));
  } else if (view.status === 'failed') {
    parts.push(h('div', { class: 'media-failed', dataset: { media: 'failed' } }, '⚠ ', t('media.failed'), view.error ? h('div', { class: 'muted small' }, view.error) : null));
  } else if (view.status === 'expired' || !view.url) {
    parts.push(h('div', { class: 'media-failed', dataset: { media: 'expired' } }, t('media.expired')));
  } else if (m.type === 'image') {
    const alt = caption || filename || t('media.kind.image');
    parts.push(h('button', { type: 'button', class: 'media-thumb', 'aria-label': t('media.view'), onclick: () => openViewer(view.url, alt, t) },
      h('img', { src: view.thumbUrl || view.url, alt, width: thumbSize(view).w, height: thumbSize(view).h, loading: 'lazy' })));
  } else if (m.type === 'sticker') {
    parts.push(h('img', { class: 'sticker', src: view.thumbUrl || view.url, alt: t('media.kind.sticker'), width: 128, height: 128 }));
  } else if (m.type === 'audio') {
    parts.push(h('audio', { controls: true, preload: 'none', src: view.url, 'aria-label': t('media.kind.audio') }));
  } else if (m.type === 'video') {
    parts.push(h('video', { controls: true, preload: 'metadata', src: view.url, class: 'video', 'aria-label': caption || t('media.kind.video') }));
  } else {
    parts.push(h('a', { class: 'doc', href: view.url, download: filename || 'file', dataset: { media: 'document' } },
      docIcon(filename, view.mimeType),
      h('span', { class: 'doc-name' }, filename || t('media.kind.document')),
      h('span', { class: 'doc-size muted' }, [humanSize(view.size), (view.mimeType || '').split('/').pop().toUpperCase()].filter(Boolean).join(' · '))));
  }
  if (caption) parts.push(h('div', { class: 'caption' }, caption));
  return h('div', { class: `media media-${m.type}` }, ...parts);
}

// docIcon is a file tile with its extension (no emoji: not every system has the font).
function docIcon(name, type) {
  const ext = ((name || '').includes('.') ? name.split('.').pop() : (type || '').split('/').pop() || 'file').slice(0, 4).toUpperCase();
  return h('span', { class: 'doc-icon', 'aria-hidden': 'true' }, ext);
}

// paperclip draws the attach button's icon.
export function paperclip() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24'); svg.setAttribute('width', '20'); svg.setAttribute('height', '20'); svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', 'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5');
  p.setAttribute('fill', 'none'); p.setAttribute('stroke', 'currentColor'); p.setAttribute('stroke-width', '1.8'); p.setAttribute('stroke-linecap', 'round');
  svg.append(p);
  return svg;
}

function thumbSize(v) {
  const w = v.width || 320, hh = v.height || 240;
  const s = Math.min(1, 260 / Math.max(w, hh));
  return { w: Math.round(w * s), h: Math.round(hh * s) };
}

// Attachment is the file waiting in the composer: its preview, the checks,
// the upload and the send. Its idempotency key and media id are kept, so a
// retry after a failed send never uploads or sends twice.
export class Attachment {
  constructor(inbox, file) {
    this.inbox = inbox;
    this.file = file;
    this.limits = inbox.app.mediaLimits || [];
    this.kind = kindFor(file, this.limits);
    this.error = checkFile(file, this.kind, this.limits, (k, v) => inbox.t(k, v));
    this.key = crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    this.mediaId = null;
    this.url = this.kind === 'image' || this.kind === 'sticker' ? URL.createObjectURL(file) : null;
  }

  release() { if (this.url) URL.revokeObjectURL(this.url); }

  preview(onRemove) {
    const t = (k, v) => this.inbox.t(k, v);
    return h('div', { class: `attachment${this.error ? ' invalid' : ''}`, id: 'attachment' },
      this.url ? h('img', { src: this.url, alt: this.file.name, class: 'attachment-thumb' }) : docIcon(this.file.name, this.file.type),
      h('div', { class: 'attachment-info' }, h('strong', {}, this.file.name || t(`media.kind.${this.kind}`)),
        h('span', { class: 'muted' }, `${t(`media.kind.${this.kind}`)} · ${humanSize(this.file.size)}`),
        this.error ? h('span', { class: 'attachment-error', role: 'alert' }, this.error) : null),
      h('button', { type: 'button', class: 'link', id: 'attachment-remove', 'aria-label': t('media.remove'), onclick: onRemove }, '✕'));
  }

  async send(caption) {
    const c = this.inbox.selected;
    if (!this.mediaId) {
      const form = new FormData();
      form.append('type', this.kind);
      form.append('file', this.file, this.file.name || 'file');
      const up = await this.inbox.app.api.upload(`/api/v1/conversations/${c.id}/media`, form);
      this.mediaId = up.mediaId;
    }
    const body = { type: this.kind, mediaId: this.mediaId };
    if (caption && this.kind !== 'audio' && this.kind !== 'sticker') body.caption = caption;
    if (this.kind === 'document') body.filename = this.file.name;
    return this.inbox.app.api.post(`/api/v1/conversations/${c.id}/messages`, body, { 'Idempotency-Key': this.key });
  }
}

// fileOf returns the first file of a drop or paste event.
export function fileOf(ev) {
  const dt = ev.dataTransfer || ev.clipboardData;
  if (!dt) return null;
  if (dt.files && dt.files.length) return dt.files[0];
  for (const it of dt.items || []) if (it.kind === 'file') return it.getAsFile();
  return null;
}

export { clear };
