package unsubscribe_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/unsubscribe"
)

var issued = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestTokenRoundTrip(t *testing.T) {
	keys := newKeys(t, unsubscribe.Key{ID: "k1", Secret: secret(1)})
	for _, tc := range []struct{ name, addr, list string }{
		{"plain", "bob@example.com", "newsletter"},
		{"unicode", "jöran@bücher.example", "Wöchentlich / Angebote"},
		{"longest", strings.Repeat("a", 64) + "@" + strings.Repeat("d", 189), strings.Repeat("l", unsubscribe.MaxListLen)},
		{"list with separators", "a@b.c", "ses-list:x/y,z\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := keys.Issue(tc.addr, tc.list, issued)
			require.NoError(t, err)
			assert.NotContains(t, tok, tc.addr, "the address must not be in clear")
			assert.NotContains(t, tok, base64.RawURLEncoding.EncodeToString([]byte(tc.addr)))
			got, err := keys.Parse(tok)
			require.NoError(t, err)
			assert.Equal(t, unsubscribe.Token{Address: tc.addr, List: tc.list, IssuedAt: issued, KeyID: "k1"}, got)
		})
	}
}

func TestTokenIsOpaqueAndFresh(t *testing.T) {
	keys := newKeys(t, unsubscribe.Key{ID: "k1", Secret: secret(1)})
	a, err := keys.Issue("bob@example.com", "news", issued)
	require.NoError(t, err)
	b, err := keys.Issue("bob@example.com", "news", issued)
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "two tokens for one address and list must not be linkable")
	assert.Len(t, a, len(b))
}

func TestTokenRefused(t *testing.T) {
	k1 := unsubscribe.Key{ID: "k1", Secret: secret(1)}
	k2 := unsubscribe.Key{ID: "k2", Secret: secret(2)}
	keys := newKeys(t, k1)
	tok, err := keys.Issue("bob@example.com", "news", issued)
	require.NoError(t, err)
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	require.NoError(t, err)

	t.Run("every byte tampered", func(t *testing.T) {
		for i := range raw {
			for _, flip := range []byte{0x01, 0x80, 0xff} {
				b := append([]byte(nil), raw...)
				b[i] ^= flip
				_, err := keys.Parse(base64.RawURLEncoding.EncodeToString(b))
				require.ErrorIs(t, err, unsubscribe.ErrInvalidToken, "byte %d ^ %#x accepted", i, flip)
			}
		}
	})
	t.Run("every prefix", func(t *testing.T) {
		for n := range len(tok) {
			_, err := keys.Parse(tok[:n])
			require.ErrorIs(t, err, unsubscribe.ErrInvalidToken, "prefix of %d accepted", n)
		}
	})
	t.Run("one byte more", func(t *testing.T) {
		_, err := keys.Parse(base64.RawURLEncoding.EncodeToString(append(raw, 0)))
		require.ErrorIs(t, err, unsubscribe.ErrForged)
	})
	t.Run("wrong key with the same id", func(t *testing.T) {
		other := newKeys(t, unsubscribe.Key{ID: "k1", Secret: secret(9)})
		_, err := other.Parse(tok)
		require.ErrorIs(t, err, unsubscribe.ErrForged)
	})
	t.Run("foreign key", func(t *testing.T) {
		_, err := newKeys(t, k2).Parse(tok)
		require.ErrorIs(t, err, unsubscribe.ErrUnknownKey)
	})
	t.Run("other address or list spliced in", func(t *testing.T) {
		// The ciphertext of another token under the same key and IV
		// cannot be swapped in: the tag covers it.
		other, err := keys.Issue("eve@example.com", "sale", issued)
		require.NoError(t, err)
		o, _ := base64.RawURLEncoding.DecodeString(other)
		spliced := append(append([]byte(nil), raw[:len(raw)-32]...), o[len(o)-32:]...)
		_, err = keys.Parse(base64.RawURLEncoding.EncodeToString(spliced))
		require.ErrorIs(t, err, unsubscribe.ErrForged)
		got, err := keys.Parse(other)
		require.NoError(t, err)
		assert.Equal(t, "eve@example.com", got.Address)
		assert.Equal(t, "sale", got.List)
	})
	t.Run("non-canonical base64", func(t *testing.T) {
		// The last character of an unpadded encoding carries spare bits;
		// setting them is another spelling of the same bytes.
		last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", tok[len(tok)-1])
		if len(raw)%3 == 0 {
			t.Skip("this token's length leaves no spare bits")
		}
		alt := tok[:len(tok)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last|1])
		if alt == tok {
			alt = tok[:len(tok)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last&^1])
		}
		_, err := keys.Parse(alt)
		require.ErrorIs(t, err, unsubscribe.ErrInvalidToken)
	})
	for _, tc := range []struct{ name, tok string }{
		{"empty", ""},
		{"padding", tok + "=="},
		{"standard base64", strings.NewReplacer("-", "+", "_", "/").Replace(tok) + "+/"},
		{"space", " " + tok},
		{"huge", strings.Repeat("A", 1<<16)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keys.Parse(tc.tok)
			require.ErrorIs(t, err, unsubscribe.ErrMalformed)
		})
	}
}

