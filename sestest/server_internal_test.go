package sestest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCloseDoesNotWaitForUnusedConnections: a client that opened a
// connection and never sent a request must not hold Close for the five
// seconds http.Server.Shutdown grants such connections.
func TestCloseDoesNotWaitForUnusedConnections(t *testing.T) {
	srv, err := NewServer()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Let the server accept it, so that it is tracked as new.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		srv.connMu.Lock()
		n := len(srv.newConns)
		srv.connMu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close still waiting after 3s on a connection that never sent a request")
	}
}

// TestCloseReleasesEndpointConnections: once the server is closed, no
// connection of its HTTP deliveries stays open, so the endpoint's own
// graceful shutdown does not wait for them.
func TestCloseReleasesEndpointConnections(t *testing.T) {
	var mu sync.Mutex
	open := make(map[net.Conn]bool)
	endpoint := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	endpoint.Config.ConnState = func(c net.Conn, st http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		if st == http.StateClosed || st == http.StateHijacked {
			delete(open, c)
		} else {
			open[c] = true
		}
	}
	endpoint.Start()
	defer endpoint.Close()

	srv, err := NewServer()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Subscribe(endpoint.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.WaitNotifications(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for { // the handshake's POST opened a connection
		mu.Lock()
		n := len(open)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.Close()
	deadline = time.Now().Add(3 * time.Second)
	for {
		mu.Lock()
		n := len(open)
		mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d delivery connections still open 3s after Close", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
