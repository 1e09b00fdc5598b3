package inbox_test

import (
	"context"
	"testing"

	"github.com/wabascrm/scrm/models"
)

// Message search stems Indonesian (#16): "bayar" finds "membayar", and the
// search of a name or number as written still works.
func TestSearchMessagesIndonesianStem(t *testing.T) {
	f := newRouteFixture(t, "round_robin", 1)
	conv := f.conversation(t, 1)
	for _, body := range []string{"saya sudah membayar tagihan", "transfer BCA 12345", "halo kak"} {
		if err := f.db.Exec(`INSERT INTO messages (conversation_id, direction, type, body, status) VALUES (?, 'in', 'text', ?, 'received')`, conv, body).Error; err != nil {
			t.Fatal(err)
		}
	}
	p := models.Principal{AllScope: true}
	for q, want := range map[string]string{"bayar": "saya sudah membayar tagihan", "pembayaran": "saya sudah membayar tagihan", "BCA": "transfer BCA 12345", "1234": "transfer BCA 12345"} {
		page, err := f.ib.SearchMessages(context.Background(), p, q, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Body != want {
			t.Errorf("%q: %+v", q, page.Items)
		}
	}
}
