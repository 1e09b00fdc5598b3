// Indonesian (default) and English strings. Keys are stable; missing
// English falls back to Indonesian, a missing key shows the key.
import { journeyStrings } from './journey_strings.js';
import { autoReplyStrings } from './autoreply_strings.js';
import { reasonStrings } from './reasons.js';

const strings = {
  id: {
    appName: 'SCRM WhatsApp',
    email: 'Email', password: 'Kata sandi', login: 'Masuk', logout: 'Keluar', accountMenu: 'Pengaturan akun dan keluar', logoutAll: 'Keluar dari semua perangkat', totpCode: 'Kode autentikator', totpNeeded: 'Masukkan kode dari aplikasi autentikator Anda.', totpWrong: 'Kode salah atau sudah dipakai.',
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
    agentZone: 'Zona waktu', zoneNone: 'Tidak ada (zona tim)', agentZoneSaved: 'Zona waktu {name} disimpan.',
    name: 'Nama', status: 'Status', presence: 'Kehadiran', role: 'Peran', create: 'Buat', strategy: 'Strategi',
    newAgent: 'Agen baru', newTeam: 'Tim baru', members: 'Anggota', saved: 'Tersimpan.',
    error: 'Terjadi kesalahan', offlineBanner: 'Koneksi realtime terputus, menyambung ulang…',
    active: 'Aktif', disabled: 'Nonaktif',
    language: 'English', forbidden: 'Anda tidak punya akses ke halaman ini.', you: 'Anda',
  },
  en: {
    appName: 'SCRM WhatsApp',
    email: 'Email', password: 'Password', login: 'Sign in', logout: 'Sign out', accountMenu: 'Account settings and sign out', logoutAll: 'Sign out everywhere', totpCode: 'Authenticator code', totpNeeded: 'Enter the code from your authenticator app.', totpWrong: 'Wrong or already used code.',
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
    agentZone: 'Time zone', zoneNone: "None (the team's)", agentZoneSaved: "{name}'s time zone saved.",
    name: 'Name', status: 'Status', presence: 'Presence', role: 'Role', create: 'Create', strategy: 'Strategy',
    newAgent: 'New agent', newTeam: 'New team', members: 'Members', saved: 'Saved.',
    error: 'Something went wrong', offlineBanner: 'Realtime connection lost, reconnecting…',
    active: 'Active', disabled: 'Disabled',
    language: 'Bahasa Indonesia', forbidden: 'You have no access to this page.', you: 'You',
  },
};

