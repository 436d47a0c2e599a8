package sestest

import (
	"net"
	"strings"
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
