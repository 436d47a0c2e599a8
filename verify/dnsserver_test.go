package verify

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// zoneEntry is what the test DNS server knows about one name.
type zoneEntry struct {
	mx    []dnsmessage.MXResource
	ips   []netip.Addr
	rcode dnsmessage.RCode // non-zero: answer every query with it
	drop  bool             // never answer, to provoke a timeout
}

// startDNS runs a DNS server on 127.0.0.1 that answers from zone (names
// without the trailing dot) and returns a real *net.Resolver that talks
// only to it. Names not in zone get NXDOMAIN.
func startDNS(t *testing.T, zone map[string]zoneEntry) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go serveDNS(pc, zone)
	addr := pc.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", addr)
		},
	}
}

func serveDNS(pc net.PacketConn, zone map[string]zoneEntry) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply := answerDNS(buf[:n], zone); reply != nil {
			_, _ = pc.WriteTo(reply, from)
		}
	}
}

func answerDNS(query []byte, zone map[string]zoneEntry) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))
	e, ok := zone[name]
	if e.drop {
		return nil
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionAvailable: true, RCode: e.rcode}
	if !ok {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	_ = b.StartQuestions()
	_ = b.Question(q)
	_ = b.StartAnswers()
	if ok && e.rcode == dnsmessage.RCodeSuccess {
		hdr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 300}
		switch q.Type {
		case dnsmessage.TypeMX:
			for _, mx := range e.mx {
				_ = b.MXResource(hdr, mx)
			}
		case dnsmessage.TypeA, dnsmessage.TypeAAAA:
			for _, ip := range e.ips {
				switch {
				case ip.Is4() && q.Type == dnsmessage.TypeA:
					_ = b.AResource(hdr, dnsmessage.AResource{A: ip.As4()})
				case ip.Is6() && q.Type == dnsmessage.TypeAAAA:
					_ = b.AAAAResource(hdr, dnsmessage.AAAAResource{AAAA: ip.As16()})
				}
			}
		}
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	return msg
}

func mustName(s string) dnsmessage.Name {
	n, err := dnsmessage.NewName(s)
	if err != nil {
		panic(errors.New("bad test name " + s))
	}
	return n
}
