// Package faultproxy is a TCP proxy that breaks connections on command, for
// tests that prove sesguard keeps its promises when the network between it
// and a server (PostgreSQL, MariaDB, Redis, an SQS emulator, an HTTP server)
// misbehaves.
//
// A test starts a Proxy in front of the real server, points the client at
// [Proxy.Addr] instead of the server, and injects faults while the client
// works:
//
//   - [Proxy.Reset] aborts every open connection with a TCP reset (RST) on
//     both sides, as a crashed peer or a dropped NAT entry would;
//   - [Proxy.Stall] holds the bytes in both directions without closing
//     anything, as a partition or a frozen server does, until the stall
//     ends or [Proxy.Resume] is called;
//   - [Proxy.DropReplies] lets the next request on each open connection
//     reach the server but swallows the server's answer and then resets
//     the connection: the server did the work, the client never hears so;
//   - [Proxy.Refuse] resets new connections as soon as they are accepted;
//   - [Proxy.Every] repeats any of these, e.g. a reset every 20 ms for 3 s.
//
// The proxy listens on the loopback interface only. It is safe for
// concurrent use by multiple goroutines, and [Proxy.Close] returns only
// when every goroutine it started has finished.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards TCP connections from Addr to a target address, breaking
// them on command. The zero value is not usable; call [New].
type Proxy struct {
	target string
	ln     net.Listener
	done   chan struct{} // closed by Close
	wg     sync.WaitGroup

	mu     sync.Mutex
	links  map[*link]struct{}
	gate   chan struct{} // non-nil while stalled; closed when the stall ends
	timer  *time.Timer   // ends the current stall
	refuse bool
	closed bool

	accepted, refused, resets, dropped, held atomic.Int64
}

// Stats counts what a Proxy has done since it started.
type Stats struct {
	Accepted int64 // connections accepted and forwarded
	Refused  int64 // connections reset on accept (Refuse) or because the target could not be reached
	Resets   int64 // connections reset by Reset or DropReplies
	Dropped  int64 // replies swallowed by DropReplies
	Open     int   // connections open now
	Held     int64 // bytes read and held back by a stall now
}

// New starts a Proxy on a free loopback port that forwards every
// connection to target ("host:port").
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, ln: ln, done: make(chan struct{}), links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address clients dial instead of the target's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Stats returns the proxy's counts.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	open := len(p.links)
	p.mu.Unlock()
	return Stats{Accepted: p.accepted.Load(), Refused: p.refused.Load(), Resets: p.resets.Load(),
		Dropped: p.dropped.Load(), Open: open, Held: p.held.Load()}
}

// Reset aborts every open connection with a TCP reset, towards the client
// and towards the target. New connections are forwarded as before.
func (p *Proxy) Reset() {
	for _, l := range p.open() {
		l.abort(&p.resets)
	}
}

// DropReplies arms every open connection: its next bytes from the target
// are discarded and the connection is then reset, so the target has acted
// on a request whose answer the client never gets. Connections opened
// later are not armed.
func (p *Proxy) DropReplies() {
	for _, l := range p.open() {
		l.drop.Store(true)
	}
}

// Stall holds every byte in both directions, on open and new connections
// alike, closing nothing, for d or until Resume. A Stall while stalled
// ends d after the later call.
func (p *Proxy) Stall(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.gate == nil {
		p.gate = make(chan struct{})
	}
	if p.timer != nil {
		p.timer.Stop()
	}
	gate := p.gate
	p.timer = time.AfterFunc(d, func() { p.resume(gate) })
}

// Resume ends a stall at once and lets the held bytes through. Without a
// stall it does nothing.
func (p *Proxy) Resume() {
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	p.resume(gate)
}

// resume ends the stall whose gate is gate, unless another has begun since.
func (p *Proxy) resume(gate chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if gate == nil || p.gate != gate {
		return
	}
	p.timer.Stop()
	p.gate, p.timer = nil, nil
	close(gate)
}

