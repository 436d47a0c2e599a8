package unsubscribe

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The header fields of RFC 2369 and RFC 8058.
const (
	// HeaderUnsubscribe names the field that holds the unsubscribe URIs.
	HeaderUnsubscribe = "List-Unsubscribe"
	// HeaderUnsubscribePost names the field that says the HTTPS URI
	// takes a one-click POST.
	HeaderUnsubscribePost = "List-Unsubscribe-Post"
	// OneClick is the value of List-Unsubscribe-Post, and the form body
	// that a one-click POST carries.
	OneClick = "List-Unsubscribe=One-Click"
)

// TokenParam is the query parameter of the HTTPS URI that carries the
// token.
const TokenParam = "t"

// Links makes the List-Unsubscribe value of each recipient: an HTTPS URI
// that carries the recipient's token, and, when Mailto is set, a mailto:
// URI whose subject carries it too.
type Links struct {
	base   string // URL with "?" or "&" appended, ready for the token
	mailto string // "mailto:addr?subject=unsubscribe%20", or ""
	keys   *Keys
}

// NewLinks returns Links that point at baseURL, an absolute https URL
// (where [Handler] is served) that may carry a query of its own, with
// tokens issued by keys. mailto, when not empty, is an address that takes
// unsubscribe requests by mail, with the token in the subject.
func NewLinks(baseURL, mailto string, keys *Keys) (*Links, error) {
	if keys == nil {
		return nil, errors.New("unsubscribe: NewLinks without keys")
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("unsubscribe: the URL %q is not an absolute https URL without a fragment or credentials", baseURL)
	}
	if u.Query().Has(TokenParam) {
		return nil, fmt.Errorf("unsubscribe: the URL %q already has a %q parameter", baseURL, TokenParam)
	}
	l := &Links{keys: keys}
	switch {
	case u.RawQuery == "" && !u.ForceQuery:
		l.base = u.String() + "?"
	case strings.HasSuffix(u.RawQuery, "&") || u.RawQuery == "":
		l.base = u.String()
	default:
		l.base = u.String() + "&"
	}
	l.base += TokenParam + "="
	if strings.ContainsAny(l.base, "<>, \t\r\n") {
		return nil, fmt.Errorf("unsubscribe: the URL %q holds a character a header cannot carry unescaped", baseURL)
	}
	if mailto != "" {
		if strings.ContainsAny(mailto, "<>,?\"() \t\r\n") || !strings.Contains(mailto, "@") {
			return nil, fmt.Errorf("unsubscribe: %q is not a bare address for a mailto: URI", mailto)
		}
		l.mailto = "mailto:" + mailto + "?subject=unsubscribe%20"
	}
	return l, nil
}

// Keys returns the keys the links are signed with.
func (l *Links) Keys() *Keys { return l.keys }

// URL returns the HTTPS URI for addr and list, issued at at.
func (l *Links) URL(addr, list string, at time.Time) (string, error) {
	b := append(make([]byte, 0, len(l.base)+l.keys.TokenLen(len(addr), len(list))), l.base...)
	b, err := l.keys.AppendToken(b, addr, list, at)
	return string(b), err
}

// Value returns the List-Unsubscribe value for addr and list, issued at
// at: "<https://…?t=TOKEN>", followed by ", <mailto:…>" when the Links
// have a mailto address. Both URIs carry the same token.
func (l *Links) Value(addr, list string, at time.Time) (string, error) {
	buf := getBuf()
	defer putBuf(buf)
	b := append((*buf)[:0], '<')
	b = append(b, l.base...)
	tokAt := len(b)
	b, err := l.keys.AppendToken(b, addr, list, at)
	if err != nil {
		return "", err
	}
	tokEnd := len(b)
	b = append(b, '>')
	if l.mailto != "" {
		b = append(b, ", <"...)
		b = append(b, l.mailto...)
		b = append(b, b[tokAt:tokEnd]...)
		b = append(b, '>')
	}
	*buf = b
	return string(b), nil
}

// maxLine is the longest line RFC 5322 allows, without its CRLF.
const maxLine = 998

// foldLen is the line length RFC 5322 recommends.
const foldLen = 78

// InsertRaw returns raw, a MIME message, with the fields List-Unsubscribe:
// value and List-Unsubscribe-Post: List-Unsubscribe=One-Click added at the
// end of its header block, in the line ending the header uses. A header
// that already has a List-Unsubscribe field is left as it is and inserted
// reports false: the sender chose its own, and a second would make
// receivers pick one at random. A header with List-Unsubscribe-Post but
// no List-Unsubscribe gets List-Unsubscribe only.
//
// The value is folded at the commas between its URIs to keep lines within
// 78 characters where it can; a URI is never broken, since whitespace
// inside one corrupts the link for some readers. A line that would pass
// RFC 5322's 998-character limit is an error. raw is not modified.
func InsertRaw(raw []byte, value string) (out []byte, inserted bool, err error) {
	if strings.ContainsAny(value, "\r\n") {
		return nil, false, errors.New("unsubscribe: a header value with a line break")
	}
	end, eol, err := headerEnd(raw)
	if err != nil {
		return nil, false, err
	}
	hasPost := false
	for line := range bytes.SplitSeq(raw[:end], []byte("\n")) {
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || name[0] == ' ' || name[0] == '\t' {
			continue
		}
		switch n := string(bytes.TrimRight(name, " \t")); {
		case strings.EqualFold(n, HeaderUnsubscribe):
			return raw, false, nil
		case strings.EqualFold(n, HeaderUnsubscribePost):
			hasPost = true
		}
	}
	fields, err := appendFolded(nil, HeaderUnsubscribe, value, eol)
	if err != nil {
		return nil, false, err
	}
	if !hasPost {
		fields = append(fields, HeaderUnsubscribePost+": "+OneClick...)
		fields = append(fields, eol...)
	}
	out = make([]byte, 0, len(raw)+len(fields))
	out = append(out, raw[:end]...)
	out = append(out, fields...)
	out = append(out, raw[end:]...)
	return out, true, nil
}

// headerEnd returns the offset just after the last header line of raw
// (where new fields go) and that line's ending.
func headerEnd(raw []byte) (int, string, error) {
	for i := 0; i < len(raw); {
		nl := bytes.IndexByte(raw[i:], '\n')
		if nl < 0 {
			return 0, "", errors.New("unsubscribe: the raw message has no end to its header")
		}
		line := raw[i : i+nl]
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			if i == 0 {
				return 0, "", errors.New("unsubscribe: the raw message has no header")
			}
			eol := "\n"
			if len(line) == 1 {
				eol = "\r\n"
			}
			return i, eol, nil
		}
		i += nl + 1
	}
	return 0, "", errors.New("unsubscribe: the raw message has no end to its header")
}

// appendFolded appends the field name: value to dst, folded at the
// commas of value, each line ended by eol.
func appendFolded(dst []byte, name, value, eol string) ([]byte, error) {
	line := len(name) + 1
	dst = append(dst, name...)
	dst = append(dst, ':')
	parts := strings.Split(value, ", ")
	for i, p := range parts {
		if i < len(parts)-1 {
			p += ","
		}
		if line+1+len(p) > foldLen && line > len(name)+1 {
			dst = append(dst, eol...)
			line = 0
		}
		if line+1+len(p) > maxLine {
			return nil, fmt.Errorf("unsubscribe: a URI of %d characters does not fit in a header line", len(p))
		}
		dst = append(dst, ' ')
		dst = append(dst, p...)
		line += 1 + len(p)
	}
	return append(dst, eol...), nil
}
