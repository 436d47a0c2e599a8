package unsubscribe

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"
)

// The errors of [Keys.Parse] and [Keys.Issue]. Every error Parse returns
// wraps ErrInvalidToken, and one of ErrMalformed, ErrUnknownKey or
// ErrForged, so that a caller can tell a mangled link from a forged one.
var (
	ErrInvalidToken = errors.New("unsubscribe: invalid token")
	ErrMalformed    = errors.New("unsubscribe: malformed token")
	ErrUnknownKey   = errors.New("unsubscribe: token signed with an unknown key")
	ErrForged       = errors.New("unsubscribe: token fails authentication")
	ErrExpired      = errors.New("unsubscribe: token expired")
)

// Limits of a token's contents and of a key.
const (
	MinSecretLen = 32  // octets of a Key's Secret, at least
	MaxKeyIDLen  = 16  // octets of a Key's ID, at most
	MaxAddrLen   = 254 // octets of an address (RFC 5321)
	MaxListLen   = 255 // octets of a list name
)

const (
	version = 1
	ivLen   = aes.BlockSize
	tagLen  = sha256.Size
	timeLen = 8
	// maxTokenLen bounds the encoded tokens Parse reads: the longest a
	// token with the longest key id, address and list can be.
	maxTokenLen = (2+MaxKeyIDLen+ivLen+timeLen+1+MaxAddrLen+MaxListLen+tagLen)*4/3 + 4
)

// enc is the encoding of tokens: base64url without padding, so that a
// token needs no escaping in a URL or a header, and strict, so that one
// token has one spelling.
var enc = base64.RawURLEncoding.Strict()

// Key is one secret that signs or verifies tokens. ID names it inside
// every token it signs, so that tokens signed before a rotation still
// verify: 1 to [MaxKeyIDLen] octets of letters, digits, '.', '_' or '-'
// (a date such as "2026-11" makes a good id). Secret is at least
// [MinSecretLen] random octets, kept as secret as a password.
type Key struct {
	ID     string
	Secret []byte
}

// Token is what a valid token says: the address that may unsubscribe, the
// list it unsubscribes from, when the token was issued and which key
// signed it.
type Token struct {
	Address  string    // canonical form, as issued
	List     string    // the list's name
	IssuedAt time.Time // to the second, in UTC
	KeyID    string    // the ID of the Key that signed it
}

// key is a Key ready for use: the AES block for the address and the HMAC
// key, both derived from the secret with HKDF-SHA256.
type key struct {
	id    string
	block cipher.Block
	macs  sync.Pool // of hash.Hash: HMAC-SHA256 under the derived key
}

// mac returns an HMAC-SHA256 under k's key, reset; put it back with
// k.macs.Put when done. Reusing one keeps its precomputed pads.
func (k *key) mac() hash.Hash {
	h := k.macs.Get().(hash.Hash)
	h.Reset()
	return h
}

// Keys issues and verifies unsubscribe tokens. A token is opaque: its
// address, list and issue time are encrypted (AES-256-CTR under a random
// IV) and the whole is authenticated with HMAC-SHA256 (encrypt-then-MAC,
// both keys derived from the Key's secret by HKDF-SHA256). Nobody who
// holds a link can read the address in it or make a token for another
// address or list.
//
// One key signs; every key given verifies. To rotate, put the new key
// first and keep the old ones after it for as long as links signed with
// them should work — unsubscribe links must not rot, so keep them for
// good unless a key leaked.
//
// Keys is safe for concurrent use by multiple goroutines.
type Keys struct {
	signing *key
	byID    map[string]*key
}

// NewKeys returns Keys that sign with signing and verify with signing and
// every key of verifying. IDs must be distinct.
func NewKeys(signing Key, verifying ...Key) (*Keys, error) {
	k := &Keys{byID: make(map[string]*key, 1+len(verifying))}
	for i, kk := range append([]Key{signing}, verifying...) {
		prepared, err := prepare(kk)
		if err != nil {
			return nil, err
		}
		if _, dup := k.byID[kk.ID]; dup {
			return nil, fmt.Errorf("unsubscribe: two keys with the ID %q", kk.ID)
		}
		k.byID[kk.ID] = prepared
		if i == 0 {
			k.signing = prepared
		}
	}
	return k, nil
}

