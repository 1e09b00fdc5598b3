// The reasons the server stores in English (a campaign's or a number's
// statusReason) and the page's words for them. TestUIReasonsCoverTheServers
// (api/ui_test.go) checks that every reason the code writes matches one of
// these patterns, so none reaches an Indonesian page in English.
export const REASONS = [
  [/^paused by user$/, 'why.pausedByUser'],
  [/^retrying failed recipients$/, 'why.retrying'],
  [/^quality RED reported by WhatsApp$/, 'why.qualityRed'],
  [/^WhatsApp (?<verb>paused|disabled) template (?<name>.+?) \((?<lang>[^)]+)\)(?:: (?<why>.+?))?(?<resumes>; the campaign resumes by itself when the template is approved again)?$/, 'why.tplHeld'],
  [/^WhatsApp is pacing template (?<name>.+?) \((?<lang>[^)]+)\): its messages are held for a quality assessment; the campaign resumes by itself when WhatsApp releases them$/, 'why.tplPaced'],
];

// reasonText is a stored reason in the page's language (itself when it is
// none of REASONS: a text WhatsApp sent, say).
export function reasonText(t, text) {
  for (const [re, key] of REASONS) {
    const m = re.exec(text || '');
    if (!m) continue;
    const g = m.groups || {};
    return t(key, { name: g.name, lang: g.lang, verb: g.verb ? t(`why.verb.${g.verb}`) : '',
      why: g.why ? `: ${g.why}` : '', resumes: g.resumes ? t('why.resumes') : '' });
  }
  return text;
}

export const reasonStrings = {
  id: {
    'why.pausedByUser': 'Dijeda oleh pengguna', 'why.retrying': 'Mengirim ulang ke penerima yang gagal',
    'why.qualityRed': 'Kualitas MERAH dilaporkan oleh WhatsApp',
    'why.tplHeld': 'WhatsApp {verb} template {name} ({lang}){why}{resumes}', 'why.verb.paused': 'menjeda', 'why.verb.disabled': 'menonaktifkan',
    'why.resumes': '; kampanye berlanjut sendiri saat template disetujui lagi',
    'why.tplPaced': 'WhatsApp membatasi laju template {name} ({lang}): pesannya ditahan untuk penilaian kualitas; kampanye berlanjut sendiri saat WhatsApp melepasnya',
  },
  en: {
    'why.pausedByUser': 'Paused by a user', 'why.retrying': 'Retrying the failed recipients',
    'why.qualityRed': 'Quality RED reported by WhatsApp',
    'why.tplHeld': 'WhatsApp {verb} template {name} ({lang}){why}{resumes}', 'why.verb.paused': 'paused', 'why.verb.disabled': 'disabled',
    'why.resumes': '; the campaign resumes by itself when the template is approved again',
    'why.tplPaced': 'WhatsApp is pacing template {name} ({lang}): its messages are held for a quality assessment; the campaign resumes by itself when WhatsApp releases them',
  },
};
