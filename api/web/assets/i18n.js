// Indonesian (default) and English strings. Keys are stable; missing
// English falls back to Indonesian, a missing key shows the key.
const strings = {
  id: {
    appName: 'SCRM WhatsApp',
    email: 'Email', password: 'Kata sandi', login: 'Masuk', logout: 'Keluar',
    loginFailed: 'Email atau kata sandi salah.', loading: 'Memuat…',
    inbox: 'Kotak masuk', agents: 'Agen', teams: 'Tim',
    mine: 'Milik saya', unassigned: 'Belum ditugaskan', team: 'Tim saya', all: 'Semua',
    search: 'Cari nama atau nomor', noConversations: 'Tidak ada percakapan.',
    pickConversation: 'Pilih percakapan di sebelah kiri.',
    online: 'Online', away: 'Istirahat', offline: 'Offline',
    windowLeft: 'Jendela: {t} lagi', windowClosed: 'Jendela 24 jam ditutup',
    typeMessage: 'Tulis pesan… (ketik / untuk balasan cepat)', send: 'Kirim',
    sent: 'Terkirim', delivered: 'Diterima', read: 'Dibaca', failed: 'Gagal', queued: 'Antre', sending: 'Mengirim',
    windowClosedHelp: 'Jendela layanan 24 jam sudah ditutup. Kirim template yang disetujui.',
    template: 'Template', variables: 'Variabel', sendTemplate: 'Kirim template', noTemplates: 'Tidak ada template yang disetujui.',
    resolve: 'Selesaikan', reopen: 'Buka lagi', assignMe: 'Ambil', loadOlder: 'Muat pesan lama',
    name: 'Nama', status: 'Status', presence: 'Kehadiran', role: 'Peran', create: 'Buat', strategy: 'Strategi',
    newAgent: 'Agen baru', newTeam: 'Tim baru', members: 'Anggota', saved: 'Tersimpan.',
    error: 'Terjadi kesalahan', offlineBanner: 'Koneksi realtime terputus, menyambung ulang…',
    active: 'Aktif', disabled: 'Nonaktif',
    language: 'English', forbidden: 'Anda tidak punya akses ke halaman ini.', you: 'Anda',
  },
  en: {
    appName: 'SCRM WhatsApp',
    email: 'Email', password: 'Password', login: 'Sign in', logout: 'Sign out',
    loginFailed: 'Wrong email or password.', loading: 'Loading…',
    inbox: 'Inbox', agents: 'Agents', teams: 'Teams',
    mine: 'Mine', unassigned: 'Unassigned', team: 'My team', all: 'All',
    search: 'Search name or number', noConversations: 'No conversations.',
    pickConversation: 'Pick a conversation on the left.',
    online: 'Online', away: 'Away', offline: 'Offline',
    windowLeft: 'Window: {t} left', windowClosed: '24h window closed',
    typeMessage: 'Type a message… (type / for canned replies)', send: 'Send',
    sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Failed', queued: 'Queued', sending: 'Sending',
    windowClosedHelp: 'The 24-hour service window is closed. Send an approved template.',
    template: 'Template', variables: 'Variables', sendTemplate: 'Send template', noTemplates: 'No approved templates.',
    resolve: 'Resolve', reopen: 'Reopen', assignMe: 'Take', loadOlder: 'Load older messages',
    name: 'Name', status: 'Status', presence: 'Presence', role: 'Role', create: 'Create', strategy: 'Strategy',
    newAgent: 'New agent', newTeam: 'New team', members: 'Members', saved: 'Saved.',
    error: 'Something went wrong', offlineBanner: 'Realtime connection lost, reconnecting…',
    active: 'Active', disabled: 'Disabled',
    language: 'Bahasa Indonesia', forbidden: 'You have no access to this page.', you: 'You',
  },
};

export class I18n {
  constructor(storage) {
    this.storage = storage;
    this.lang = storage.getItem('scrm.lang') === 'en' ? 'en' : 'id';
    this.listeners = [];
  }
  t(key, vars = {}) {
    const s = strings[this.lang][key] ?? strings.id[key] ?? key;
    return s.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
  }
  toggle() {
    this.lang = this.lang === 'id' ? 'en' : 'id';
    this.storage.setItem('scrm.lang', this.lang);
    document.documentElement.lang = this.lang;
    this.listeners.forEach((f) => f());
  }
  onChange(f) { this.listeners.push(f); }
  locale() { return this.lang === 'en' ? 'en-GB' : 'id-ID'; }
  // Times are always shown in Jakarta time, whatever the machine's zone.
  time(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    const sameDay = new Date().toDateString() === d.toDateString();
    const opts = sameDay ? { hour: '2-digit', minute: '2-digit' } : { day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit' };
    return new Intl.DateTimeFormat(this.locale(), { ...opts, timeZone: 'Asia/Jakarta' }).format(d);
  }
}
