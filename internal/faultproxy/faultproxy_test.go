package faultproxy_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/faultproxy"
)

// echo is a TCP server that writes back what it reads and counts it.
type echo struct {
	ln       net.Listener
	received atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func startEcho(t *testing.T) *echo {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	e := &echo{ln: ln}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.conns = append(e.conns, c)
			e.mu.Unlock()
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					e.received.Add(int64(n))
					if n > 0 {
						if _, err := c.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(e.close)
	return e
}

// close stops the server and waits for its goroutines.
func (e *echo) close() {
	e.ln.Close()
	e.mu.Lock()
	for _, c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
	e.wg.Wait()
}

func startProxy(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(target)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads as many bytes back.
func roundTrip(c net.Conn, msg string) (string, error) {
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	buf := make([]byte, len(msg))
	_, err := io.ReadFull(c, buf)
	return string(buf), err
}

// assertEchoes makes a round trip of msg on c and checks that it came back.
func assertEchoes(t *testing.T, c net.Conn, msg string, why string) {
	t.Helper()
	got, err := roundTrip(c, msg)
	require.NoError(t, err, why)
	assert.Equal(t, msg, got, why)
}

// established dials p and makes one round trip, so that the proxy has
// accepted the connection and forwards it.
func established(t *testing.T, p *faultproxy.Proxy) net.Conn {
	t.Helper()
	c := dial(t, p.Addr())
	assertEchoes(t, c, "open", "the first round trip")
	return c
}

// dialAndRoundTrip dials addr and makes one round trip; a reset may come
// while the dial is still completing, or after.
func dialAndRoundTrip(addr, msg string) (string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return roundTrip(c, msg)
}

// isReset reports whether err is the peer's TCP reset.
func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

func TestForwardsBothWaysAndAnOrderlyClose(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	c := established(t, p)

	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	rest, err := io.ReadAll(c)
	require.NoError(t, err, "the echo server's close reaches the client as EOF")
	assert.Empty(t, rest)
	assert.Equal(t, int64(1), p.Stats().Accepted)
}

func TestResetAbortsEveryOpenConnection(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	a, b := established(t, p), established(t, p)

	p.Reset()

	for _, c := range []net.Conn{a, b} {
		_, err := c.Read(make([]byte, 1))
		assert.True(t, isReset(err), "read after Reset: %v, want a connection reset", err)
	}
	assert.Equal(t, int64(2), p.Stats().Resets)

	assertEchoes(t, dial(t, p.Addr()), "again", "a new connection after Reset is forwarded")
}

func TestStallHoldsBytesInBothDirectionsUntilResume(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	open := established(t, p)

	p.Stall(time.Hour)
	late := dial(t, p.Addr()) // opened during the stall
	_, err := io.WriteString(open, "ping")
	require.NoError(t, err)
	_, err = io.WriteString(late, "pong")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.Stats().Held == 8 }, 30*time.Second, time.Millisecond,
		"the proxy holds both requests")
	assert.Equal(t, int64(len("open")), e.received.Load(), "nothing held reached the server")
	assert.Equal(t, 2, p.Stats().Open, "a stall closes nothing")

	p.Resume()
	for c, want := range map[net.Conn]string{open: "ping", late: "pong"} {
		buf := make([]byte, 4)
		_, err := io.ReadFull(c, buf)
		require.NoError(t, err)
		assert.Equal(t, want, string(buf))
	}
	assert.Zero(t, p.Stats().Held)
}

func TestStallEndsByItself(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	p.Stall(time.Millisecond)
	assertEchoes(t, dial(t, p.Addr()), "after", "the stall ends without Resume")
}

func TestResetDuringAStallReleasesTheHeldConnections(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	c := dial(t, p.Addr())
	p.Stall(time.Hour)
	_, err := io.WriteString(c, "held")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.Stats().Held == 4 }, 30*time.Second, time.Millisecond)

	p.Reset()

	_, err = c.Read(make([]byte, 1))
	assert.True(t, isReset(err), "read: %v, want a connection reset", err)
	require.Eventually(t, func() bool { return p.Stats().Held == 0 }, 30*time.Second, time.Millisecond,
		"the reset connection lets go of its bytes")
	assert.Zero(t, e.received.Load())
}

