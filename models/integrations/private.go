package integrations

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/wabascrm/scrm/models"
)

// PrivateAddr reports whether ip is no place for an outbound webhook
// (issue #20): loopback, private (10/8, 172.16/12, 192.168/16, 100.64/10
// CGNAT), link-local (169.254/16, the cloud metadata address, fe80::/10),
// multicast, unspecified, IPv6 unique local (fc00::/7) and IPv4-mapped forms of these.
func PrivateAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || cgnat.Contains(ip) || ip == netip.IPv4Unspecified() ||
		(ip.Is4() && ip.As4()[0] == 0) || ip == broadcast
}

var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	broadcast = netip.MustParseAddr("255.255.255.255")
)

func errPrivateTarget(host string) error {
	return models.FieldError(models.EUnprocessable, "url",
		"url %q points at a private, loopback, link-local or multicast address; webhooks go to public addresses only", host)
}

// CheckTarget refuses, at save time, a URL whose host is a private address
// or a name resolving to one. The dial-time check (DialControl) is the one
// that counts, since a name may resolve differently later (DNS rebinding);
// a name that does not resolve now is accepted and checked when dialled.
func CheckTarget(ctx context.Context, rawURL string, resolver *net.Resolver) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil // ValidateSubscription answers for a malformed URL
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	if ip, err := netip.ParseAddr(host); err == nil {
		if PrivateAddr(ip) {
			return errPrivateTarget(host)
		}
		return nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return errPrivateTarget(host)
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ips, err := resolver.LookupNetIP(cctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, ip := range ips {
		if PrivateAddr(ip) {
			return errPrivateTarget(host)
		}
	}
	return nil
}

// DialControl is a net.Dialer Control func refusing connections to private
// addresses: it sees the address actually dialled, after resolution, so
// neither a literal IP nor a name that resolves (or re-resolves) to one gets through.
func DialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &net.AddrError{Err: "unparsable dial address", Addr: address}
	}
	if PrivateAddr(ap.Addr()) {
		return &net.AddrError{Err: "webhook target is a private address (integrations_allow_private_targets is off)", Addr: address}
	}
	return nil
}
