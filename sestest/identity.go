package sestest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Identity is a sending identity as SES keeps it: an email address or a
// domain, its verification, its DKIM signing and its custom MAIL FROM
// domain. The zero value of every status is SES's state of a fully set up
// identity, so Identity{Name: "example.com"} is verified and signs with
// Easy DKIM.
type Identity struct {
	// Name is the email address or the domain.
	Name string

	// VerificationStatus is "SUCCESS" (default), "PENDING", "FAILED",
	// "TEMPORARY_FAILURE" or "NOT_STARTED". Only a SUCCESS identity may
	// send.
	VerificationStatus string

	// DKIMStatus is the Easy DKIM status of a domain: "SUCCESS" (default),
	// "PENDING", "FAILED", "TEMPORARY_FAILURE" or "NOT_STARTED". An email
	// address identity reports NOT_STARTED unless set.
	DKIMStatus string

	// DKIMTokens are the three Easy DKIM tokens: the DNS names
	// <token>._domainkey.<domain> must be CNAMEs of
	// <token>.dkim.amazonses.com. Default: three tokens derived from Name.
	DKIMTokens []string

	// MailFromDomain is the custom MAIL FROM domain, "" for none (SES's
	// own amazonses.com).
	MailFromDomain string

	// MailFromStatus is the custom MAIL FROM domain's status: "SUCCESS"
	// (default), "PENDING", "FAILED" or "TEMPORARY_FAILURE".
	MailFromStatus string

	// ConfigurationSet is the identity's default configuration set.
	ConfigurationSet string
}

func (id Identity) isDomain() bool { return !strings.Contains(id.Name, "@") }

// withDefaults fills in the zero values.
func (id Identity) withDefaults() Identity {
	id.Name = canonicalKey(id.Name)
	if id.VerificationStatus == "" {
		id.VerificationStatus = "SUCCESS"
	}
	if id.DKIMStatus == "" {
		id.DKIMStatus = "SUCCESS"
		if !id.isDomain() {
			id.DKIMStatus = "NOT_STARTED"
		}
	}
	if id.MailFromDomain != "" && id.MailFromStatus == "" {
		id.MailFromStatus = "SUCCESS"
	}
	if len(id.DKIMTokens) == 0 && id.isDomain() {
		id.DKIMTokens = dkimTokens(id.Name)
	}
	id.DKIMTokens = slices.Clone(id.DKIMTokens)
	return id
}

// Tokens returns the identity's Easy DKIM tokens: DKIMTokens, or the
// three that the server derives from a domain's name when it has none.
func (id Identity) Tokens() []string { return id.withDefaults().DKIMTokens }

// dkimTokens derives three stable, token-shaped names from a domain.
func dkimTokens(domain string) []string {
	tokens := make([]string, 3)
	for i := range tokens {
		h := uint64(14695981039346656037)
		for _, c := range []byte(domain) {
			h = (h ^ uint64(c)) * 1099511628211
		}
		h = (h ^ uint64(i+1)) * 1099511628211
		const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
		b := make([]byte, 32)
		for j := range b {
			b[j] = alphabet[h%32]
			h = h*6364136223846793005 + 1442695040888963407
		}
		tokens[i] = string(b)
	}
	return tokens
}

// SetIdentity adds or replaces the sending identity id.Name. An identity
// whose VerificationStatus is SUCCESS may send, like one in
// [Account.VerifiedIdentities].
func (s *Server) SetIdentity(id Identity) {
	id = id.withDefaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.identities[id.Name] = &id
}

// verifiedIdentitiesLocked is every identity that may send: the account's
// VerifiedIdentities and the SUCCESS identities. It must be called with s.mu
// held.
func (s *Server) verifiedIdentitiesLocked() []string {
	ids := slices.Clone(s.account.VerifiedIdentities)
	for _, id := range s.identities {
		if id.VerificationStatus == "SUCCESS" {
			ids = append(ids, id.Name)
		}
	}
	return ids
}

// identityLocked returns the identity called name: one set with
// SetIdentity or CreateEmailIdentity, or a verified one from the account.
func (s *Server) identityLocked(name string) (Identity, bool) {
	key := canonicalKey(name)
	if id, ok := s.identities[key]; ok {
		return *id, true
	}
	for _, v := range s.account.VerifiedIdentities {
		if canonicalKey(v) == key {
			return Identity{Name: key}.withDefaults(), true
		}
	}
	return Identity{}, false
}

