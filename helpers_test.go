package sesguard

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sns"
)

// snsTestdata holds package sns's fixtures: real AWS-signed SNS messages
// (and forgeries of them in negative/) with their certificates in certs/.
var snsTestdata = filepath.Join("sns", "testdata")

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

// snsFixtures returns a certificate source that serves the fixtures'
// certificates and the test signer's.
func snsFixtures() *snstest.Source {
	return snstest.NewSigner().NewSource(filepath.Join(snsTestdata, "certs"))
}

// sign signs e with the test signer.
func sign(t testing.TB, e *sns.Envelope) {
	t.Helper()
	require.NoError(t, snstest.NewSigner().Sign(e))
}
