package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/examples/internal/exampledb"
	"github.com/sesguard/sesguard/sestest"
)

// startT starts the app for cfg and stops it when t ends.
func startT(t *testing.T, cfg config, log *slog.Logger) *app {
	t.Helper()
	a, err := start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.stop() })
	return a
}

func demoConfig() config {
	return config{addr: "127.0.0.1:0", path: "/ses/notifications", unsubPath: "/unsubscribe", region: "us-east-1", demo: true, shutdownTimeout: 5 * time.Second}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestDemoOnEachStore(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			var logs bytes.Buffer
			a := startT(t, be.storeConfig(t, demoConfig()), slog.New(slog.NewJSONHandler(&logs, nil)))
			var out bytes.Buffer
			if err := a.demo(context.Background(), &out); err != nil {
				t.Fatalf("demo: %v\n%s", err, out.String())
			}
			for _, want := range []string{
				"The server checked the confirmation's signature and confirmed it.",
				"The server received and stored 5 notifications.",
				"success@simulator.amazonses.com          may be mailed",
				"bounce@simulator.amazonses.com           suppressed: BOUNCE, Permanent/General",
				"complaint@simulator.amazonses.com        suppressed: COMPLAINT",
				"suppressionlist@simulator.amazonses.com  suppressed: BOUNCE, Permanent/Suppressed",
				"Sending to each again:\n  success@simulator.amazonses.com          sent\n" +
					"  bounce@simulator.amazonses.com           refused before SES: BOUNCE\n" +
					"  complaint@simulator.amazonses.com        refused before SES: COMPLAINT\n" +
					"  suppressionlist@simulator.amazonses.com  refused before SES: BOUNCE\n",
				"One-click unsubscribe (RFC 8058), for the list \"news\":\n  sent to success+news@simulator.amazonses.com with List-Unsubscribe: <https://",
				"  and List-Unsubscribe-Post: List-Unsubscribe=One-Click\n",
				"  POST /unsubscribe with the body List-Unsubscribe=One-Click (no cookie): 200 OK\n" +
					"  the list's next mail to success+news@simulator.amazonses.com: refused before SES: UNSUBSCRIBE (scope \"news\")\n" +
					"  a password reset to success+news@simulator.amazonses.com: sent\n",
			} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("demo output lacks %q:\n%s", want, out.String())
				}
			}
			// SES accepted the first four messages, only success@'s second,
			// and the newsletter and password reset to success+news@.
			if n := len(a.emu.Messages()); n != 7 {
				t.Errorf("SES accepted %d messages, want 7", n)
			}
			if code, body := get(t, a.url+"/healthz"); code != http.StatusOK || body != "ok\n" {
				t.Errorf("GET /healthz: %d %q", code, body)
			}
			if err := a.stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
			// Every request was logged as JSON, the notifications with
			// their SNS ids.
			notifications := 0
			sc := bufio.NewScanner(&logs)
			for sc.Scan() {
				var rec map[string]any
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
				}
				if rec["msg"] == "request" && rec["sns_type"] == "Notification" && rec["status"] == 200.0 && rec["sns_id"] != "" {
					notifications++
				}
			}
			if notifications < 5 {
				t.Errorf("%d notification requests logged, want at least 5:\n%s", notifications, logs.String())
			}
		})
	}
}

