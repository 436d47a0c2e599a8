package sestest_test

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/sestest"
)

// inbox is an HTTP endpoint that records the bodies posted to it.
type inbox struct {
	mu     sync.Mutex
	bodies []map[string]any
}

func (b *inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	b.bodies = append(b.bodies, m)
	b.mu.Unlock()
}

func (b *inbox) all() []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]map[string]any(nil), b.bodies...)
}

// TestControlEndpoints drives the server as a suite outside Go would:
// it fetches the signing certificate over HTTP, subscribes an endpoint,
// confirms it through /sestest/sns, and lists the notifications.
func TestControlEndpoints(t *testing.T) {
	srv, client, _ := start(t)
	resp, body := do(t, srv, http.MethodGet, sestest.CertificatePath, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	block, _ := pem.Decode(body)
	require.NotNil(t, block)
	assert.Equal(t, srv.SigningCertificate().Raw, block.Bytes)

	box := &inbox{}
	web := httptest.NewServer(box)
	t.Cleanup(web.Close)
	resp, body = post(t, srv, "/sestest/subscriptions", `{"Endpoint":"`+web.URL+`"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	sub, err := waitFor(t, func() []map[string]any { return box.all() }, 1)
	require.NoError(t, err)
	confirm := sub[0]
	require.Equal(t, "SubscriptionConfirmation", confirm["Type"])

	// The endpoint confirms at the emulator instead of at SNS.
	u, err := url.Parse(confirm["SubscribeURL"].(string))
	require.NoError(t, err)
	resp, body = do(t, srv, http.MethodGet, "/sestest/sns?"+u.RawQuery, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Contains(t, string(body), "<ConfirmSubscriptionResponse")

	_, err = client.SendEmail(ctxT(t), simple("bounce@simulator.amazonses.com"))
	require.NoError(t, err)
	got, err := waitFor(t, func() []map[string]any { return box.all() }, 2)
	require.NoError(t, err)
	assert.Equal(t, "Notification", got[1]["Type"])
	assert.Contains(t, got[1]["Message"], `"notificationType":"Bounce"`)

	resp, body = do(t, srv, http.MethodGet, "/sestest/notifications", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list struct {
		Notifications []struct{ Type, Message string }
	}
	require.NoError(t, json.Unmarshal(body, &list))
	require.Len(t, list.Notifications, 1)
	assert.Equal(t, "Bounce", list.Notifications[0].Type)

	resp, _ = do(t, srv, http.MethodGet, "/sestest/nothing", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestConfirmedSubscription: a subscription made Confirmed gets no
// handshake, only notifications.
func TestConfirmedSubscription(t *testing.T) {
	srv, client, _ := start(t)
	box := &inbox{}
	web := httptest.NewServer(box)
	t.Cleanup(web.Close)
	sub, err := srv.Subscribe(web.URL, func(o *sestest.SubscribeOptions) { o.Confirmed = true })
	require.NoError(t, err)
	assert.True(t, sub.Confirmed())
	_, err = client.SendEmail(ctxT(t), simple("success@simulator.amazonses.com"))
	require.NoError(t, err)
	require.NoError(t, sub.Wait(ctxT(t), 1))
	got := box.all()
	require.Len(t, got, 1)
	assert.Equal(t, "Notification", got[0]["Type"])
}

// waitFor polls get until it holds n items or the test's context ends.
func waitFor(t *testing.T, get func() []map[string]any, n int) ([]map[string]any, error) {
	ctx := ctxT(t)
	for {
		if got := get(); len(got) >= n {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