// ParseKeys reads keys written as "id:secret" pairs separated by commas,
// the secret in standard or URL-safe base64 (padded or not), the signing
// key first: the form to keep keys in an environment variable, e.g.
//
//	SESGUARD_UNSUBSCRIBE_KEYS=2026-11:3q2+7w…,2025-06:q83v…
func ParseKeys(s string) (*Keys, error) {
	var keys []Key
	for pair := range strings.SplitSeq(s, ",") {
		id, secret, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok {
			return nil, errors.New("unsubscribe: ParseKeys: a key is not written as id:secret")
		}
		b, err := decodeSecret(secret)
		if err != nil {
			return nil, fmt.Errorf("unsubscribe: ParseKeys: the secret of key %q is not base64", id)
		}
		keys = append(keys, Key{ID: id, Secret: b})
	}
	return NewKeys(keys[0], keys[1:]...)
}

func decodeSecret(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func prepare(k Key) (*key, error) {
	if k.ID == "" || len(k.ID) > MaxKeyIDLen || strings.IndexFunc(k.ID, badIDRune) >= 0 {
		return nil, fmt.Errorf("unsubscribe: key ID %q: want 1 to %d letters, digits, '.', '_' or '-'", k.ID, MaxKeyIDLen)
	}
	if len(k.Secret) < MinSecretLen {
		return nil, fmt.Errorf("unsubscribe: key %q: the secret has %d octets, fewer than %d", k.ID, len(k.Secret), MinSecretLen)
	}
	encKey, err := hkdf.Key(sha256.New, k.Secret, nil, "sesguard unsubscribe v1 encryption", 32)
	if err != nil {
		return nil, err
	}
	macKey, err := hkdf.Key(sha256.New, k.Secret, nil, "sesguard unsubscribe v1 authentication", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	kk := &key{id: k.ID, block: block}
	kk.macs.New = func() any { return hmac.New(sha256.New, macKey) }
	return kk, nil
}

func badIDRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
}

// SigningKeyID returns the ID of the key that signs new tokens.
func (k *Keys) SigningKeyID() string { return k.signing.id }

// Issue returns a token that lets addr unsubscribe from list, issued at
// at. addr should be in the canonical form the Client stores (see
// sesguard.Canonical); neither may be empty, addr may have at most
// [MaxAddrLen] octets and list at most [MaxListLen].
func (k *Keys) Issue(addr, list string, at time.Time) (string, error) {
	b, err := k.AppendToken(nil, addr, list, at)
	return string(b), err
}

// AppendToken appends the token Issue would return to dst.
func (k *Keys) AppendToken(dst []byte, addr, list string, at time.Time) ([]byte, error) {
	switch {
	case addr == "" || len(addr) > MaxAddrLen:
		return dst, fmt.Errorf("unsubscribe: an address of %d octets; want 1 to %d", len(addr), MaxAddrLen)
	case list == "" || len(list) > MaxListLen:
		return dst, fmt.Errorf("unsubscribe: a list name of %d octets; want 1 to %d", len(list), MaxListLen)
	}
	s := k.signing
	buf := getBuf()
	defer putBuf(buf)
	raw := append((*buf)[:0], version, byte(len(s.id)))
	raw = append(raw, s.id...)
	ivAt := len(raw)
	raw = append(raw, make([]byte, ivLen)...)
	rand.Read(raw[ivAt:])
	body := len(raw)
	raw = binary.BigEndian.AppendUint64(raw, uint64(at.Unix()))
	raw = append(raw, byte(len(addr)))
	raw = append(raw, addr...)
	raw = append(raw, list...)
	cipher.NewCTR(s.block, raw[ivAt:body]).XORKeyStream(raw[body:], raw[body:])
	mac := s.mac()
	mac.Write(raw)
	raw = mac.Sum(raw)
	s.macs.Put(mac)
	*buf = raw
	return enc.AppendEncode(dst, raw), nil
}

// bufs holds scratch buffers for tokens and header values, large enough
// for the longest token, so that issuing one allocates only what it
// returns.
var bufs = sync.Pool{New: func() any {
	b := make([]byte, 0, 2*maxTokenLen)
	return &b
}}

func getBuf() *[]byte  { return bufs.Get().(*[]byte) }
func putBuf(b *[]byte) { bufs.Put(b) }

// rawLen is the length of a token before encoding.
func rawLen(idLen, addrLen, listLen int) int {
	return 2 + idLen + ivLen + timeLen + 1 + addrLen + listLen + tagLen
}

// TokenLen returns the length of the tokens k issues for an address of
// addrLen octets and a list of listLen.
func (k *Keys) TokenLen(addrLen, listLen int) int {
	return enc.EncodedLen(rawLen(len(k.signing.id), addrLen, listLen))
}

// Parse verifies tok and returns what it says. It never judges the
// token's age; see [Keys.ParseAt] for that.
func (k *Keys) Parse(tok string) (Token, error) {
	return k.ParseAt(tok, time.Time{}, 0)
}

// ParseAt verifies tok as Parse does and, when maxAge is positive, refuses
// it with an error wrapping [ErrExpired] once more than maxAge has passed
// between its issue and now.
func (k *Keys) ParseAt(tok string, now time.Time, maxAge time.Duration) (Token, error) {
	if len(tok) > maxTokenLen {
		return Token{}, invalid(ErrMalformed, "too long")
	}
	raw, err := enc.DecodeString(tok)
	if err != nil {
		return Token{}, invalid(ErrMalformed, "not base64url")
	}
	if len(raw) < 2 || raw[0] != version {
		return Token{}, invalid(ErrMalformed, "unknown version")
	}
	idLen := int(raw[1])
	body := 2 + idLen + ivLen
	if idLen == 0 || idLen > MaxKeyIDLen || len(raw) < body+timeLen+1+tagLen {
		return Token{}, invalid(ErrMalformed, "too short")
	}
	s, ok := k.byID[string(raw[2:2+idLen])]
	if !ok {
		return Token{}, invalid(ErrUnknownKey, "")
	}
	end := len(raw) - tagLen
	mac := s.mac()
	mac.Write(raw[:end])
	var sum [tagLen]byte
	ok = hmac.Equal(mac.Sum(sum[:0]), raw[end:])
	s.macs.Put(mac)
	if !ok {
		return Token{}, invalid(ErrForged, "")
	}
	plain := raw[body:end]
	cipher.NewCTR(s.block, raw[2+idLen:body]).XORKeyStream(plain, plain)
	issued := time.Unix(int64(binary.BigEndian.Uint64(plain)), 0).UTC()
	plain = plain[timeLen:]
	addrLen := int(plain[0])
	plain = plain[1:]
	// An authenticated token was made by Issue, whose lengths hold; a
	// key shared with other software could still sign something else.
	if addrLen == 0 || addrLen >= len(plain) || len(plain)-addrLen > MaxListLen {
		return Token{}, invalid(ErrMalformed, "bad lengths")
	}
	t := Token{Address: string(plain[:addrLen]), List: string(plain[addrLen:]), IssuedAt: issued, KeyID: s.id}
	if maxAge > 0 && now.Sub(issued) > maxAge {
		return t, fmt.Errorf("%w: %w: issued %s", ErrInvalidToken, ErrExpired, issued.Format(time.RFC3339))
	}
	return t, nil
}

func invalid(kind error, detail string) error {
	if detail == "" {
		return fmt.Errorf("%w: %w", ErrInvalidToken, kind)
	}
	return fmt.Errorf("%w: %w: %s", ErrInvalidToken, kind, detail)
}
