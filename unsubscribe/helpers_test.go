package unsubscribe_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/unsubscribe"
)

// secret returns a 32-octet secret filled with b.
func secret(b byte) []byte { return bytes.Repeat([]byte{b}, unsubscribe.MinSecretLen) }

func newKeys(t testing.TB, signing unsubscribe.Key, verifying ...unsubscribe.Key) *unsubscribe.Keys {
	t.Helper()
	k, err := unsubscribe.NewKeys(signing, verifying...)
	require.NoError(t, err)
	return k
}