// Strings of the management pages (campaigns, contacts, templates, senders,
// roles, cases, audit), kept apart from the inbox's for readability.
const more = {
  id: {
    campaigns: 'Kampanye', contacts: 'Kontak', cases: 'Kasus', templates: 'Template', senders: 'Nomor pengirim', roles: 'Peran', audit: 'Log audit',
    nothing: 'Belum ada data.', back: 'Kembali', next: 'Lanjut', review: 'Tinjau', launch: 'Luncurkan', pause: 'Jeda', resume: 'Lanjutkan', cancel: 'Batalkan',
    delete: 'Hapus', created: 'Dibuat', updated: 'Diperbarui', time: 'Waktu', none: 'Tidak ada', fix: 'Perbaiki', preview: 'Pratinjau',
    newCampaign: 'Kampanye baru', campaign: 'Kampanye', campaignName: 'Nama kampanye', startAt: 'Mulai', start: 'Jadwal mulai',
    startNow: 'Segera', startLater: 'Pada waktu tertentu', jakartaTime: 'Waktu Jakarta (WIB)',
    stepTemplate: 'Template', stepAudience: 'Audiens', stepSchedule: 'Jadwal', stepReview: 'Tinjau & luncurkan',
    varHelp: 'Isi tiap variabel dengan contact.name, contact.phone, contact.<atribut> atau teks tetap.',
    fillVars: 'Isi variabel: {v}', segment: 'Segmen', noSegments: 'Belum ada segmen. Buat di Kontak → Segmen.', pickSegment: 'Pilih segmen.',
    manageSegments: 'Kelola segmen', segmentCount: '{n} kontak di segmen ini (sebelum pengecualian).', quietHours: 'Jam kirim (hanya pada)', teamCol: 'Tim', allocatedTo: 'Untuk',
    quietHelp: 'Pesan hanya dikirim pada hari dan jam ini (WIB). Bawaan: Senin–Sabtu 08:00–20:00.', from: 'Dari', to: 'Sampai',
    anyTime: 'Kapan saja (24/7)', frequencyCap: 'Batas frekuensi', capHelp: 'Maksimal pesan template per kontak dalam sekian hari (kosong: tanpa batas).',
    capMax: 'Maks. pesan', capDays: 'Per … hari', capText: '{n} pesan per {d} hari', nameRequired: 'Nama kampanye wajib diisi.',
    pickSender: 'Pilih minimal satu nomor pengirim.', pickStart: 'Pilih waktu mulai.', pickDays: 'Pilih minimal satu hari.',
    audienceSize: 'Ukuran audiens', optedOut: 'Berhenti berlangganan', invalidNumber: 'Nomor tidak valid', willSend: 'Akan dikirim',
    samplePreview: 'Contoh pesan untuk kontak pertama', notOptedOut: 'Tidak berhenti berlangganan', neverContacted: 'Belum pernah dihubungi',
    allContacts: 'Semua kontak', tagsAll: 'Semua tag', tagsAny: 'Salah satu tag',
    day0: 'Min', day1: 'Sen', day2: 'Sel', day3: 'Rab', day4: 'Kam', day5: 'Jum', day6: 'Sab',
    confirmCancel: 'Batalkan kampanye ini? Pesan yang belum terkirim tidak akan dikirim.', launchedAt: 'Diluncurkan', finishedAt: 'Selesai',
    funnel: 'Corong', processed: '{n} dari {total} diproses ({pct}%)', skipReasons: 'Dilewati karena',
    'f.recipients': 'Penerima', 'f.queued': 'Antre', 'f.sent': 'Terkirim', 'f.delivered': 'Diterima', 'f.read': 'Dibaca', 'f.replied': 'Membalas', 'f.failed': 'Gagal', 'f.skipped': 'Dilewati',
    'skip.opted_out': 'berhenti berlangganan', 'skip.invalid_number': 'nomor tidak valid', 'skip.frequency_cap': 'batas frekuensi', 'skip.missing_variable': 'variabel kosong',
    'st.draft': 'Draf', 'st.scheduled': 'Terjadwal', 'st.running': 'Berjalan', 'st.paused': 'Dijeda', 'st.completed': 'Selesai', 'st.cancelled': 'Dibatalkan', 'st.failed': 'Gagal',
    'st.pending': 'Menunggu', 'st.approved': 'Disetujui', 'st.rejected': 'Ditolak', 'st.active': 'Aktif', 'st.flagged': 'Ditandai', 'st.restricted': 'Dibatasi',
    'st.disabled': 'Nonaktif', 'st.unverified': 'Belum terverifikasi',
    contactList: 'Daftar kontak', segments: 'Segmen', import: 'Impor', phone: 'Telepon', tags: 'Tag', attributes: 'Atribut', export: 'Ekspor CSV',
    rangeOf: '{a}–{b} dari {n}', rangeOfAbout: '{a}–{b} dari sekitar {n}', filter: 'Filter', newSegment: 'Segmen baru', excludeOptedOut: 'Kecualikan yang berhenti berlangganan',
    confirmDelete: 'Hapus {x}?', importJobs: 'Riwayat impor', file: 'Berkas', rows: 'Baris', reportCsv: 'Laporan CSV',
    uploadFile: 'Unggah berkas', uploadHelp: 'CSV atau XLSX dengan baris judul. Kolom dipetakan pada langkah berikutnya.',
    mapColumns: 'Petakan kolom', rowsFound: '{n} baris', asAttributes: 'Kolom lain sebagai atribut kontak:',
    'map.phone': 'Nomor HP', 'map.name': 'Nama', 'map.caseRef': 'Referensi kasus', 'map.amount': 'Jumlah', 'map.dueDate': 'Jatuh tempo', 'map.team': 'Tim', 'map.agent': 'Agen',
    phoneRequired: 'Pilih kolom nomor HP.', dryRun: 'Uji coba (dry run)', startImport: 'Mulai impor', dryRunReport: 'Hasil uji coba per baris',
    'imp.total': 'Total', 'imp.created': 'Baru', 'imp.updated': 'Diperbarui', 'imp.duplicate': 'Duplikat', 'imp.errors': 'Galat', 'imp.empty': 'Kosong',
    row: 'Baris', result: 'Hasil', reason: 'Alasan', firstRows: 'Menampilkan {n} baris pertama.',
    'res.created': 'baru', 'res.updated': 'diperbarui', 'res.duplicate': 'duplikat', 'res.error': 'galat', 'res.empty': 'kosong', 'res.case_pending': 'kasus menunggu',
    importing: 'Mengimpor', importAnother: 'Impor berkas lain',
    langCol: 'Bahasa', category: 'Kategori', newTemplate: 'Template baru', header: 'Judul (opsional)', headerKind: 'Jenis judul', 'filter.senderId': 'Nomor bisnis', 'filter.senderId.any': 'Semua nomor', cannedTitle: 'Balasan cepat', cannedShortcut: 'Pintasan', cannedTitleCol: 'Judul', cannedScope: 'Untuk', cannedPersonal: 'Saya sendiri', cannedEveryone: 'Semua agen', cannedEdit: 'Ubah balasan cepat', cannedNew: 'Balasan cepat baru', cannedVarsHelp: 'Ketik / di kotak pesan untuk memakainya. Variabel: {{contact.name}}, {{contact.first_name}}, {{contact.phone}}, {{agent.name}}, {{agent.first_name}}.', edit: 'Ubah', alertsOn: 'Notifikasi: aktif', alertsOff: 'Notifikasi: mati', alertsHelp: 'Bunyi dan notifikasi desktop untuk pesan di obrolan Anda', newMessage: 'Pesan baru', newConversationForYou: 'Percakapan baru untuk Anda', mentionedYou: 'Anda disebut dalam catatan', sheet: 'Lembar (sheet)', resubmit: 'Ajukan ulang', resubmitHelp: 'Bila WhatsApp tidak lagi memiliki template ini (dihapus atau akun direset)', headerTEXT: 'Teks', headerIMAGE: 'Gambar', headerVIDEO: 'Video', headerDOCUMENT: 'Dokumen',
    headerSample: 'Contoh berkas (wajib untuk ditinjau WhatsApp)', uploading: 'Mengunggah…', sampleReady: '{name} terunggah ke WhatsApp', body: 'Isi', footer: 'Catatan kaki (opsional)',
    example: 'Contoh', submitReview: 'Ajukan ke Meta', submitted: 'Diajukan untuk ditinjau.',
    number: 'Nomor', verifiedName: 'Nama terverifikasi', quality: 'Kualitas', tier: 'Batas pesan', allocation: 'Alokasi', agent: 'Agen',
    primary: 'Utama', secondary: 'Cadangan', allocate: 'Alokasikan',
    permission: 'Izin', rolesHelp: 'Centang izin per peran; perubahan langsung disimpan. Admin selalu memiliki semua izin.',
    newRole: 'Peran baru', dataScope: 'Cakupan data', 'scope.own': 'Milik sendiri', 'scope.teams': 'Tim', 'scope.all': 'Semua',
    redistProgress: 'Bagi ulang: {seen} kasus dilihat, {re} ditugaskan ulang, {pool} kembali ke pool, {failed} gagal',
    disableAgent: 'Nonaktifkan', enableAgent: 'Aktifkan',
    noSegment: '— tanpa segmen —', uploadedList: 'Daftar unggahan (hasil impor)', skipAssigned: 'Lewati kontak yang sedang dilayani agen (percakapan terbuka)',
    templateProblems: 'Perlu diperbaiki sebelum diluncurkan:', templateOk: 'Template lolos pemeriksaan panjang ({n} karakter).', missingValue: '{k} kosong',
    tools: 'Alat', testPhone: 'Nomor uji', testSend: 'Kirim uji', testSent: 'Pesan uji dikirim ke {to}.', duplicate: 'Duplikat',
    retryFailed: 'Kirim ulang yang gagal', requeued: '{n} penerima diantrekan ulang.', exportAs: 'Ekspor {f}', showRecipients: 'Lihat penerima',
    recipients: 'Penerima', more: 'Muat lagi',
    'cmp.with': 'Bandingkan dengan template…', 'cmp.title': 'Perbandingan template · {days} hari terakhir',
    'cmp.winner': '{name} unggul dalam tingkat balasan (uji z {z}, 95%).', 'cmp.notYet': '{name} unggul sementara; belum cukup data untuk menyebut pemenang (min. {min} terkirim per template, selisih bermakna 95%).',
    'cmp.none': 'Belum ada selisih tingkat balasan.',
    stats: 'Statistik', statsTitle: '{name} · {days} hari terakhir', 'rate.delivered': 'Tingkat terima', 'rate.read': 'Tingkat baca',
    'rate.replied': 'Tingkat balas', 'rate.failed': 'Tingkat gagal', perDay: 'Terkirim per hari', sync: 'Sinkronkan', syncHelp: 'Ambil kualitas, batas pesan dan status terbaru dari Meta',
    'teamRole.lead': 'Ketua', 'teamRole.member': 'Anggota', makeLead: 'Jadikan ketua', makeMember: 'Jadikan anggota', remove: 'Keluarkan', addMember: 'Tambah anggota',
    product: 'Produk', dueDate: 'Jatuh tempo', lastOutcome: 'Hasil terakhir', followUp: 'Tindak lanjut', recordOutcome: 'Catat hasil',
    outcome: 'Hasil', promiseDate: 'Tanggal janji bayar', note: 'Catatan', saveOutcome: 'Simpan hasil', exitReason: 'Alasan keluar',
    closeCase: 'Tutup kasus', confirmClose: 'Tutup kasus {x}?',
    'outcome.promise_to_pay': 'Janji bayar', 'outcome.contacted': 'Terhubung', 'outcome.no_answer': 'Tidak menjawab', 'outcome.refused': 'Menolak',
    'outcome.wrong_number': 'Salah nomor', 'outcome.paid_partial': 'Bayar sebagian', 'outcome.callback': 'Minta dihubungi lagi',
    'exit.resolved': 'Selesai', 'exit.paid': 'Lunas', 'exit.invalid': 'Tidak valid',
    allTeams: 'Semua tim', redistribute: 'Bagi ulang kasus tim', pickTeam: 'Pilih tim dulu.', confirmRedistribute: 'Tarik semua kasus terbuka tim ini dan bagi ulang?',
    'case.pooled': 'Di pool', 'case.assigned': 'Ditugaskan', 'case.in_progress': 'Dikerjakan', 'case.exited': 'Keluar',
    reference: 'Referensi', customer: 'Nasabah', searchCases: 'Cari referensi, nama atau nomor', claim: 'Ambil', claimed: 'Kasus diambil',
    outstanding: 'Sisa tagihan', overdue: 'Terlambat', assignTo: 'Tugaskan ke…', recall: 'Tarik',
    actor: 'Pelaku', action: 'Aksi', entity: 'Entitas', details: 'Rincian', system: 'Sistem',
    'filter.status': 'Status', 'filter.window': 'Jendela', 'filter.sort': 'Urutan', 'filter.label': 'Label…',
    'filter.status.any': 'Semua status', 'filter.status.open': 'Terbuka', 'filter.status.pending': 'Menunggu', 'filter.status.snoozed': 'Ditunda', 'filter.status.resolved': 'Selesai',
    'filter.window.any': 'Semua jendela', 'filter.window.open': 'Jendela terbuka', 'filter.window.closed': 'Jendela tertutup',
    'filter.sort.any': 'Aktivitas terbaru', 'filter.sort.waiting': 'Menunggu terlama',
    contact: 'Kontak', labels: 'Label', save: 'Simpan', snooze: 'Tunda', snoozed: 'Percakapan ditunda.', in1h: '1 jam', in4h: '4 jam',
    tomorrow8: 'Besok 08:00', snoozedUntil: 'Ditunda sampai', transfer: 'Alihkan', transferTo: 'Alihkan ke…', notes: 'Catatan internal',
    notesHelp: 'Hanya terlihat oleh tim, tidak dikirim ke pelanggan.', notePlaceholder: 'Tulis catatan…', addNote: 'Tambah catatan',
  },
  en: {
    campaigns: 'Campaigns', contacts: 'Contacts', cases: 'Cases', templates: 'Templates', senders: 'Senders', roles: 'Roles', audit: 'Audit log',
    nothing: 'Nothing here yet.', back: 'Back', next: 'Next', review: 'Review', launch: 'Launch', pause: 'Pause', resume: 'Resume', cancel: 'Cancel',
    delete: 'Delete', created: 'Created', updated: 'Updated', time: 'Time', none: 'None', fix: 'Fix', preview: 'Preview',
    newCampaign: 'New campaign', campaign: 'Campaign', campaignName: 'Campaign name', startAt: 'Start', start: 'Start',
    startNow: 'Now', startLater: 'At a set time', jakartaTime: 'Jakarta time (WIB)',
    stepTemplate: 'Template', stepAudience: 'Audience', stepSchedule: 'Schedule', stepReview: 'Review & launch',
    varHelp: 'Fill each variable with contact.name, contact.phone, contact.<attribute> or fixed text.',
    fillVars: 'Fill in: {v}', segment: 'Segment', noSegments: 'No segments yet. Create one under Contacts → Segments.', pickSegment: 'Pick a segment.',
    manageSegments: 'Manage segments', segmentCount: '{n} contacts in this segment (before exclusions).', teamCol: 'Team', allocatedTo: 'To', langCol: 'Language', quietHours: 'Sending hours (send only on)',
    quietHelp: 'Messages go out only on these days and hours (WIB). Default: Monday–Saturday 08:00–20:00.', from: 'From', to: 'To',
    anyTime: 'Any time (24/7)', frequencyCap: 'Frequency cap', capHelp: 'At most this many templates per contact within so many days (empty: no cap).',
    capMax: 'Max messages', capDays: 'Per … days', capText: '{n} messages per {d} days', nameRequired: 'The campaign needs a name.',
    pickSender: 'Pick at least one sender.', pickStart: 'Pick a start time.', pickDays: 'Pick at least one day.',
    audienceSize: 'Audience size', optedOut: 'Opted out', invalidNumber: 'Invalid number', willSend: 'Will be sent',
    samplePreview: 'Sample message for the first contact', notOptedOut: 'Not opted out', neverContacted: 'Never contacted',
    allContacts: 'All contacts', tagsAll: 'All tags', tagsAny: 'Any tag',
    day0: 'Sun', day1: 'Mon', day2: 'Tue', day3: 'Wed', day4: 'Thu', day5: 'Fri', day6: 'Sat',
    confirmCancel: 'Cancel this campaign? Messages not yet sent will not be sent.', launchedAt: 'Launched', finishedAt: 'Finished',
    funnel: 'Funnel', processed: '{n} of {total} processed ({pct}%)', skipReasons: 'Skipped because',
    'f.recipients': 'Recipients', 'f.queued': 'Queued', 'f.sent': 'Sent', 'f.delivered': 'Delivered', 'f.read': 'Read', 'f.replied': 'Replied', 'f.failed': 'Failed', 'f.skipped': 'Skipped',
    'skip.opted_out': 'opted out', 'skip.invalid_number': 'invalid number', 'skip.frequency_cap': 'frequency cap', 'skip.missing_variable': 'missing variable',
    'st.draft': 'Draft', 'st.scheduled': 'Scheduled', 'st.running': 'Running', 'st.paused': 'Paused', 'st.completed': 'Completed', 'st.cancelled': 'Cancelled', 'st.failed': 'Failed',
    'st.pending': 'Pending', 'st.approved': 'Approved', 'st.rejected': 'Rejected', 'st.active': 'Active', 'st.flagged': 'Flagged', 'st.restricted': 'Restricted',
    'st.disabled': 'Disabled', 'st.unverified': 'Unverified',
    contactList: 'Contact list', segments: 'Segments', import: 'Import', phone: 'Phone', tags: 'Tags', attributes: 'Attributes', export: 'Export CSV',
    rangeOf: '{a}–{b} of {n}', rangeOfAbout: '{a}–{b} of about {n}', filter: 'Filter', newSegment: 'New segment', excludeOptedOut: 'Leave out opted-out contacts',
    confirmDelete: 'Delete {x}?', importJobs: 'Import history', file: 'File', rows: 'Rows', reportCsv: 'CSV report',
    uploadFile: 'Upload a file', uploadHelp: 'CSV or XLSX with a header row. Columns are mapped in the next step.',
    mapColumns: 'Map columns', rowsFound: '{n} rows', asAttributes: 'Other columns as contact attributes:',
    'map.phone': 'Mobile number', 'map.name': 'Name', 'map.caseRef': 'Case reference', 'map.amount': 'Amount', 'map.dueDate': 'Due date', 'map.team': 'Team', 'map.agent': 'Agent',
    phoneRequired: 'Pick the mobile number column.', dryRun: 'Dry run', startImport: 'Start import', dryRunReport: 'Dry run, row by row',
    'imp.total': 'Total', 'imp.created': 'New', 'imp.updated': 'Updated', 'imp.duplicate': 'Duplicate', 'imp.errors': 'Errors', 'imp.empty': 'Empty',
    row: 'Row', result: 'Result', reason: 'Reason', firstRows: 'Showing the first {n} rows.',
    'res.created': 'new', 'res.updated': 'updated', 'res.duplicate': 'duplicate', 'res.error': 'error', 'res.empty': 'empty', 'res.case_pending': 'case pending',
    importing: 'Importing', importAnother: 'Import another file',
    category: 'Category', newTemplate: 'New template', header: 'Header (optional)', headerKind: 'Header type', 'filter.senderId': 'Business number', 'filter.senderId.any': 'All numbers', cannedTitle: 'Canned responses', cannedShortcut: 'Shortcut', cannedTitleCol: 'Title', cannedScope: 'For', cannedPersonal: 'Only me', cannedEveryone: 'Every agent', cannedEdit: 'Edit canned response', cannedNew: 'New canned response', cannedVarsHelp: 'Type / in the message box to use them. Variables: {{contact.name}}, {{contact.first_name}}, {{contact.phone}}, {{agent.name}}, {{agent.first_name}}.', edit: 'Edit', alertsOn: 'Alerts: on', alertsOff: 'Alerts: off', alertsHelp: 'Sound and desktop notification for messages in your chats', newMessage: 'New message', newConversationForYou: 'New conversation for you', mentionedYou: 'You were mentioned in a note', sheet: 'Sheet', resubmit: 'Resubmit', resubmitHelp: 'When WhatsApp no longer has this template (deleted or the account was reset)', headerTEXT: 'Text', headerIMAGE: 'Image', headerVIDEO: 'Video', headerDOCUMENT: 'Document',
    headerSample: 'Sample file (WhatsApp reviews it)', uploading: 'Uploading…', sampleReady: '{name} uploaded to WhatsApp', body: 'Body', footer: 'Footer (optional)',
    example: 'Example', submitReview: 'Submit to Meta', submitted: 'Submitted for review.',
    number: 'Number', verifiedName: 'Verified name', quality: 'Quality', tier: 'Messaging limit', allocation: 'Allocation', agent: 'Agent',
    primary: 'Primary', secondary: 'Secondary', allocate: 'Allocate',
    permission: 'Permission', rolesHelp: 'Tick permissions per role; changes are saved at once. Admin always holds every permission.',
    newRole: 'New role', dataScope: 'Data scope', 'scope.own': 'Own', 'scope.teams': 'Teams', 'scope.all': 'All',
    redistProgress: 'Redistribute: {seen} cases seen, {re} reassigned, {pool} back in the pool, {failed} failed',
    disableAgent: 'Disable', enableAgent: 'Enable',
    noSegment: '— no segment —', uploadedList: 'Uploaded list (an import)', skipAssigned: 'Skip contacts an agent is serving (open conversation)',
    templateProblems: 'Fix before launching:', templateOk: 'The template passes the length checks ({n} characters).', missingValue: '{k} is empty',
    tools: 'Tools', testPhone: 'Test number', testSend: 'Send a test', testSent: 'Test message sent to {to}.', duplicate: 'Duplicate',
    retryFailed: 'Retry failed', requeued: '{n} recipients queued again.', exportAs: 'Export {f}', showRecipients: 'Show recipients',
    recipients: 'Recipients', more: 'Load more',
    'cmp.with': 'Compare with a template…', 'cmp.title': 'Templates compared · last {days} days',
    'cmp.winner': '{name} wins on reply rate (z {z}, 95%).', 'cmp.notYet': '{name} leads for now; not enough data for a winner (at least {min} sent each and a 95% difference).',
    'cmp.none': 'No difference in reply rate yet.',
    stats: 'Stats', statsTitle: '{name} · last {days} days', 'rate.delivered': 'Delivery rate', 'rate.read': 'Read rate',
    'rate.replied': 'Reply rate', 'rate.failed': 'Failure rate', perDay: 'Sent per day', sync: 'Sync', syncHelp: 'Fetch the latest quality, messaging limit and status from Meta',
    'teamRole.lead': 'Lead', 'teamRole.member': 'Member', makeLead: 'Make lead', makeMember: 'Make member', remove: 'Remove', addMember: 'Add member',
    product: 'Product', dueDate: 'Due date', lastOutcome: 'Last outcome', followUp: 'Follow-up', recordOutcome: 'Record an outcome',
    outcome: 'Outcome', promiseDate: 'Promise-to-pay date', note: 'Note', saveOutcome: 'Save outcome', exitReason: 'Exit reason',
    closeCase: 'Close case', confirmClose: 'Close case {x}?',
    'outcome.promise_to_pay': 'Promise to pay', 'outcome.contacted': 'Contacted', 'outcome.no_answer': 'No answer', 'outcome.refused': 'Refused',
    'outcome.wrong_number': 'Wrong number', 'outcome.paid_partial': 'Paid in part', 'outcome.callback': 'Call back',
    'exit.resolved': 'Resolved', 'exit.paid': 'Paid', 'exit.invalid': 'Invalid',
    allTeams: 'All teams', redistribute: 'Redistribute team cases', pickTeam: 'Pick a team first.', confirmRedistribute: 'Recall every open case of this team and assign them again?',
    'case.pooled': 'In pool', 'case.assigned': 'Assigned', 'case.in_progress': 'In progress', 'case.exited': 'Exited',
    reference: 'Reference', customer: 'Customer', searchCases: 'Search reference, name or number', claim: 'Take', claimed: 'Case taken',
    outstanding: 'Outstanding', overdue: 'Overdue', assignTo: 'Assign to…', recall: 'Recall',
    actor: 'Actor', action: 'Action', entity: 'Entity', details: 'Details', system: 'System',
    'filter.status': 'Status', 'filter.window': 'Window', 'filter.sort': 'Order', 'filter.label': 'Label…',
    'filter.status.any': 'Any status', 'filter.status.open': 'Open', 'filter.status.pending': 'Pending', 'filter.status.snoozed': 'Snoozed', 'filter.status.resolved': 'Resolved',
    'filter.window.any': 'Any window', 'filter.window.open': 'Window open', 'filter.window.closed': 'Window closed',
    'filter.sort.any': 'Latest activity', 'filter.sort.waiting': 'Waiting longest',
    contact: 'Contact', labels: 'Labels', save: 'Save', snooze: 'Snooze', snoozed: 'Conversation snoozed.', in1h: '1 hour', in4h: '4 hours',
    tomorrow8: 'Tomorrow 08:00', snoozedUntil: 'Snoozed until', transfer: 'Transfer', transferTo: 'Transfer to…', notes: 'Private notes',
    notesHelp: 'Seen by the team only, never sent to the customer.', notePlaceholder: 'Write a note…', addNote: 'Add note',
  },
};
Object.assign(strings.id, more.id);
Object.assign(strings.en, more.en);
// Files in the inbox (inbox_media.js).
const mediaStrings = {
  id: {
    'ix.open': 'Tombol atau daftar pilihan', 'ix.kind': 'Jenis pilihan', 'ix.buttons': 'Tombol balasan (maks. 3)', 'ix.list': 'Daftar (maks. 10)',
    'ix.buttonLabel': 'Label tombol daftar', 'ix.choices': 'Pilihan', 'ix.choicesHint': 'Satu pilihan per baris; daftar: Judul | keterangan',
    'ix.bodyNote': 'Teks pesan diambil dari kotak ketik di bawah.', 'ix.send': 'Kirim pilihan',
    close: 'Tutup', unreadBadge: 'belum dibaca', 'media.attach': 'Lampirkan file', 'media.caption': 'Tambahkan keterangan… (Enter untuk kirim)',
    'media.remove': 'Hapus lampiran', 'media.view': 'Lihat gambar', 'media.original': 'Buka ukuran asli',
    'media.loading': 'Mengunduh {kind}…', 'media.failed': 'File tidak dapat diunduh dari WhatsApp.',
    'media.expired': 'File ini tidak disimpan lagi (masa simpan habis).', 'media.location': 'Lokasi', 'media.openMap': 'Buka peta',
    'media.badType': 'WhatsApp tidak menerima file berjenis {type}.', 'media.tooLarge': '{kind} maksimal {max}.', 'media.empty': 'File kosong.',
    'media.dropHere': 'Lepaskan file untuk dilampirkan',
    retry: 'Kirim ulang', viaNumber: 'lewat {n}', fromAd: 'Dari iklan: {ad}', freeUntil: 'pesan gratis s.d. {t}',
    automated: 'Otomatis', automatedHint: 'Dikirim otomatis oleh sistem (balasan otomatis atau perjalanan), bukan ditulis agen',
    fromBusinessApp: 'dari aplikasi WA Business', held: 'ditahan WhatsApp', heldHint: 'WhatsApp menahan pesan template ini untuk penilaian kualitas (pacing): terkirim bila umpan balik baik, dibatalkan bila buruk', fromBusinessAppHint: 'Dikirim dari aplikasi WhatsApp Business di nomor ini',
    'err.131047': 'Jendela 24 jam sudah ditutup: kirim template', 'err.131026': 'Nomor tidak dapat menerima pesan (tidak memakai WhatsApp atau aplikasinya terlalu lama)',
    'err.131050': 'Pelanggan berhenti menerima pesan pemasaran', 'err.130429': 'Batas kecepatan WhatsApp tercapai, coba lagi sebentar',
    'err.131056': 'Terlalu banyak pesan ke pelanggan ini, tunggu sebentar', 'err.131053': 'File ditolak WhatsApp', 'err.131051': 'Jenis pesan tidak didukung',
    'err.132000': 'Jumlah variabel template tidak cocok', 'err.132001': 'Template tidak ada', 'err.132015': 'Template sedang dijeda', 'err.132016': 'Template dinonaktifkan',
    'err.368': 'Diblokir karena kebijakan WhatsApp', 'err.131031': 'Akun WhatsApp Business dikunci', 'err.131049': 'Batas pesan pemasaran pelanggan ini tercapai (tunggu 24 jam)',
    'media.kind.image': 'Gambar', 'media.kind.document': 'Dokumen', 'media.kind.audio': 'Audio', 'media.kind.video': 'Video', 'media.kind.sticker': 'Stiker',
  },
  en: {
    'ix.open': 'Buttons or a list of choices', 'ix.kind': 'Kind of choices', 'ix.buttons': 'Reply buttons (max 3)', 'ix.list': 'List (max 10)',
    'ix.buttonLabel': "The list's button label", 'ix.choices': 'Choices', 'ix.choicesHint': 'One choice a line; list: Title | description',
    'ix.bodyNote': 'The message text is the one in the box below.', 'ix.send': 'Send choices',
    close: 'Close', unreadBadge: 'unread', 'media.attach': 'Attach a file', 'media.caption': 'Add a caption… (Enter sends)',
    'media.remove': 'Remove the attachment', 'media.view': 'View image', 'media.original': 'Open full size',
    'media.loading': 'Downloading {kind}…', 'media.failed': 'The file could not be downloaded from WhatsApp.',
    'media.expired': 'This file is no longer kept (retention).', 'media.location': 'Location', 'media.openMap': 'Open map',
    'media.badType': 'WhatsApp does not accept files of type {type}.', 'media.tooLarge': '{kind} files may be at most {max}.', 'media.empty': 'The file is empty.',
    'media.dropHere': 'Drop the file to attach it',
    retry: 'Retry', viaNumber: 'via {n}', fromAd: 'From ad: {ad}', freeUntil: 'messages free until {t}',
    automated: 'Automated', automatedHint: 'Sent by the system (an auto-reply or a journey), not written by an agent',
    fromBusinessApp: 'from WA Business app', held: 'held by WhatsApp', heldHint: 'WhatsApp holds this template message for a quality assessment (pacing): sent if feedback is good, dropped if bad', fromBusinessAppHint: 'Sent from the WhatsApp Business app on this number',
    'err.131047': 'The 24-hour window is closed: send a template', 'err.131026': 'The number cannot receive messages (not on WhatsApp or an old app)',
    'err.131050': 'The customer stopped marketing messages', 'err.130429': 'WhatsApp rate limit reached, try again shortly',
    'err.131056': 'Too many messages to this customer, wait a moment', 'err.131053': 'WhatsApp refused the file', 'err.131051': 'Unsupported message type',
    'err.132000': 'Template variable count does not match', 'err.132001': 'The template does not exist', 'err.132015': 'The template is paused', 'err.132016': 'The template is disabled',
    'err.368': 'Blocked by WhatsApp policy', 'err.131031': 'The WhatsApp Business account is locked', 'err.131049': 'Marketing limit for this customer reached (wait 24 h)',
    'media.kind.image': 'Image', 'media.kind.document': 'Document', 'media.kind.audio': 'Audio', 'media.kind.video': 'Video', 'media.kind.sticker': 'Sticker',
  },
};
Object.assign(strings.id, mediaStrings.id);
Object.assign(strings.en, mediaStrings.en);
// The agent's desk: context, queue, transfers, keyboard (#16).
const deskStrings = {
  id: {
    prevConversations: 'Percakapan lain', noPrevConversations: 'Belum ada percakapan lain.', viaShort: 'lewat {n}',
    queue: 'Antrean tim', backToQueue: 'Kembalikan ke antrean tim',
    inMessages: 'Isi pesan', searchText: 'Cari kata di isi pesan', searchTextHelp: 'Cari di teks pesan, bukan nama atau nomor',
    noHits: 'Tidak ada pesan yang cocok.', moreHits: 'Hasil lainnya', fromCustomer: 'Dari pelanggan', fromUs: 'Dari kita',
    'keys.title': 'Pintasan keyboard', 'keys.next': 'Percakapan berikutnya', 'keys.prev': 'Percakapan sebelumnya',
    'keys.reply': 'Balas (ke kotak pesan)', 'keys.send': 'Kirim pesan', 'keys.newline': 'Baris baru', 'keys.leave': 'Keluar dari kotak pesan / tutup',
    'keys.resolve': 'Selesaikan dan buka berikutnya', 'keys.assign': 'Ambil untuk saya', 'keys.snooze': 'Tunda',
    'keys.canned': 'Balasan cepat', 'keys.views': 'Ganti tampilan (Milik saya, Antrean, …)', 'keys.help': 'Tampilkan bantuan ini',
    'keys.hint': 'Huruf berlaku di luar kotak teks; Esc keluar dari kotak pesan.', 'keys.allDone': 'Semua percakapan sudah selesai.',
    'line.take': '{by} mengambil percakapan', 'line.transfer': '{by} mengalihkan percakapan ke {to}',
    'line.assign': '{by} menugaskan percakapan ke {to}', 'line.route': 'Ditugaskan ke {to} ({strategy})',
    'line.queue': 'antrean tim', 'line.queueOf': 'antrean {t}',
    round_robin: 'bergiliran', least_loaded: 'beban terkecil', owner: 'pemilik kontak', sender: 'agen nomor', manual: 'manual',
  },
  en: {
    prevConversations: 'Other conversations', noPrevConversations: 'No other conversations yet.', viaShort: 'via {n}',
    queue: 'Team queue', backToQueue: 'Back to the team queue',
    inMessages: 'In messages', searchText: 'Search words in messages', searchTextHelp: 'Search the text of messages, not names or numbers',
    noHits: 'No message matches.', moreHits: 'More results', fromCustomer: 'From the customer', fromUs: 'From us',
    'keys.title': 'Keyboard shortcuts', 'keys.next': 'Next conversation', 'keys.prev': 'Previous conversation',
    'keys.reply': 'Reply (to the message box)', 'keys.send': 'Send the message', 'keys.newline': 'New line', 'keys.leave': 'Leave the message box / close',
    'keys.resolve': 'Resolve and open the next', 'keys.assign': 'Take it myself', 'keys.snooze': 'Snooze',
    'keys.canned': 'Canned responses', 'keys.views': 'Switch view (Mine, Queue, …)', 'keys.help': 'Show this help',
    'keys.hint': 'Letters work outside text boxes; Esc leaves the message box.', 'keys.allDone': 'Every conversation is done.',
    'line.take': '{by} took the conversation', 'line.transfer': '{by} transferred the conversation to {to}',
    'line.assign': '{by} assigned the conversation to {to}', 'line.route': 'Assigned to {to} ({strategy})',
    'line.queue': 'the team queue', 'line.queueOf': 'the queue of {t}',
    round_robin: 'round robin', least_loaded: 'least loaded', owner: 'contact owner', sender: "the number's agent", manual: 'manual',
  },
};
Object.assign(strings.id, deskStrings.id);
Object.assign(strings.en, deskStrings.en);

