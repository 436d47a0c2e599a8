package unsubscribe_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/unsubscribe"
)

// recorder is an Unsubscribe func that remembers its calls.
type recorder struct {
	mu    sync.Mutex
	calls []unsubscribe.Token
	err   error
}

func (r *recorder) unsubscribe(_ context.Context, t unsubscribe.Token) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.calls = append(r.calls, t)
	return nil
}

func (r *recorder) got() []unsubscribe.Token {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]unsubscribe.Token(nil), r.calls...)
}

type handlerFixture struct {
	h     *unsubscribe.Handler
	rec   *recorder
	links *unsubscribe.Links
	now   time.Time
}

func newHandler(t *testing.T) *handlerFixture {
	t.Helper()
	f := &handlerFixture{rec: &recorder{}, now: issued}
	keys := newKeys(t, unsubscribe.Key{ID: "k2", Secret: secret(2)}, unsubscribe.Key{ID: "k1", Secret: secret(1)})
	f.links = must(unsubscribe.NewLinks("https://example.com/unsubscribe", "", keys))
	f.h = &unsubscribe.Handler{Keys: keys, Unsubscribe: f.rec.unsubscribe, Now: func() time.Time { return f.now }}
	return f
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// target returns the path and query of the link for addr and list.
func (f *handlerFixture) target(t *testing.T, addr, list string) string {
	t.Helper()
	u, err := f.links.URL(addr, list, f.now)
	require.NoError(t, err)
	return strings.TrimPrefix(u, "https://example.com")
}

// oneClickPost makes the request RFC 8058 §3.2 describes: a POST of the
// form body, nothing else.
func oneClickPost(target string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader("List-Unsubscribe=One-Click"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerOneClickPost(t *testing.T) {
	f := newHandler(t)
	target := f.target(t, "bob@example.com", "news")
	w := serve(f.h, oneClickPost(target))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Empty(t, w.Header().Get("Location"))
	assert.Empty(t, w.Header().Values("Set-Cookie"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "no-referrer", w.Header().Get("Referrer-Policy"))
	assert.Contains(t, w.Body.String(), "You are unsubscribed")
	assert.Equal(t, []unsubscribe.Token{{Address: "bob@example.com", List: "news", IssuedAt: issued, KeyID: "k2"}}, f.rec.got())

	t.Run("repeated", func(t *testing.T) {
		w := serve(f.h, oneClickPost(target))
		require.Equal(t, http.StatusOK, w.Code)
	})
	t.Run("multipart", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		require.NoError(t, mw.WriteField("List-Unsubscribe", "One-Click"))
		require.NoError(t, mw.Close())
		r := httptest.NewRequest(http.MethodPost, target, &body)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		w := serve(f.h, r)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	})
	t.Run("old key", func(t *testing.T) {
		old := newKeys(t, unsubscribe.Key{ID: "k1", Secret: secret(1)})
		tok, err := old.Issue("carol@example.com", "news", issued.AddDate(-3, 0, 0))
		require.NoError(t, err)
		w := serve(f.h, oneClickPost("/unsubscribe?t="+tok))
		require.Equal(t, http.StatusOK, w.Code, "links signed before a rotation keep working")
	})
	assert.Len(t, f.rec.got(), 4)
}

func TestHandlerGetShowsButtonAndRecordsNothing(t *testing.T) {
	f := newHandler(t)
	target := f.target(t, "bob@example.com", "Weekly <news>")
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		w := serve(f.h, httptest.NewRequest(method, target, nil))
		require.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	}
	w := serve(f.h, httptest.NewRequest(http.MethodGet, target, nil))
	page := w.Body.String()
	assert.Contains(t, page, `<html lang="en">`)
	assert.Contains(t, page, `<form method="post"`)
	assert.Contains(t, page, `<input type="hidden" name="List-Unsubscribe" value="One-Click">`)
	assert.Contains(t, page, `<button type="submit"`)
	assert.Contains(t, page, "Weekly &lt;news&gt;", "the list name is escaped")
	assert.Contains(t, page, "b…@example.com")
	assert.NotContains(t, page, "bob@", "the page does not spell out the address")
	assert.Empty(t, f.rec.got(), "a GET must never unsubscribe")
}

func TestHandlerRefuses(t *testing.T) {
	f := newHandler(t)
	f.h.MaxAge = 365 * 24 * time.Hour
	good := f.target(t, "bob@example.com", "news")
	tok := strings.TrimPrefix(good, "/unsubscribe?t=")
	foreign := must(must(unsubscribe.NewLinks("https://example.com/unsubscribe", "",
		newKeys(t, unsubscribe.Key{ID: "k9", Secret: secret(9)}))).URL("bob@example.com", "news", issued))
	sameID := must(must(unsubscribe.NewLinks("https://example.com/unsubscribe", "",
		newKeys(t, unsubscribe.Key{ID: "k2", Secret: secret(9)}))).URL("bob@example.com", "news", issued))
	// A different base64url character in the middle: still a token in
	// form, no longer the one that was signed.
	tampered := []byte(tok)
	if tampered[len(tampered)/2] == 'A' {
		tampered[len(tampered)/2] = 'B'
	} else {
		tampered[len(tampered)/2] = 'A'
	}
	// Cut to a length no base64 encoding has.
	truncated := tok[:len(tok)-1]
	for len(truncated)%4 != 1 {
		truncated = truncated[:len(truncated)-1]
	}
	post := func(target, contentType, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		return r
	}
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name string
		req  *http.Request
		want int
	}{
		{"no token", oneClickPost("/unsubscribe"), http.StatusBadRequest},
		{"two tokens", oneClickPost(good + "&t=" + tok), http.StatusBadRequest},
		{"malformed token", oneClickPost("/unsubscribe?t=not-a-token"), http.StatusBadRequest},
		{"truncated token", oneClickPost("/unsubscribe?t=" + truncated), http.StatusBadRequest},
		{"tampered token", oneClickPost("/unsubscribe?t=" + string(tampered)), http.StatusForbidden},
		{"foreign key", oneClickPost(strings.TrimPrefix(foreign, "https://example.com")), http.StatusForbidden},
		{"foreign key with a known id", oneClickPost(strings.TrimPrefix(sameID, "https://example.com")), http.StatusForbidden},
		{"tampered token on GET", httptest.NewRequest(http.MethodGet, "/unsubscribe?t="+string(tampered), nil), http.StatusForbidden},
		{"empty body", post(good, form, ""), http.StatusBadRequest},
		{"other body", post(good, form, "List-Unsubscribe=Yes"), http.StatusBadRequest},
		{"one-click twice", post(good, form, "List-Unsubscribe=One-Click&List-Unsubscribe=One-Click"), http.StatusBadRequest},
		{"one-click in the query only", post(good+"&List-Unsubscribe=One-Click", form, ""), http.StatusBadRequest},
		{"not a form", post(good, "application/json", `{"List-Unsubscribe":"One-Click"}`), http.StatusUnsupportedMediaType},
		{"no content type", post(good, "", "List-Unsubscribe=One-Click"), http.StatusUnsupportedMediaType},
		{"multipart without boundary", post(good, "multipart/form-data", "x"), http.StatusBadRequest},
		{"bad form encoding", post(good, form, "List-Unsubscribe=%zz"), http.StatusBadRequest},
		{"body too large", post(good, form, "List-Unsubscribe=One-Click&pad="+strings.Repeat("x", unsubscribe.MaxBodyBytes)), http.StatusRequestEntityTooLarge},
		{"PUT", httptest.NewRequest(http.MethodPut, good, strings.NewReader("List-Unsubscribe=One-Click")), http.StatusMethodNotAllowed},
		{"DELETE", httptest.NewRequest(http.MethodDelete, good, nil), http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(f.h, tc.req)
			assert.Equal(t, tc.want, w.Code, w.Body.String())
			assert.Empty(t, w.Header().Values("Set-Cookie"))
			assert.Empty(t, f.rec.got(), "nothing may be recorded")
		})
	}

	t.Run("expired", func(t *testing.T) {
		f.now = issued.Add(366 * 24 * time.Hour)
		defer func() { f.now = issued }()
		w := serve(f.h, oneClickPost(good))
		assert.Equal(t, http.StatusGone, w.Code)
		assert.Contains(t, w.Body.String(), "expired")
		assert.Empty(t, f.rec.got())
	})
	t.Run("allow header", func(t *testing.T) {
		w := serve(f.h, httptest.NewRequest(http.MethodPatch, good, nil))
		assert.Equal(t, "GET, HEAD, POST", w.Header().Get("Allow"))
	})
}

func TestHandlerUnsubscribeFails(t *testing.T) {
	f := newHandler(t)
	f.rec.err = errors.New("store down")
	w := serve(f.h, oneClickPost(f.target(t, "bob@example.com", "news")))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "a failure must let the sender retry")
	assert.NotEmpty(t, w.Header().Get("Retry-After"))
}

// TestHandlerOverHTTP posts over a real connection, as a mailbox provider
// does: no cookie jar, no redirect followed.
func TestHandlerOverHTTP(t *testing.T) {
	f := newHandler(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(srv.URL+f.target(t, "bob@example.com", "news"), url.Values{"List-Unsubscribe": {"One-Click"}})
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, f.rec.got(), 1)
	assert.Equal(t, "bob@example.com", f.rec.got()[0].Address)
}
