package sesguard_test

import (
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard/sestest"
)

// newSES starts the sestest emulator for t and returns it with the real SDK
// client that talks to it. Its account is a production account whose rate
// and daily quota are too large to refuse anything a test sends, so what a
// test sees is sesguard's doing; tests about SES's own limits set them with
// optFns. The "welcome" and "t" templates exist for bulk sends. The client
// makes one attempt per call, so every error SES answers reaches sesguard
// once.
func newSES(t testing.TB, optFns ...func(*sestest.Options)) (*sestest.Server, *sesv2.Client) {
	t.Helper()
	srv := sestest.RunT(t, append([]func(*sestest.Options){func(o *sestest.Options) {
		o.Account = sestest.Account{MaxSendRate: 1e6, Max24HourSend: -1}
		o.Templates = map[string]sestest.Template{
			"welcome": {Subject: "Welcome", Text: "Hello"},
			"t":       {Subject: "Hello", Text: "Hi"},
		}
	}}, optFns...)...)
	return srv, srv.Client(sestest.NoRetries)
}

// onSESClock puts the emulator on the test's clock, so that its rate bucket
// and 24-hour window move only when the test moves time.
func onSESClock(clk *clock) func(*sestest.Options) {
	return func(o *sestest.Options) { o.Now = clk.Now }
}

// sesHook is a Server.SetFault hook: it counts the requests the emulator
// receives per operation, and answers the next calls of an operation with a
// fault the test chose, for errors the emulated account does not make by
// itself (a throttle on cue, a 5xx).
type sesHook struct {
	mu      sync.Mutex
	calls   map[string]int
	pending map[string]int // faults still to answer; negative: every call
	faults  map[string]sestest.Fault
}

// hook installs a sesHook on srv.
func hook(srv *sestest.Server) *sesHook {
	h := &sesHook{calls: map[string]int{}, pending: map[string]int{}, faults: map[string]sestest.Fault{}}
	srv.SetFault(h.answer)
	return h
}

func (h *sesHook) answer(op string, _ []byte) *sestest.Fault {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls[op]++
	n := h.pending[op]
	if n == 0 {
		return nil
	}
	if n > 0 {
		h.pending[op] = n - 1
	}
	f := h.faults[op]
	return &f
}

// fail makes the next n calls of op answer f; a negative n, every call.
func (h *sesHook) fail(op string, n int, f sestest.Fault) *sesHook {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending[op], h.faults[op] = n, f
	return h
}

// count returns how many calls of op the emulator received, answered or
// refused.
func (h *sesHook) count(op string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[op]
}