// Strings of the reports page.
const reportStrings = {
  id: {
    reports: 'Laporan', 'rep.from': 'Dari', 'rep.to': 'Sampai', 'rep.apply': 'Terapkan', 'rep.lastDays': '{n} hari',
    'rep.allTeams': 'Semua tim', 'rep.allAgents': 'Semua agen', 'rep.allNumbers': 'Semua nomor', 'rep.number': 'Nomor', 'rep.numbers': 'Nomor pengirim',
    'rep.label': 'Label', 'rep.labelAny': 'Semua label', 'rep.labels': 'Tren label',
    'rep.export.csv': 'Ekspor CSV', 'rep.export.xlsx': 'Ekspor XLSX',
    'rep.k.conversationsNew': 'Percakapan baru', 'rep.k.conversationsResolved': 'Diselesaikan', 'rep.k.conversationsReopened': 'Dibuka lagi',
    'rep.k.frtP50': 'Respons pertama (median)', 'rep.k.resP50': 'Waktu penyelesaian (median)', 'rep.k.messages': 'Pesan masuk / keluar',
    'rep.k.delivery': 'Diterima / dibaca', 'rep.k.failed': 'Gagal terkirim', 'rep.k.cost': 'Biaya',
    'rep.templatesSent': '{n} template terkirim', 'rep.optedOutN': '{n} berhenti langganan', 'rep.billableFree': '{b} berbayar · {f} gratis',
    'rep.labelNote': 'Filter label hanya berlaku untuk percakapan dan pesan; pengiriman, biaya, dan CSAT tidak dicatat per label.',
    'rep.chart.daily': 'Percakapan per hari', 'rep.chart.hod': 'Per jam (WIB): percakapan baru dan respons pertama (menit, median)',
    'rep.chart.cost': 'Biaya per hari (IDR)', 'rep.chart.labels': 'Percakapan per label per hari', 'rep.frtMinutes': 'Respons pertama (menit)',
    'rep.agents': 'Kinerja agen', 'rep.handled': 'Diselesaikan', 'rep.msgOut': 'Pesan keluar', 'rep.msgInOut': 'Pesan masuk / keluar',
    'rep.frtP50': 'Respons pertama p50', 'rep.frtP90': 'Respons pertama p90', 'rep.resP50': 'Penyelesaian p50', 'rep.online': 'Waktu online',
    'rep.cases': 'Hasil kasus', 'rep.bucket': 'Bucket DPD', 'rep.assigned': 'Ditugaskan', 'rep.contacted': 'Terhubung',
    'rep.ptpMade': 'Janji bayar', 'rep.ptpKept': 'Janji ditepati', 'rep.ptpBroken': 'Janji diingkari', 'rep.keptRate': 'Tingkat ditepati',
    'rep.paid': 'Lunas', 'rep.recovered': 'Terkumpul', 'rep.replied': 'Dibalas', 'rep.optedOut': 'Berhenti langganan',
    'rep.failures': 'Gagal per alasan', 'rep.code': 'Kode', 'rep.reason': 'Alasan', 'rep.count': 'Jumlah',
    'rep.costTitle': 'Biaya per kategori', 'rep.category': 'Kategori', 'rep.type': 'Jenis', 'rep.billable': 'Berbayar', 'rep.free': 'Gratis',
    'rep.sec': 'dtk', 'rep.min': 'mnt', 'rep.hour': 'j',
    'rep.k.csat': 'Kepuasan (CSAT)', 'rep.csatSub': '{n} tanggapan · {p} puas', 'rep.chart.csat': 'Sebaran nilai CSAT (1 = sangat tidak puas, 5 = sangat puas)',
    'rep.journeys': 'Perjalanan', 'rep.journey': 'Perjalanan', 'rep.step': 'Langkah', 'rep.entered': 'Masuk', 'rep.branched': 'Bercabang', 'rep.exited': 'Keluar',
    'rep.sla': 'SLA', 'rep.slaNear': 'Hampir lewat', 'rep.slaBreached': 'Terlewati', 'rep.slaFirst': 'Terlewati: respons pertama', 'rep.slaNext': 'Terlewati: respons berikutnya',
    'rep.csat': 'Kepuasan pelanggan (CSAT)', 'rep.responses': 'Tanggapan', 'rep.average': 'Rata-rata', 'rep.satisfied': 'Puas (4-5)',
    'rep.total': 'Total', 'rep.ratingN': 'Nilai {n}', 'rep.csatKind.agent': 'Agen', 'rep.csatKind.team': 'Tim', 'rep.kind': 'Jenis',
    'csat.title': 'Survei kepuasan (CSAT)', 'csat.enabled': 'Kirim survei setelah percakapan diselesaikan', 'csat.question': 'Pertanyaan',
    'csat.timeout': 'Jawaban dihitung selama (menit, maks. 1440)', 'csat.perTeam': 'Per tim', 'csat.inherit': 'Ikuti pengaturan bisnis',
    'csat.on': 'Aktif', 'csat.off': 'Nonaktif',
    'csat.hint': 'Dikirim sebagai pesan daftar (nilai 1-5) saat percakapan diselesaikan, hanya selama jendela layanan 24 jam masih terbuka. Jawaban pelanggan tidak membuka kembali percakapan.',
  },
  en: {
    reports: 'Reports', 'rep.from': 'From', 'rep.to': 'To', 'rep.apply': 'Apply', 'rep.lastDays': '{n} days',
    'rep.allTeams': 'All teams', 'rep.allAgents': 'All agents', 'rep.allNumbers': 'All numbers', 'rep.number': 'Number', 'rep.numbers': 'Business numbers',
    'rep.label': 'Label', 'rep.labelAny': 'Any label', 'rep.labels': 'Label trends',
    'rep.export.csv': 'Export CSV', 'rep.export.xlsx': 'Export XLSX',
    'rep.k.conversationsNew': 'New conversations', 'rep.k.conversationsResolved': 'Resolved', 'rep.k.conversationsReopened': 'Reopened',
    'rep.k.frtP50': 'First response (median)', 'rep.k.resP50': 'Resolution time (median)', 'rep.k.messages': 'Messages in / out',
    'rep.k.delivery': 'Delivered / read', 'rep.k.failed': 'Failed', 'rep.k.cost': 'Cost',
    'rep.templatesSent': '{n} templates sent', 'rep.optedOutN': '{n} opted out', 'rep.billableFree': '{b} billable · {f} free',
    'rep.labelNote': 'The label filter applies to conversations and messages; delivery, cost and CSAT are not kept per label.',
    'rep.chart.daily': 'Conversations per day', 'rep.chart.hod': 'By hour (WIB): new conversations and first response (minutes, median)',
    'rep.chart.cost': 'Cost per day (IDR)', 'rep.chart.labels': 'Conversations per label per day', 'rep.frtMinutes': 'First response (minutes)',
    'rep.agents': 'Agent performance', 'rep.handled': 'Resolved', 'rep.msgOut': 'Messages out', 'rep.msgInOut': 'Messages in / out',
    'rep.frtP50': 'First response p50', 'rep.frtP90': 'First response p90', 'rep.resP50': 'Resolution p50', 'rep.online': 'Online time',
    'rep.cases': 'Case outcomes', 'rep.bucket': 'DPD bucket', 'rep.assigned': 'Assigned', 'rep.contacted': 'Contacted',
    'rep.ptpMade': 'Promises to pay', 'rep.ptpKept': 'Promises kept', 'rep.ptpBroken': 'Promises broken', 'rep.keptRate': 'Kept rate',
    'rep.paid': 'Paid', 'rep.recovered': 'Recovered', 'rep.replied': 'Replied', 'rep.optedOut': 'Opted out',
    'rep.failures': 'Failures by reason', 'rep.code': 'Code', 'rep.reason': 'Reason', 'rep.count': 'Count',
    'rep.costTitle': 'Cost by category', 'rep.category': 'Category', 'rep.type': 'Type', 'rep.billable': 'Billable', 'rep.free': 'Free',
    'rep.sec': 's', 'rep.min': 'min', 'rep.hour': 'h',
    'rep.k.csat': 'Satisfaction (CSAT)', 'rep.csatSub': '{n} responses · {p} satisfied', 'rep.chart.csat': 'CSAT ratings (1 = very dissatisfied, 5 = very satisfied)',
    'rep.journeys': 'Journeys', 'rep.journey': 'Journey', 'rep.step': 'Step', 'rep.entered': 'Entered', 'rep.branched': 'Branched', 'rep.exited': 'Exited',
    'rep.sla': 'SLA', 'rep.slaNear': 'Near', 'rep.slaBreached': 'Missed', 'rep.slaFirst': 'Missed: first response', 'rep.slaNext': 'Missed: next response',
    'rep.csat': 'Customer satisfaction (CSAT)', 'rep.responses': 'Responses', 'rep.average': 'Average', 'rep.satisfied': 'Satisfied (4-5)',
    'rep.total': 'Total', 'rep.ratingN': 'Rating {n}', 'rep.csatKind.agent': 'Agent', 'rep.csatKind.team': 'Team', 'rep.kind': 'Kind',
    'csat.title': 'Satisfaction survey (CSAT)', 'csat.enabled': 'Send a survey when a conversation is resolved', 'csat.question': 'Question',
    'csat.timeout': 'Answers count for (minutes, at most 1440)', 'csat.perTeam': 'Per team', 'csat.inherit': 'Business setting',
    'csat.on': 'On', 'csat.off': 'Off',
    'csat.hint': 'Sent as a list message (ratings 1-5) when a conversation is resolved, only while the 24-hour service window is open. The customer\'s answer does not reopen the conversation.',
  },
};
Object.assign(strings.id, reportStrings.id);
Object.assign(strings.en, reportStrings.en);