func TestDropRepliesLetsTheRequestThroughAndSwallowsTheAnswer(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	c := established(t, p)

	p.DropReplies()
	_, err := roundTrip(c, "second")
	assert.True(t, isReset(err), "round trip: %v, want a connection reset", err)
	assert.Equal(t, int64(len("opensecond")), e.received.Load(), "the server got the request")
	st := p.Stats()
	assert.Equal(t, int64(1), st.Dropped)
	assert.Equal(t, int64(1), st.Resets)

	assertEchoes(t, dial(t, p.Addr()), "third", "a connection opened after DropReplies is not armed")
}

func TestRefuseResetsNewConnectionsOnly(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	old := established(t, p)

	p.Refuse(true)
	_, err := dialAndRoundTrip(p.Addr(), "no")
	assert.True(t, isReset(err) || errors.Is(err, syscall.EPIPE), "round trip while refusing: %v, want a reset", err)
	assertEchoes(t, old, "old", "an open connection is left alone")

	p.Refuse(false)
	assertEchoes(t, dial(t, p.Addr()), "yes", "a connection after Refuse(false)")
	assert.Equal(t, int64(1), p.Stats().Refused)
}

func TestUnreachableTargetResetsTheClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := startProxy(t, addr)
	_, err = dialAndRoundTrip(p.Addr(), "x")
	assert.True(t, isReset(err) || errors.Is(err, syscall.EPIPE), "round trip to an unreachable target: %v, want a reset", err)
	assert.Equal(t, int64(1), p.Stats().Refused)
}

func TestEveryRepeatsUntilTotalOrClose(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	var n atomic.Int64
	<-p.Every(time.Millisecond, 20*time.Millisecond, func() { n.Add(1) })
	assert.Positive(t, n.Load(), "the fault ran")

	stopped := p.Every(time.Millisecond, time.Hour, func() {})
	require.NoError(t, p.Close())
	<-stopped // Close ends a schedule of an hour
}