// allIdentitiesLocked lists every identity in name order.
func (s *Server) allIdentitiesLocked() []Identity {
	seen := map[string]bool{}
	var all []Identity
	for _, id := range s.identities {
		seen[id.Name] = true
		all = append(all, *id)
	}
	for _, v := range s.account.VerifiedIdentities {
		if key := canonicalKey(v); !seen[key] {
			seen[key] = true
			all = append(all, Identity{Name: key}.withDefaults())
		}
	}
	slices.SortFunc(all, func(a, b Identity) int { return strings.Compare(a.Name, b.Name) })
	return all
}

func identityType(id Identity) string {
	if id.isDomain() {
		return "DOMAIN"
	}
	return "EMAIL_ADDRESS"
}

type dkimAttributes struct {
	SigningEnabled          bool     `json:"SigningEnabled"`
	Status                  string   `json:"Status"`
	Tokens                  []string `json:"Tokens,omitempty"`
	SigningAttributesOrigin string   `json:"SigningAttributesOrigin"`
}

func dkimOf(id Identity) dkimAttributes {
	d := dkimAttributes{Status: id.DKIMStatus, Tokens: id.DKIMTokens, SigningAttributesOrigin: "AWS_SES"}
	d.SigningEnabled = id.isDomain() && id.DKIMStatus == "SUCCESS"
	return d
}

type createIdentityRequest struct {
	EmailIdentity        *string `json:"EmailIdentity"`
	ConfigurationSetName *string `json:"ConfigurationSetName"`
}

// createEmailIdentity adds an identity. The emulator has no mailbox or DNS
// to wait for: the identity is verified at once.
func (s *Server) createEmailIdentity(w http.ResponseWriter, _ *http.Request, body []byte) *apiError {
	var req createIdentityRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	name, err := requireString(req.EmailIdentity, "EmailIdentity")
	if err != nil {
		return err
	}
	if strings.Contains(name, "@") {
		if bare, perr := parseAddress(name); perr != nil || bare != name {
			return badRequest("EmailIdentity: invalid email address %q", truncate(name, 64))
		}
	}
	id := Identity{Name: name, ConfigurationSet: deref(req.ConfigurationSetName)}.withDefaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.identityLocked(name); ok {
		return alreadyExists("Email identity %s already exist.", name)
	}
	s.identities[id.Name] = &id
	return writeJSON(w, struct {
		IdentityType             string         `json:"IdentityType"`
		VerifiedForSendingStatus bool           `json:"VerifiedForSendingStatus"`
		DkimAttributes           dkimAttributes `json:"DkimAttributes"`
	}{identityType(id), true, dkimOf(id)})
}

type identitySummary struct {
	IdentityType       string `json:"IdentityType"`
	IdentityName       string `json:"IdentityName"`
	SendingEnabled     bool   `json:"SendingEnabled"`
	VerificationStatus string `json:"VerificationStatus"`
}

func (s *Server) listEmailIdentities(w http.ResponseWriter, r *http.Request, body []byte) *apiError {
	s.mu.Lock()
	all := s.allIdentitiesLocked()
	s.mu.Unlock()
	names := make([]string, len(all))
	for i, id := range all {
		names[i] = id.Name
	}
	lo, hi, next, err := page(r, body, names)
	if err != nil {
		return err
	}
	out := make([]identitySummary, 0, hi-lo)
	for _, id := range all[lo:hi] {
		out = append(out, identitySummary{IdentityType: identityType(id), IdentityName: id.Name,
			SendingEnabled: id.VerificationStatus == "SUCCESS", VerificationStatus: id.VerificationStatus})
	}
	return writeJSON(w, struct {
		EmailIdentities []identitySummary `json:"EmailIdentities"`
		NextToken       string            `json:"NextToken,omitempty"`
	}{out, next})
}

type mailFromAttributes struct {
	MailFromDomain       string `json:"MailFromDomain"`
	MailFromDomainStatus string `json:"MailFromDomainStatus"`
	BehaviorOnMxFailure  string `json:"BehaviorOnMxFailure"`
}