// Refuse makes the proxy reset every new connection as soon as it is
// accepted (on true) or forward it again (on false). Open connections are
// left alone. A client sees the reset on its first read or write rather
// than as a refused dial.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
}

// Every calls fault every interval, in a goroutine of its own, until total
// has passed or the proxy is closed, e.g. p.Every(20*time.Millisecond,
// 3*time.Second, p.Reset). The returned channel is closed when it stops.
func (p *Proxy) Every(interval, total time.Duration, fault func()) <-chan struct{} {
	stopped := make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(stopped)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		end := time.NewTimer(total)
		defer end.Stop()
		for {
			select {
			case <-tick.C:
				fault()
			case <-end.C:
				return
			case <-p.done:
				return
			}
		}
	}()
	return stopped
}

// Close stops accepting, ends any stall, resets every open connection and
// waits for the proxy's goroutines to finish.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	p.mu.Unlock()
	err := p.ln.Close()
	p.Resume()
	p.Reset()
	p.wg.Wait()
	return err
}

// open returns the open connections.
func (p *Proxy) open() []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	ls := make([]*link, 0, len(p.links))
	for l := range p.links {
		ls = append(ls, l)
	}
	return ls
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // the listener is closed
		}
		p.mu.Lock()
		refuse := p.refuse
		p.mu.Unlock()
		if refuse {
			p.refused.Add(1)
			abortConn(c)
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve dials the target for the accepted connection c and forwards
// between them until both directions end or the link is aborted.
func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	d := net.Dialer{Timeout: 10 * time.Second}
	s, err := d.Dial("tcp", p.target)
	if err != nil {
		p.refused.Add(1)
		abortConn(c)
		return
	}
	l := &link{client: c, server: s, aborted: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.abort(nil)
		return
	}
	p.links[l] = struct{}{}
	p.mu.Unlock()
	p.accepted.Add(1)

	var pumps sync.WaitGroup
	pumps.Add(2)
	go func() { defer pumps.Done(); p.pump(l, c, s, false) }()
	go func() { defer pumps.Done(); p.pump(l, s, c, true) }()
	pumps.Wait()
	l.close()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// pump copies src to dst, waiting out stalls with the bytes it has read,
// and, for the target's side (reply), swallows the bytes and aborts the
// link when the link is armed to drop replies. At the end of src it
// half-closes dst, so an orderly close reaches the other side.
func (p *Proxy) pump(l *link, src, dst net.Conn, reply bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if reply && l.drop.Load() {
				p.dropped.Add(1)
				l.abort(&p.resets)
				return
			}
			if !p.wait(l, int64(n)) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				l.abort(nil)
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
				}
				return
			}
			l.abort(nil)
			return
		}
	}
}

// wait blocks while the proxy is stalled, counting n bytes as held, and
// reports whether the link is still open.
func (p *Proxy) wait(l *link, n int64) bool {
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	if gate == nil {
		return true
	}
	p.held.Add(n)
	defer p.held.Add(-n)
	select {
	case <-gate:
		return true
	case <-l.aborted:
		return false
	}
}

// link is one proxied connection: the client's side and the target's.
type link struct {
	client, server net.Conn
	drop           atomic.Bool // the next reply is swallowed and the link aborted
	once           sync.Once
	aborted        chan struct{}
}

// abort resets both sides, unless the link has already ended, and then
// counts the reset in count (if not nil) before the peers can see it.
func (l *link) abort(count *atomic.Int64) {
	l.once.Do(func() {
		if count != nil {
			count.Add(1)
		}
		close(l.aborted)
		abortConn(l.client)
		abortConn(l.server)
	})
}

// close closes both sides after an orderly end.
func (l *link) close() {
	l.once.Do(func() {
		close(l.aborted)
		l.client.Close()
		l.server.Close()
	})
}

// abortConn closes c with a reset rather than an orderly FIN.
func abortConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}