// A store written by the webhook is the list a sender's Client consults:
// open it again, as another process would, and it refuses the addresses.
func TestTheStoreOutlivesTheServer(t *testing.T) {
	cfg := backends[0].storeConfig(t, demoConfig())
	a := startT(t, cfg, slog.New(slog.DiscardHandler))
	if err := a.demo(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	st, db, err := exampledb.Open(context.Background(), exampledb.DSN(cfg.dsn, cfg.sqlite), cfg.tablePrefix)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ses := sestest.RunT(t)
	sender, err := sesguard.New(ses.Client(), func(o *sesguard.Options) { o.Store = st })
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range demoAddrs {
		in, err := sender.Suppressions(context.Background(), addr)
		if err != nil {
			t.Fatal(err)
		}
		suppressed := len(in) > 0
		if want := !strings.HasPrefix(addr, "success@"); suppressed != want {
			t.Errorf("%s suppressed=%v after a restart, want %v", addr, suppressed, want)
		}
	}
}

func TestRefusesWhatItCannotTrust(t *testing.T) {
	a := startT(t, backends[0].storeConfig(t, demoConfig()), slog.New(slog.DiscardHandler))
	if err := a.demo(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	var bounce *sestest.Notification
	for _, n := range a.emu.Notifications() {
		if n.Type == "Bounce" && n.Recipients[0] == "bounce@simulator.amazonses.com" {
			bounce = n
		}
	}
	if bounce == nil {
		t.Fatal("the emulator published no bounce for bounce@")
	}
	forged := bytes.Replace(bounce.Envelope(), []byte("bounce@simulator"), []byte("victim@simulator"), -1)
	var otherTopic map[string]any
	if err := json.Unmarshal(bounce.Envelope(), &otherTopic); err != nil {
		t.Fatal(err)
	}
	otherTopic["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:someone-else"
	otherTopicBody, _ := json.Marshal(otherTopic)

	tests := []struct {
		name   string
		method string
		body   []byte
		want   int
	}{
		{"ForgedRecipient", http.MethodPost, forged, http.StatusForbidden},
		{"TopicNotAllowed", http.MethodPost, otherTopicBody, http.StatusForbidden},
		{"NotJSON", http.MethodPost, []byte("hello"), http.StatusBadRequest},
		{"TooLarge", http.MethodPost, bytes.Repeat([]byte(" "), 2<<20), http.StatusRequestEntityTooLarge},
		{"Get", http.MethodGet, nil, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, a.url+a.cfg.path, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	if in, err := a.client.Suppressions(context.Background(), "victim@simulator.amazonses.com"); err != nil || len(in) > 0 {
		t.Errorf("the forged bounce was applied (suppressions %v, err=%v)", in, err)
	}
}

func TestHealthFailsWithTheStore(t *testing.T) {
	a := startT(t, backends[0].storeConfig(t, demoConfig()), slog.New(slog.DiscardHandler))
	if code, _ := get(t, a.url+"/healthz"); code != http.StatusOK {
		t.Fatalf("GET /healthz with the store up: %d", code)
	}
	a.db.Close()
	if code, body := get(t, a.url+"/healthz"); code != http.StatusServiceUnavailable || body != "store unavailable\n" {
		t.Errorf("GET /healthz with the store closed: %d %q, want 503", code, body)
	}
}

// Shutdown stops accepting connections but lets a request in flight finish.
func TestShutdownLetsARequestFinish(t *testing.T) {
	a := startT(t, backends[0].storeConfig(t, demoConfig()), slog.New(slog.DiscardHandler))
	addr := strings.TrimPrefix(a.url, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// With Expect: 100-continue the server answers "100 Continue" once
	// the handler reads the body: then the request is in flight.
	body := `{"hello":"world"}`
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", a.cfg.path, addr, len(body))
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("no 100 Continue: %q %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- a.stop() }()
	// Bounded wait for the listener to close: Shutdown has begun.
	for deadline := time.Now().Add(5 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections after stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-stopped:
		t.Fatalf("stop returned (%v) while a request was in flight", err)
	default:
	}
	fmt.Fprint(conn, body)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400 for a body that is not an SNS message", resp.StatusCode)
	}
	if err := <-stopped; err != nil {
		t.Errorf("stop: %v", err)
	}
}

// main serves until SIGINT or SIGTERM cancels its context.
func TestWaitStopsWhenTheContextEnds(t *testing.T) {
	a := startT(t, backends[0].storeConfig(t, demoConfig()), slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.wait(ctx); err != nil {
		t.Fatalf("wait: %v", err)
	}
	if _, err := http.Get(a.url + "/healthz"); err == nil {
		t.Error("the server still answers after wait returned")
	}
}

func TestStartFailsClearly(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		cfg  func(c *config)
		want string
	}{
		{"AddressInUse", func(c *config) { c.addr = busy.Addr().String() }, "address already in use"},
		{"StoreUnreachable", func(c *config) { c.dsn = "postgres://nobody@127.0.0.1:1/none?connect_timeout=2" }, "open the pgx store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := backends[0].storeConfig(t, demoConfig())
			tt.cfg(&cfg)
			a, err := start(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				a.stop()
				t.Fatal("start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}
