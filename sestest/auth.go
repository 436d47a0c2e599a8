package sestest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The checks of AWS Signature Version 4 that a server with
// Options.RequireSignature makes, with the errors SES answers.

const sigV4Algorithm = "AWS4-HMAC-SHA256"

func forbidden(code, message string) *apiError {
	return &apiError{status: http.StatusForbidden, code: code, message: message}
}

var (
	errMissingToken = forbidden("MissingAuthenticationTokenException", "Missing Authentication Token")
	errBadSignature = forbidden("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	errUnknownKey   = forbidden("UnrecognizedClientException", "The security token included in the request is invalid.")
)

// sigV4 is the parsed Authorization header of a signed request.
type sigV4 struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        string
}

func parseAuthorization(h string) (sigV4, *apiError) {
	rest, ok := strings.CutPrefix(h, sigV4Algorithm+" ")
	if !ok {
		return sigV4{}, forbidden("IncompleteSignatureException", "Authorization header requires the "+sigV4Algorithm+" algorithm.")
	}
	var v sigV4
	for _, part := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(val, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return sigV4{}, forbidden("IncompleteSignatureException", "Credential should be of the form <key>/<date>/<region>/<service>/aws4_request.")
			}
			v.accessKey, v.date, v.region, v.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			v.signedHeaders = strings.Split(val, ";")
		case "Signature":
			v.signature = val
		}
	}
	if v.accessKey == "" || len(v.signedHeaders) == 0 || v.signature == "" {
		return sigV4{}, forbidden("IncompleteSignatureException", "Authorization header requires Credential, SignedHeaders and Signature.")
	}
	return v, nil
}

// authenticate checks r's signature when the server requires one.
func (s *Server) authenticate(r *http.Request, body []byte) *apiError {
	if !s.opts.RequireSignature {
		return nil
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return errMissingToken
	}
	v, err := parseAuthorization(h)
	if err != nil {
		return err
	}
	secret, ok := s.opts.Credentials[v.accessKey]
	if !ok {
		return errUnknownKey
	}
	if v.service != "ses" || v.region != s.opts.Region {
		return forbidden("InvalidSignatureException", "Credential should be scoped to a valid region and to the service ses, not '"+v.region+"/"+v.service+"'.")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if !slices.Contains(v.signedHeaders, "host") || !strings.HasPrefix(amzDate, v.date) {
		return forbidden("IncompleteSignatureException", "The request must sign the host header and carry an X-Amz-Date of the credential's date.")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	canonical := strings.Join([]string{
		r.Method,
		escapeRFC3986(r.URL.EscapedPath(), false),
		canonicalQuery(r.URL.Query()),
		canonicalHeaders(r, v.signedHeaders),
		strings.Join(v.signedHeaders, ";"),
		payload,
	}, "\n")
	scope := v.date + "/" + v.region + "/" + v.service + "/aws4_request"
	digest := sha256.Sum256([]byte(canonical))
	toSign := sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(digest[:])
	key := []byte("AWS4" + secret)
	for _, part := range []string{v.date, v.region, v.service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(v.signature)) {
		return errBadSignature
	}
	return nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func canonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	for _, name := range names {
		var values []string
		switch name {
		case "host":
			values = []string{r.Host}
		case "content-length":
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		default:
			values = r.Header.Values(name)
		}
		for i, v := range values {
			values[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}
	return b.String()
}

func canonicalQuery(q url.Values) string {
	pairs := make([]string, 0, len(q))
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, escapeRFC3986(k, true)+"="+escapeRFC3986(v, true))
		}
	}
	slices.Sort(pairs)
	return strings.Join(pairs, "&")
}

// escapeRFC3986 percent-encodes every byte but the unreserved characters
// (and '/' unless slash is set), as SigV4 wants.
func escapeRFC3986(s string, slash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' && !slash {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}