func (s *Server) getEmailIdentity(w http.ResponseWriter, _ *http.Request, _ []byte, params []string) *apiError {
	s.mu.Lock()
	id, ok := s.identityLocked(params[0])
	s.mu.Unlock()
	if !ok {
		return notFound("Email identity %s does not exist.", params[0])
	}
	resp := struct {
		IdentityType             string              `json:"IdentityType"`
		FeedbackForwardingStatus bool                `json:"FeedbackForwardingStatus"`
		VerifiedForSendingStatus bool                `json:"VerifiedForSendingStatus"`
		VerificationStatus       string              `json:"VerificationStatus"`
		DkimAttributes           dkimAttributes      `json:"DkimAttributes"`
		MailFromAttributes       *mailFromAttributes `json:"MailFromAttributes,omitempty"`
		Policies                 map[string]string   `json:"Policies"`
		Tags                     []messageTag        `json:"Tags"`
		ConfigurationSetName     string              `json:"ConfigurationSetName,omitempty"`
	}{
		IdentityType:             identityType(id),
		FeedbackForwardingStatus: true,
		VerifiedForSendingStatus: id.VerificationStatus == "SUCCESS",
		VerificationStatus:       id.VerificationStatus,
		DkimAttributes:           dkimOf(id),
		Policies:                 map[string]string{},
		Tags:                     []messageTag{},
		ConfigurationSetName:     id.ConfigurationSet,
	}
	if id.MailFromDomain != "" {
		resp.MailFromAttributes = &mailFromAttributes{MailFromDomain: id.MailFromDomain,
			MailFromDomainStatus: id.MailFromStatus, BehaviorOnMxFailure: "USE_DEFAULT_VALUE"}
	}
	return writeJSON(w, resp)
}

func (s *Server) deleteEmailIdentity(w http.ResponseWriter, _ *http.Request, _ []byte, params []string) *apiError {
	key := canonicalKey(params[0])
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.identityLocked(key); !ok {
		return notFound("Email identity %s does not exist.", params[0])
	}
	delete(s.identities, key)
	s.account.VerifiedIdentities = slices.DeleteFunc(s.account.VerifiedIdentities, func(v string) bool { return canonicalKey(v) == key })
	return writeJSON(w, struct{}{})
}

// page cuts one page out of names, sorted, by the request's NextToken and
// PageSize (default and most 1000), from the query of a GET or the JSON
// body of a POST (SDKs since 2025 list identities and configuration sets
// with POST /v2/email/list-...): the page is names[lo:hi], and next is the
// NextToken of the page after it, "" at the end.
func page(r *http.Request, body []byte, names []string) (lo, hi int, next string, err *apiError) {
	q := r.URL.Query()
	token, sizeText := q.Get("NextToken"), q.Get("PageSize")
	if r.Method == http.MethodPost && len(body) > 0 {
		var req struct {
			NextToken *string `json:"NextToken"`
			PageSize  *int    `json:"PageSize"`
		}
		if err := decodeJSON(body, &req); err != nil {
			return 0, 0, "", err
		}
		token = deref(req.NextToken)
		if req.PageSize != nil {
			sizeText = fmt.Sprint(*req.PageSize)
		}
	}
	size := listPageSize
	if v := sizeText; v != "" {
		var n int
		if jerr := json.Unmarshal([]byte(v), &n); jerr != nil || n < 1 || n > listPageSize {
			return 0, 0, "", badRequest("invalid PageSize %q: want 1 to %d", truncate(v, 20), listPageSize)
		}
		size = n
	}
	if v := token; v != "" {
		after, derr := decodeToken(v)
		if derr != nil {
			return 0, 0, "", derr
		}
		lo, _ = slices.BinarySearch(names, after)
		for lo < len(names) && names[lo] <= after {
			lo++
		}
	}
	hi = min(lo+size, len(names))
	if hi < len(names) {
		next = encodeToken(names[hi-1])
	}
	return lo, hi, next, nil
}

func alreadyExists(format string, args ...any) *apiError {
	e := badRequest(format, args...)
	e.code = "AlreadyExistsException"
	return e
}