// TestConcurrentClientsGetThroughRepeatedResets runs clients that redial
// after every reset while the proxy resets all connections every 2 ms:
// each finishes its exchanges intact once the resets stop.
func TestConcurrentClientsGetThroughRepeatedResets(t *testing.T) {
	e := startEcho(t)
	p := startProxy(t, e.ln.Addr().String())
	resets := p.Every(2*time.Millisecond, 200*time.Millisecond, p.Reset)
	stalls := p.Every(7*time.Millisecond, 200*time.Millisecond, func() { p.Stall(time.Millisecond) })
	drops := p.Every(5*time.Millisecond, 200*time.Millisecond, p.DropReplies)

	const clients, exchanges = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			var c net.Conn
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for j := 0; j < exchanges; {
				if c == nil {
					var err error
					if c, err = net.Dial("tcp", p.Addr()); err != nil {
						continue // a reset can reach a dial that is still completing
					}
				}
				msg := fmt.Sprintf("client %d exchange %d;", i, j)
				got, err := roundTrip(c, msg)
				if err != nil {
					c.Close()
					c = nil
					continue
				}
				if got != msg {
					errs <- fmt.Errorf("sent %q, got back %q", msg, got)
					return
				}
				j++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	<-resets
	<-stalls
	<-drops
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	e := startEcho(t)
	p, err := faultproxy.New(e.ln.Addr().String())
	require.NoError(t, err)
	var conns []net.Conn
	for range 8 {
		c, err := net.Dial("tcp", p.Addr())
		require.NoError(t, err)
		conns = append(conns, c)
		_, err = roundTrip(c, "x")
		require.NoError(t, err)
	}
	p.Every(time.Millisecond, time.Hour, p.DropReplies)
	p.Stall(time.Hour)
	_, err = io.WriteString(conns[0], "held")
	require.NoError(t, err)

	require.NoError(t, p.Close())
	require.NoError(t, p.Close(), "a second Close does nothing")
	for _, c := range conns {
		c.Close()
	}
	e.close()
	assertGoroutinesBackTo(t, before)
}

// assertGoroutinesBackTo waits, in the test's own goroutine, until no more
// than n goroutines run, and fails with their stacks if that takes 30 s.
func assertGoroutinesBackTo(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left running after Close, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRealRedis drives Redis through the proxy with its own protocol: a
// dropped reply still leaves the command done.
func TestRealRedis(t *testing.T) {
	addr := os.Getenv("SESGUARD_REDIS_ADDR")
	if addr == "" {
		t.Skip("SESGUARD_REDIS_ADDR is not set: skipping the proxy in front of a real Redis (e.g. SESGUARD_REDIS_ADDR=127.0.0.1:6379)")
	}
	p := startProxy(t, addr)
	key := fmt.Sprintf("sesguard-test:faultproxy:%d", time.Now().UnixNano())
	cmd := func(c net.Conn, args ...string) (string, error) {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := io.WriteString(c, b.String()); err != nil {
			return "", err
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		return strings.TrimSpace(line), err
	}
	c := dial(t, p.Addr())
	t.Cleanup(func() {
		if d, err := net.Dial("tcp", addr); err == nil {
			_, _ = cmd(d, "DEL", key)
			d.Close()
		}
	})
	got, err := cmd(c, "PING")
	require.NoError(t, err)
	assert.Equal(t, "+PONG", got)

	p.DropReplies()
	_, err = cmd(c, "INCR", key)
	assert.True(t, isReset(err), "INCR with its reply dropped: %v, want a connection reset", err)

	got, err = cmd(dial(t, p.Addr()), "GET", key)
	require.NoError(t, err)
	assert.Equal(t, "$1", got, "Redis ran the INCR whose reply was dropped")

	c = dial(t, p.Addr())
	p.Stall(time.Hour)
	_, err = io.WriteString(c, "PING\r\n")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.Stats().Held == 6 }, 30*time.Second, time.Millisecond)
	p.Resume()
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "+PONG\r\n", line)

	p.Reset()
	_, err = c.Read(make([]byte, 1))
	assert.True(t, isReset(err), "read after Reset: %v, want a connection reset", err)
}

// TestRealPostgreSQL sends PostgreSQL's SSLRequest through the proxy and
// reads its one-byte answer, stalled and not.
func TestRealPostgreSQL(t *testing.T) {
	dsn := os.Getenv("SESGUARD_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("SESGUARD_POSTGRES_DSN is not set: skipping the proxy in front of a real PostgreSQL (e.g. SESGUARD_POSTGRES_DSN=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	p := startProxy(t, u.Host)
	sslRequest := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 8), 80877103)
	answer := func(c net.Conn) (byte, error) {
		if _, err := c.Write(sslRequest); err != nil {
			return 0, err
		}
		b := make([]byte, 1)
		_, err := io.ReadFull(c, b)
		return b[0], err
	}

	b, err := answer(dial(t, p.Addr()))
	require.NoError(t, err)
	assert.Contains(t, []byte("NS"), b, "PostgreSQL answers N or S to an SSLRequest")

	c := dial(t, p.Addr())
	p.Stall(time.Hour)
	_, err = c.Write(sslRequest)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.Stats().Held == int64(len(sslRequest)) }, 30*time.Second, time.Millisecond)
	p.Resume()
	got := make([]byte, 1)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	assert.True(t, bytes.ContainsAny(got, "NS"))

	p.Reset()
	_, err = c.Read(make([]byte, 1))
	assert.True(t, isReset(err), "read after Reset: %v, want a connection reset", err)
}
