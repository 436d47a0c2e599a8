package unsubscribe

import (
	"context"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxBodyBytes bounds the body of a POST that Handler reads; a longer one
// is refused with 413. A one-click POST is 26 octets, or a few hundred as
// multipart/form-data.
const MaxBodyBytes = 4 << 10

// Handler serves the HTTPS URI that [Links] put in List-Unsubscribe, as
// RFC 8058 requires:
//
//   - POST with the form body List-Unsubscribe=One-Click
//     (application/x-www-form-urlencoded or multipart/form-data) and a
//     valid token calls Unsubscribe and answers 200 — no redirect, and no
//     cookie, session or CSRF token asked for: the token is the
//     credential, and the mailbox provider posts without any of them.
//   - GET (and HEAD) shows a small page whose button makes that POST.
//     Nothing is recorded on GET, so that link scanners and prefetchers,
//     which follow every link in a message, never unsubscribe anyone.
//
// A missing or malformed token is answered 400, one signed with a key not
// in Keys or failing authentication 403, an expired one 410, a POST
// without the one-click body 400 and a larger body than [MaxBodyBytes]
// 413; none of them calls Unsubscribe. A failure of Unsubscribe is
// answered 503, so that the sender may try again. Responses are never
// cached, send no Referer onwards and set no cookie.
//
// Handler is safe for concurrent use by multiple goroutines once its
// fields are set.
type Handler struct {
	// Keys verify the tokens. Required.
	Keys *Keys

	// Unsubscribe records that t.Address unsubscribed from t.List. It is
	// called for every valid one-click POST, so it must be idempotent: a
	// provider may post twice, and a person may press the button twice.
	// Required.
	Unsubscribe func(ctx context.Context, t Token) error

	// MaxAge, when positive, refuses a token issued longer ago than
	// MaxAge. 0 (the default): tokens never expire, because links in old
	// mail must keep working.
	MaxAge time.Duration

	// Now is the clock MaxAge is judged by. nil: time.Now.
	Now func() time.Time

	// Page renders every page the handler shows, executed with a
	// [PageData]. nil: [DefaultPage].
	Page *template.Template

	// Logger receives a line for each refused request and failed
	// Unsubscribe. nil: nothing is logged.
	Logger *slog.Logger
}

// PageState says which page the handler shows.
type PageState string

// The pages of Handler.
const (
	PageConfirm PageState = "confirm" // GET with a valid token: the button
	PageDone    PageState = "done"    // after a successful POST
	PageInvalid PageState = "invalid" // a token that is malformed, forged or signed by an unknown key
	PageExpired PageState = "expired" // a token past MaxAge
	PageError   PageState = "error"   // Unsubscribe failed, or the request was malformed
)

// PageData is what Page is executed with.
type PageData struct {
	State   PageState
	List    string // the list's name, for a valid token
	Address string // the address with most of its local part hidden, for a valid token
}

// DefaultPage is the page Handler shows when Page is nil: plain HTML in
// English, with a language, a heading that names the form, and a real
// button, usable with a keyboard and a screen reader and without
// JavaScript or images.
var DefaultPage = template.Must(template.New("unsubscribe").Parse(defaultPage))

const defaultPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{if eq .State "done"}}Unsubscribed{{else}}Unsubscribe{{end}}</title>
<style>body{font:1.125rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#111;background:#fff}button{font:inherit;padding:.5rem 1.25rem;border:2px solid #111;border-radius:.25rem;background:#fff;color:#111;cursor:pointer}button:focus-visible{outline:3px solid #1a5fb4;outline-offset:2px}</style>
</head>
<body>
<main>
{{- if eq .State "confirm"}}
<h1 id="title">Unsubscribe from {{.List}}</h1>
<form method="post" aria-labelledby="title">
<p id="what">{{.Address}} will no longer receive mail from the list {{.List}}. Other mail about your account is not affected.</p>
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit" aria-describedby="what">Unsubscribe</button>
</form>
{{- else if eq .State "done"}}
<h1>You are unsubscribed</h1>
<p role="status">{{.Address}} will no longer receive mail from the list {{.List}}.</p>
{{- else if eq .State "expired"}}
<h1>This link has expired</h1>
<p>Please use the unsubscribe link of a more recent message.</p>
{{- else if eq .State "invalid"}}
<h1>This link is not valid</h1>
<p>It may have been cut short by your mail program. Please use the unsubscribe link of the message itself.</p>
{{- else}}
<h1>Something went wrong</h1>
<p>Your request was not recorded. Please try again later.</p>
{{- end}}
</main>
</body>
</html>
`

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Robots-Tag", "noindex")
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

	post := r.Method == http.MethodPost
	if !post && r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD, POST")
		h.page(w, http.StatusMethodNotAllowed, PageData{State: PageError})
		return
	}
	tok, status, state, err := h.token(r)
	if err != nil {
		h.refuse(r, w, status, PageData{State: state}, err)
		return
	}
	data := PageData{List: tok.List, Address: mask(tok.Address)}
	if !post {
		data.State = PageConfirm
		h.page(w, http.StatusOK, data)
		return
	}
	if status, err := oneClick(w, r); err != nil {
		data.State = PageError
		h.refuse(r, w, status, data, err)
		return
	}
	if err := h.Unsubscribe(r.Context(), tok); err != nil {
		if h.Logger != nil {
			h.Logger.ErrorContext(r.Context(), "unsubscribe: could not record an unsubscribe", "list", tok.List, "err", err)
		}
		data.State = PageError
		hdr.Set("Retry-After", "60")
		h.page(w, http.StatusServiceUnavailable, data)
		return
	}
	data.State = PageDone
	h.page(w, http.StatusOK, data)
}

// token reads and verifies the request's token, and says how to refuse it.
func (h *Handler) token(r *http.Request) (Token, int, PageState, error) {
	vals := r.URL.Query()[TokenParam]
	if len(vals) != 1 {
		return Token{}, http.StatusBadRequest, PageInvalid, errors.New("unsubscribe: want exactly one token in the URL")
	}
	now := time.Time{}
	if h.MaxAge > 0 {
		now = time.Now()
		if h.Now != nil {
			now = h.Now()
		}
	}
	tok, err := h.Keys.ParseAt(vals[0], now, h.MaxAge)
	switch {
	case err == nil:
		return tok, 0, "", nil
	case errors.Is(err, ErrExpired):
		return Token{}, http.StatusGone, PageExpired, err
	case errors.Is(err, ErrMalformed):
		return Token{}, http.StatusBadRequest, PageInvalid, err
	}
	return Token{}, http.StatusForbidden, PageInvalid, err
}

// oneClick checks that the body of r is the one-click form, and says how
// to refuse it when it is not.
func oneClick(w http.ResponseWriter, r *http.Request) (int, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var form url.Values
	switch mt {
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return bodyError(err)
		}
		if form, err = url.ParseQuery(string(b)); err != nil {
			return http.StatusBadRequest, errors.New("unsubscribe: the body is not a form")
		}
	case "multipart/form-data":
		if params["boundary"] == "" {
			return http.StatusBadRequest, errors.New("unsubscribe: a multipart body without a boundary")
		}
		if err := r.ParseMultipartForm(MaxBodyBytes); err != nil {
			return bodyError(err)
		}
		form = url.Values(r.MultipartForm.Value)
		_ = r.MultipartForm.RemoveAll()
	default:
		return http.StatusUnsupportedMediaType, errors.New("unsubscribe: the body is not a form")
	}
	name, value, _ := strings.Cut(OneClick, "=")
	if vs := form[name]; len(vs) != 1 || vs[0] != value {
		return http.StatusBadRequest, errors.New("unsubscribe: the body is not " + OneClick)
	}
	return 0, nil
}

func bodyError(err error) (int, error) {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return http.StatusRequestEntityTooLarge, err
	}
	return http.StatusBadRequest, err
}

func (h *Handler) refuse(r *http.Request, w http.ResponseWriter, status int, data PageData, err error) {
	if h.Logger != nil {
		h.Logger.InfoContext(r.Context(), "unsubscribe: request refused", "method", r.Method, "status", status, "err", err)
	}
	h.page(w, status, data)
}

func (h *Handler) page(w http.ResponseWriter, status int, data PageData) {
	t := h.Page
	if t == nil {
		t = DefaultPage
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}

// mask hides all but the first character of addr's local part, so that a
// page shown to whoever holds the link names the address without
// spelling it out.
func mask(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 1 {
		return "…" + addr[max(at, 0):]
	}
	_, n := utf8.DecodeRuneInString(addr)
	return addr[:n] + "…" + addr[at:]
}
