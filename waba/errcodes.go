package waba

import "time"

// ErrorKind is what to do about a Graph error code.
type ErrorKind int

const (
	// KindPermanent: this message will not go; show the reason.
	KindPermanent ErrorKind = iota
	// KindRetry: transient, the same request may succeed after a short backoff.
	KindRetry
	// KindWait: the recipient or the number is limited for a while (hours);
	// retrying at once only fails again.
	KindWait
	// KindAccount: the business account or number cannot send at all until
	// someone acts (policy block, lock, payment, registration, token):
	// pause the number rather than failing recipients one by one.
	KindAccount
	// KindTemplate: the template itself is unusable (paused, disabled, missing).
	KindTemplate
)

// ErrorInfo explains one error code to people, in Indonesian and English.
type ErrorInfo struct {
	Code int
	Kind ErrorKind
	// Wait is the least time before trying again (KindRetry, KindWait).
	Wait time.Duration
	ID   string // Bahasa Indonesia
	EN   string
}

// errorTable is Meta's error codes that the Cloud API returns, from
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
// — the one place the product decides retry / wait / permanent / pause.
var errorTable = map[int]ErrorInfo{
	1:      {Kind: KindRetry, Wait: 2 * time.Second, ID: "Kesalahan sementara di WhatsApp.", EN: "Temporary WhatsApp error."},
	2:      {Kind: KindRetry, Wait: 2 * time.Second, ID: "Layanan WhatsApp sedang tidak tersedia.", EN: "WhatsApp service temporarily unavailable."},
	3:      {Kind: KindAccount, ID: "Aplikasi tidak punya izin untuk fitur ini.", EN: "The app lacks the capability or permission for this call."},
	4:      {Kind: KindRetry, Wait: time.Minute, ID: "Batas panggilan API aplikasi tercapai.", EN: "The app reached its API call rate limit."},
	10:     {Kind: KindAccount, ID: "Izin ditolak atau dicabut untuk akun ini.", EN: "Permission denied or removed for this account."},
	80007:  {Kind: KindRetry, Wait: time.Minute, ID: "Batas panggilan akun WhatsApp Business tercapai.", EN: "The WhatsApp Business Account reached its rate limit."},
	100:    {Kind: KindPermanent, ID: "Permintaan tidak valid (parameter salah atau tidak dikenal).", EN: "Invalid request (a wrong or unknown parameter)."},
	190:    {Kind: KindAccount, ID: "Token akses kedaluwarsa atau tidak valid.", EN: "The access token expired or is invalid."},
	200:    {Kind: KindAccount, ID: "Izin aplikasi tidak cukup.", EN: "The app lacks the required permission."},
	368:    {Kind: KindAccount, ID: "Akun diblokir sementara karena pelanggaran kebijakan.", EN: "Temporarily blocked for policy violations."},
	130429: {Kind: KindRetry, Wait: time.Second, ID: "Batas kecepatan kirim nomor tercapai; dicoba lagi.", EN: "The number's throughput limit was reached; retrying."},
	130472: {Kind: KindPermanent, ID: "Nomor pelanggan sedang dalam eksperimen WhatsApp; pesan pemasaran tidak dikirim.", EN: "The user's number is part of a WhatsApp experiment; marketing not delivered."},
	130497: {Kind: KindPermanent, ID: "Pengiriman ke negara ini tidak diizinkan untuk akun ini.", EN: "The business cannot send to users in this country."},
	131000: {Kind: KindRetry, Wait: 2 * time.Second, ID: "Kesalahan tak dikenal di WhatsApp.", EN: "Something went wrong at WhatsApp."},
	131005: {Kind: KindAccount, ID: "Akses ditolak.", EN: "Access denied."},
	131008: {Kind: KindPermanent, ID: "Parameter wajib tidak ada.", EN: "A required parameter is missing."},
	131009: {Kind: KindPermanent, ID: "Nilai parameter tidak valid.", EN: "A parameter value is not valid."},
	131016: {Kind: KindRetry, Wait: 5 * time.Second, ID: "Layanan WhatsApp kelebihan beban.", EN: "WhatsApp service overloaded."},
	131021: {Kind: KindPermanent, ID: "Pengirim dan penerima nomor yang sama.", EN: "Sender and recipient are the same number."},
	131026: {Kind: KindPermanent, ID: "Pesan tidak dapat dikirim: nomor tidak terdaftar di WhatsApp, aplikasinya terlalu lama, atau belum menyetujui ketentuan.", EN: "Message undeliverable: not on WhatsApp, an old app, or terms not accepted."},
	131031: {Kind: KindAccount, ID: "Akun WhatsApp Business dikunci.", EN: "The business account is locked."},
	131037: {Kind: KindAccount, ID: "Nama tampilan nomor belum disetujui.", EN: "The number's display name is not approved."},
	131042: {Kind: KindAccount, ID: "Masalah metode pembayaran akun.", EN: "A problem with the account's payment method."},
	131045: {Kind: KindAccount, ID: "Nomor belum terdaftar (sertifikat tidak valid).", EN: "The number is not registered (invalid certificate)."},
	131047: {Kind: KindPermanent, ID: "Lebih dari 24 jam sejak pelanggan terakhir membalas: gunakan template.", EN: "More than 24 hours since the customer last replied: use a template."},
	131048: {Kind: KindWait, Wait: time.Hour, ID: "Batas spam/pesan harian tercapai; tunggu dan jaga kualitas.", EN: "Spam rate / messaging limit reached; wait and keep quality high."},
	131049: {Kind: KindWait, Wait: 24 * time.Hour, ID: "WhatsApp membatasi pesan pemasaran ke pelanggan ini; coba lagi setelah 24 jam.", EN: "WhatsApp limited marketing messages to this user; try again after 24 hours."},
	131050: {Kind: KindPermanent, ID: "Pelanggan berhenti menerima pesan pemasaran dari bisnis ini.", EN: "The user stopped marketing messages from this business."},
	131051: {Kind: KindPermanent, ID: "Jenis pesan tidak didukung.", EN: "Unsupported message type."},
	131052: {Kind: KindRetry, Wait: 5 * time.Second, ID: "Gagal mengunduh media pelanggan.", EN: "Could not download the user's media."},
	131053: {Kind: KindPermanent, ID: "Gagal mengunggah media (jenis atau ukuran tidak didukung).", EN: "Media upload failed (type or size not supported)."},
	131056: {Kind: KindRetry, Wait: 6 * time.Second, ID: "Terlalu banyak pesan ke pelanggan yang sama; dicoba lagi.", EN: "Too many messages to the same user too fast; retrying."},
	131057: {Kind: KindRetry, Wait: time.Minute, ID: "Akun sedang dalam pemeliharaan (peningkatan kapasitas).", EN: "The account is in maintenance (throughput upgrade)."},
	132000: {Kind: KindPermanent, ID: "Jumlah parameter tidak sesuai template.", EN: "The parameter count does not match the template."},
	132001: {Kind: KindTemplate, ID: "Template tidak ada dalam bahasa ini atau belum disetujui.", EN: "The template does not exist in this language or is not approved."},
	132005: {Kind: KindPermanent, ID: "Teks template terisi terlalu panjang.", EN: "The filled template text is too long."},
	132007: {Kind: KindPermanent, ID: "Isi parameter melanggar kebijakan format karakter.", EN: "A parameter breaks the character policy."},
	132012: {Kind: KindPermanent, ID: "Format parameter tidak sesuai template.", EN: "A parameter's format does not match the template."},
	132015: {Kind: KindTemplate, ID: "Template dijeda oleh WhatsApp karena kualitas rendah.", EN: "WhatsApp paused the template for low quality."},
	132016: {Kind: KindTemplate, ID: "Template dinonaktifkan oleh WhatsApp.", EN: "WhatsApp disabled the template."},
	132018: {Kind: KindPermanent, ID: "Parameter berisi baris baru, tab, atau lebih dari 4 spasi berturut-turut.", EN: "A parameter has a new line, a tab or more than 4 spaces in a row."},
	132068: {Kind: KindPermanent, ID: "Flow diblokir.", EN: "The flow is blocked."},
	133000: {Kind: KindAccount, ID: "Penghapusan registrasi sebelumnya belum selesai.", EN: "A previous deregistration did not finish."},
	133004: {Kind: KindRetry, Wait: 5 * time.Second, ID: "Server WhatsApp sementara tidak tersedia.", EN: "WhatsApp server temporarily unavailable."},
	133010: {Kind: KindAccount, ID: "Nomor belum terdaftar di Cloud API.", EN: "The phone number is not registered on the Cloud API."},
	135000: {Kind: KindPermanent, ID: "Kesalahan umum pengguna.", EN: "Generic user error."},
}

// Explain returns what the product knows about code: its kind, wait and
// human reasons. Unknown codes are permanent, with a generic reason.
func Explain(code int) ErrorInfo {
	if e, ok := errorTable[code]; ok {
		e.Code = code
		return e
	}
	return ErrorInfo{Code: code, Kind: KindPermanent, ID: "WhatsApp menolak pesan ini.", EN: "WhatsApp refused this message."}
}