// Integrations (integrations.js): API keys, webhooks, deliveries.
const integrationStrings = {
  id: {
    integrations: 'Integrasi', apiKeys: 'Kunci API', webhooks: 'Webhook keluar', deliveries: 'Log pengiriman webhook',
    apiKeysHelp: 'Sistem bisnis Anda memanggil REST API dengan kunci ini (Authorization: Bearer …), dengan izin dan cakupan data perannya.',
    webhooksHelp: 'Peristiwa dikirim ke URL Anda, ditandatangani (X-SCRM-Signature), berurutan per objek, dan diulang sampai diterima.',
    secretOnce: 'Salin sekarang: rahasia ini hanya ditampilkan sekali dan tidak disimpan.', copy: 'Salin',
    role: 'Peran', keyHint: 'Kunci', status: 'Status', expires: 'Kedaluwarsa', lastUsed: 'Terakhir dipakai', revoke: 'Cabut',
    confirmRevoke: 'Cabut kunci {x}? Sistem yang memakainya langsung ditolak.', 'key.active': 'aktif', 'key.revoked': 'dicabut', 'key.expired': 'kedaluwarsa',
    newApiKey: 'Kunci API baru', expiresOptional: 'Kedaluwarsa (opsional)', apiKeyCreated: 'Kunci API {x} dibuat',
    newWebhook: 'Langganan webhook baru', webhookCreated: 'Webhook dibuat: rahasia penandatangan', eventTypes: 'Jenis peristiwa',
    inactive: 'nonaktif', enable: 'Aktifkan', disable: 'Nonaktifkan',
    event: 'Peristiwa', object: 'Objek', attempts: 'Percobaan', lastError: 'Galat terakhir', replay: 'Kirim ulang', replayed: 'Dijadwalkan untuk dikirim ulang.',
    'delivery.pending': 'menunggu', 'delivery.delivered': 'terkirim', 'delivery.failed': 'gagal',
    'hook.message.received': 'pesan masuk', 'hook.message.status': 'status pesan', 'hook.conversation.assigned': 'percakapan ditugaskan',
    'hook.conversation.resolved': 'percakapan selesai', 'hook.case.assigned': 'kasus ditugaskan', 'hook.case.outcome': 'hasil kasus',
    'hook.case.promise_to_pay': 'janji bayar', 'hook.case.closed': 'kasus ditutup', 'hook.campaign.finished': 'kampanye selesai',
    'hook.intake.finished': 'impor selesai', 'hook.contact.opt_out': 'pelanggan berhenti berlangganan',
  },
  en: {
    integrations: 'Integrations', apiKeys: 'API keys', webhooks: 'Outbound webhooks', deliveries: 'Webhook delivery log',
    apiKeysHelp: 'Your business systems call the REST API with these keys (Authorization: Bearer …), with the permissions and data scope of their role.',
    webhooksHelp: 'Events are sent to your URL, signed (X-SCRM-Signature), in order per object, and retried until accepted.',
    secretOnce: 'Copy it now: this secret is shown only once and is not stored.', copy: 'Copy',
    role: 'Role', keyHint: 'Key', status: 'Status', expires: 'Expires', lastUsed: 'Last used', revoke: 'Revoke',
    confirmRevoke: 'Revoke the key {x}? Systems using it are refused at once.', 'key.active': 'active', 'key.revoked': 'revoked', 'key.expired': 'expired',
    newApiKey: 'New API key', expiresOptional: 'Expires (optional)', apiKeyCreated: 'API key {x} created',
    newWebhook: 'New webhook subscription', webhookCreated: 'Webhook created: signing secret', eventTypes: 'Event types',
    inactive: 'inactive', enable: 'Enable', disable: 'Disable',
    event: 'Event', object: 'Object', attempts: 'Attempts', lastError: 'Last error', replay: 'Replay', replayed: 'Queued for another delivery.',
    'delivery.pending': 'pending', 'delivery.delivered': 'delivered', 'delivery.failed': 'failed',
    'hook.message.received': 'message received', 'hook.message.status': 'message status', 'hook.conversation.assigned': 'conversation assigned',
    'hook.conversation.resolved': 'conversation resolved', 'hook.case.assigned': 'case assigned', 'hook.case.outcome': 'case outcome',
    'hook.case.promise_to_pay': 'promise to pay', 'hook.case.closed': 'case closed', 'hook.campaign.finished': 'campaign finished',
    'hook.intake.finished': 'import finished', 'hook.contact.opt_out': 'customer opted out',
  },
};
// The live floor (floor.js).
const floorStrings = {
  id: {
    floor: 'Lantai live', 'floor.title': 'Lantai live', 'floor.waiting': 'Menunggu', 'floor.unassigned': 'Di antrean',
    'floor.longest': 'Tunggu terlama', 'floor.waitingList': 'Pelanggan yang menunggu', 'floor.customer': 'Pelanggan',
    'floor.for': 'Menunggu', 'floor.assignee': 'Ditangani', 'floor.assignTo': 'Tugaskan ke', 'floor.assign': 'Tugaskan',
    'floor.noTeams': 'Anda tidak menyupervisi tim mana pun.', 'floor.more': 'Lebih dari {n} pelanggan menunggu; yang terlama ditampilkan.',
    'floor.assigned': 'Ditugaskan ke {name}.', 'floor.load': 'Beban', 'floor.full': 'penuh',
    'floor.sla': 'SLA', 'floor.slaBreached': 'Melewati SLA', 'floor.slaNear': 'Hampir lewat SLA',
    'floor.slaLeft': 'sisa {t}', 'floor.slaOver': 'lewat {t}', 'floor.slaFirst': 'Respons pertama (menit)',
    'floor.slaNext': 'Respons berikutnya (menit)', 'floor.slaBusiness': 'jam kerja', 'floor.slaClock': '24 jam',
    'floor.slaAgentZone': 'di zona waktu agen', 'floor.slaBusinessAgent': 'jam kerja di zona agen',
    'floor.slaSummary': 'SLA: pertama {first} mnt, berikutnya {next} mnt ({hours})', 'floor.slaNone': 'SLA: belum diatur',
    'floor.slaSaved': 'SLA tim {team} disimpan.', 'floor.moveTo': 'Pindah ke tim', 'floor.move': 'Pindahkan',
    'floor.moved': 'Dipindahkan ke tim {team}.', 'sla.nearAlert': 'SLA hampir terlewati', 'sla.breachAlert': 'SLA terlewati',
  },
  en: {
    floor: 'Live floor', 'floor.title': 'Live floor', 'floor.waiting': 'Waiting', 'floor.unassigned': 'In the queue',
    'floor.longest': 'Longest wait', 'floor.waitingList': 'Customers waiting', 'floor.customer': 'Customer',
    'floor.for': 'Waiting', 'floor.assignee': 'Handled by', 'floor.assignTo': 'Assign to', 'floor.assign': 'Assign',
    'floor.noTeams': 'You supervise no team.', 'floor.more': 'More than {n} customers wait; the longest waiting are shown.',
    'floor.assigned': 'Assigned to {name}.', 'floor.load': 'Load', 'floor.full': 'full',
    'floor.sla': 'SLA', 'floor.slaBreached': 'Past SLA', 'floor.slaNear': 'Near SLA',
    'floor.slaLeft': '{t} left', 'floor.slaOver': '{t} over', 'floor.slaFirst': 'First response (minutes)',
    'floor.slaNext': 'Next response (minutes)', 'floor.slaBusiness': 'business hours', 'floor.slaClock': '24 hours',
    'floor.slaAgentZone': "in the agent's time zone", 'floor.slaBusinessAgent': "business hours in the agent's zone",
    'floor.slaSummary': 'SLA: first {first} min, next {next} min ({hours})', 'floor.slaNone': 'SLA: not set',
    'floor.slaSaved': 'SLA of team {team} saved.', 'floor.moveTo': 'Move to team', 'floor.move': 'Move',
    'floor.moved': 'Moved to team {team}.', 'sla.nearAlert': 'SLA nearly missed', 'sla.breachAlert': 'SLA missed',
  },
};
Object.assign(strings.id, floorStrings.id);
Object.assign(strings.en, floorStrings.en);
Object.assign(strings.id, integrationStrings.id);
Object.assign(strings.en, integrationStrings.en);
Object.assign(strings.id, journeyStrings.id);
Object.assign(strings.en, journeyStrings.en);
Object.assign(strings.id, autoReplyStrings.id);
Object.assign(strings.en, autoReplyStrings.en);
Object.assign(strings.id, reasonStrings.id);
Object.assign(strings.en, reasonStrings.en);

export class I18n {
  constructor(storage) {
    this.storage = storage;
    this.lang = storage.getItem('scrm.lang') === 'en' ? 'en' : 'id';
    // The page's language is also the one the api answers errors in (api.js).
    document.documentElement.lang = this.lang;
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
  // dateTime always shows the date (lists of campaigns, imports, audit).
  dateTime(iso) {
    return new Intl.DateTimeFormat(this.locale(), { day: '2-digit', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Jakarta' }).format(new Date(iso));
  }
  // Times are always shown in Jakarta time, whatever the machine's zone.
  time(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    const sameDay = new Date().toDateString() === d.toDateString();
    const opts = sameDay ? { hour: '2-digit', minute: '2-digit' } : { day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit' };
    return new Intl.DateTimeFormat(this.locale(), { ...opts, timeZone: 'Asia/Jakarta' }).format(d);
  }
}
