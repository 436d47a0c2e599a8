package unsubscribe_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/unsubscribe"
)

// FuzzParseUnsubscribeToken feeds Parse arbitrary strings. It must never
// panic, and it may accept only what Issue made: an accepted token says
// what one of the seeds says. (Tokens carry a random IV, so each fuzzing
// process issues seeds of its own spelling; their content is the same.)
func FuzzParseUnsubscribeToken(f *testing.F) {
	keys, err := unsubscribe.NewKeys(unsubscribe.Key{ID: "fuzz", Secret: secret(7)}, unsubscribe.Key{ID: "old", Secret: secret(8)})
	if err != nil {
		f.Fatal(err)
	}
	old, err := unsubscribe.NewKeys(unsubscribe.Key{ID: "old", Secret: secret(8)})
	if err != nil {
		f.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	seeds := map[unsubscribe.Token]bool{}
	for _, s := range []struct {
		keys       *unsubscribe.Keys
		addr, list string
	}{
		{keys, "bob@example.com", "news"},
		{keys, "a@b", "l"},
		{old, "jöran@bücher.example", "Wöchentlich"},
	} {
		tok, err := s.keys.Issue(s.addr, s.list, at)
		if err != nil {
			f.Fatal(err)
		}
		seeds[unsubscribe.Token{Address: s.addr, List: s.list, IssuedAt: at, KeyID: s.keys.SigningKeyID()}] = true
		f.Add(tok)
	}
	f.Add("")
	f.Add("AQRmdXp6")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := keys.Parse(tok)
		if err != nil {
			require.ErrorIs(t, err, unsubscribe.ErrInvalidToken)
			return
		}
		require.True(t, seeds[got], "accepted a token Issue never made: %q → %+v", tok, got)
	})
}
