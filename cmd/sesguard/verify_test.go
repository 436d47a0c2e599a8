package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	addr := dnsServer(t, zone{
		"example.com.": {rr(t, `example.com. 300 IN MX 10 mx.example.com.`)},
		"nomail.test.": {rr(t, `nomail.test. 300 IN MX 0 .`)},
	})
	args := []string{"verify", "--dns", addr, "bob@example.com", "bob@gmial.com", "not an address", "x@nomail.test", "postmaster@example.com"}
	r := run(t, "", args...)
	assert.Equal(t, exitFailure, r.code, "invalid addresses exit 1")
	golden(t, "verify.txt", r.stdout)

	r = run(t, "", append(args, "--json")...)
	assert.Equal(t, exitFailure, r.code)
	golden(t, "verify.json", r.stdout)
	var got []verdict
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	require.Len(t, got, 5)
	assert.Equal(t, "valid", got[0].Verdict)
	assert.Equal(t, "bob@gmail.com", got[1].Suggestion)
	assert.Equal(t, "invalid", got[2].Verdict)
	assert.Equal(t, "null_mx", got[3].Reason)
	assert.Contains(t, got[4].Flags, "role")

	r = run(t, "", "verify", "--dns", addr, "bob@example.com")
	assert.Equal(t, exitOK, r.code, r.stdout+r.stderr)
}

// TestVerifyFile reads addresses from a file and from standard input, in
// order, skipping blank lines and comments.
func TestVerifyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	require.NoError(t, os.WriteFile(path, []byte("# signups\na@example.com\n\nb@example.com\n"), 0o644))
	for _, args := range [][]string{{"--file", path}, {"--file", "-"}} {
		r := run(t, "a@example.com\n\nb@example.com\n", append([]string{"verify", "--offline", "--json"}, args...)...)
		require.Equal(t, exitOK, r.code, r.stderr)
		var got []verdict
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
		require.Len(t, got, 2)
		assert.Equal(t, "a@example.com", got[0].Address)
		assert.Equal(t, "b@example.com", got[1].Address)
		assert.Empty(t, r.stderr, "no progress bar when stderr is not a terminal")
	}
}

// TestUsage: usage errors exit 2 and say what is wrong; --help exits 0.
func TestUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown command":   {"frobnicate"},
		"unknown flag":      {"doctor", "--frob"},
		"extra argument":    {"doctor", "extra"},
		"bad flag value":    {"verify", "--workers", "many", "a@example.com"},
		"emulator argument": {"emulator", "now"},
	} {
		t.Run(name, func(t *testing.T) {
			r := run(t, "", args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, "sesguard: ")
			assert.Contains(t, r.stderr, "--help")
			assert.Empty(t, r.stdout)
		})
	}
	r := run(t, "", "--help")
	assert.Equal(t, exitOK, r.code)
	for _, cmd := range []string{"doctor", "verify", "emulator"} {
		assert.Contains(t, r.stdout, cmd)
	}
	r = run(t, "", "verify")
	assert.Equal(t, exitUsage, r.code, "verify without addresses")
}
