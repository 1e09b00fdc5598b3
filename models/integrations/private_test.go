package integrations_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/integrations"
)

func TestPrivateAddr(t *testing.T) {
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
		"100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1", "fc00::1",
		"ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"} {
		if !integrations.PrivateAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is not taken as private", a)
		}
	}
	for _, a := range []string{"8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1"} {
		if integrations.PrivateAddr(netip.MustParseAddr(a)) {
			t.Errorf("%s is taken as private", a)
		}
	}
}

// Literal private addresses and names resolving to loopback are refused at
// save time with a 422 on the url field.
func TestCheckTargetRefusesPrivate(t *testing.T) {
	for _, u := range []string{"https://127.0.0.1/hook", "http://10.0.0.5:8080/x", "https://169.254.169.254/latest/meta-data",
		"https://[::1]/x", "https://[fd12::1]/x", "https://localhost/x", "https://a.localhost/x", "https://0.0.0.0/x"} {
		err := integrations.CheckTarget(context.Background(), u, nil)
		var me *models.Error
		if models.CodeOf(err) != models.EUnprocessable || !asErr(err, &me) || me.Field != "url" {
			t.Errorf("%s: %v", u, err)
		}
	}
	if err := integrations.CheckTarget(context.Background(), "https://8.8.8.8/hook", nil); err != nil {
		t.Errorf("public address refused: %v", err)
	}
}

// The dial-time check sees the resolved address: a name resolving to
// 127.0.0.1 (localhost here, any rebinding name in an attack) is refused.
func TestDialControlRefusesPrivate(t *testing.T) {
	for _, a := range []string{"127.0.0.1:80", "[::1]:443", "169.254.169.254:80", "10.0.0.1:443"} {
		if err := integrations.DialControl("tcp4", a, nil); err == nil {
			t.Errorf("%s dialled", a)
		}
	}
	if err := integrations.DialControl("tcp4", "8.8.8.8:443", nil); err != nil {
		t.Errorf("public dial refused: %v", err)
	}
}

func asErr(err error, me **models.Error) bool {
	e, ok := err.(*models.Error)
	*me = e
	return ok
}