func TestTokenKeyRotation(t *testing.T) {
	old := unsubscribe.Key{ID: "2025-06", Secret: secret(1)}
	cur := unsubscribe.Key{ID: "2026-11", Secret: secret(2)}
	before := newKeys(t, old)
	oldTok, err := before.Issue("bob@example.com", "news", issued)
	require.NoError(t, err)

	after := newKeys(t, cur, old)
	assert.Equal(t, "2026-11", after.SigningKeyID())
	got, err := after.Parse(oldTok)
	require.NoError(t, err, "a token signed before the rotation must still verify")
	assert.Equal(t, "2025-06", got.KeyID)

	newTok, err := after.Issue("bob@example.com", "news", issued)
	require.NoError(t, err)
	got, err = after.Parse(newTok)
	require.NoError(t, err)
	assert.Equal(t, "2026-11", got.KeyID)
	_, err = before.Parse(newTok)
	require.ErrorIs(t, err, unsubscribe.ErrUnknownKey)

	retired := newKeys(t, cur)
	_, err = retired.Parse(oldTok)
	require.ErrorIs(t, err, unsubscribe.ErrUnknownKey, "a dropped key no longer verifies")
}

func TestTokenExpiry(t *testing.T) {
	keys := newKeys(t, unsubscribe.Key{ID: "k", Secret: secret(1)})
	tok, err := keys.Issue("bob@example.com", "news", issued)
	require.NoError(t, err)

	_, err = keys.ParseAt(tok, issued.Add(10*365*24*time.Hour), 0)
	require.NoError(t, err, "without a MaxAge a token never expires")
	_, err = keys.ParseAt(tok, issued.Add(30*24*time.Hour), 30*24*time.Hour)
	require.NoError(t, err, "a token exactly MaxAge old is still good")
	_, err = keys.ParseAt(tok, issued.Add(30*24*time.Hour+time.Second), 30*24*time.Hour)
	require.ErrorIs(t, err, unsubscribe.ErrExpired)
	require.ErrorIs(t, err, unsubscribe.ErrInvalidToken)
}

func TestNewKeysRefuses(t *testing.T) {
	good := unsubscribe.Key{ID: "k", Secret: secret(1)}
	for _, tc := range []struct {
		name string
		keys []unsubscribe.Key
	}{
		{"short secret", []unsubscribe.Key{{ID: "k", Secret: secret(1)[:31]}}},
		{"empty id", []unsubscribe.Key{{ID: "", Secret: secret(1)}}},
		{"long id", []unsubscribe.Key{{ID: strings.Repeat("k", 17), Secret: secret(1)}}},
		{"id with a colon", []unsubscribe.Key{{ID: "a:b", Secret: secret(1)}}},
		{"duplicate id", []unsubscribe.Key{good, {ID: "k", Secret: secret(2)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := unsubscribe.NewKeys(tc.keys[0], tc.keys[1:]...)
			require.Error(t, err)
		})
	}
}

func TestIssueRefuses(t *testing.T) {
	keys := newKeys(t, unsubscribe.Key{ID: "k", Secret: secret(1)})
	for _, tc := range []struct{ name, addr, list string }{
		{"empty address", "", "news"},
		{"empty list", "a@b.c", ""},
		{"long address", strings.Repeat("a", 255), "news"},
		{"long list", "a@b.c", strings.Repeat("l", 256)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keys.Issue(tc.addr, tc.list, issued)
			require.Error(t, err)
		})
	}
}

func TestParseKeys(t *testing.T) {
	s1 := base64.StdEncoding.EncodeToString(secret(0xfb))
	s2 := base64.RawURLEncoding.EncodeToString(secret(0xfe))
	keys, err := unsubscribe.ParseKeys("new:" + s1 + ", old:" + s2)
	require.NoError(t, err)
	assert.Equal(t, "new", keys.SigningKeyID())

	old := newKeys(t, unsubscribe.Key{ID: "old", Secret: secret(0xfe)})
	tok, err := old.Issue("a@b.c", "l", issued)
	require.NoError(t, err)
	_, err = keys.Parse(tok)
	require.NoError(t, err)

	for _, bad := range []string{"", "new", "new:!!", "new:" + s1[:20]} {
		_, err := unsubscribe.ParseKeys(bad)
		require.Error(t, err, "%q", bad)
	}
}
