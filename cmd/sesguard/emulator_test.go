package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/sns"
)

// buildBinary builds the command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sesguard")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

// endpoint is an HTTP endpoint outside the emulator that keeps the SNS
// messages posted to it.
type endpoint struct {
	mu     sync.Mutex
	bodies [][]byte
	got    chan struct{}
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	e.mu.Lock()
	e.bodies = append(e.bodies, b)
	e.mu.Unlock()
	select {
	case e.got <- struct{}{}:
	default:
	}
}

// pemSource is a certificate source holding one certificate for one URL:
// the emulator's, as the command printed and wrote them.
type pemSource struct {
	url  string
	cert *x509.Certificate
}

func (p pemSource) Certificate(_ context.Context, certURL string) (*x509.Certificate, error) {
	if certURL != p.url {
		return nil, fmt.Errorf("unknown certificate %s", certURL)
	}
	return p.cert, nil
}

// TestEmulatorFromOutside runs the built binary as a server and uses it as
// a suite in another language would: curl signs and sends a message with
// SigV4, the notification reaches an HTTP endpoint in another process,
// and the library's SNS validator accepts it given the certificate the
// emulator wrote. An unsigned request is refused with 403.
func TestEmulatorFromOutside(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	bin := buildBinary(t)
	ep := &endpoint{got: make(chan struct{}, 1)}
	web := httptest.NewServer(ep)
	t.Cleanup(web.Close)
	certFile := filepath.Join(t.TempDir(), "sns.pem")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "emulator", "--addr", "127.0.0.1:0", "--json",
		"--subscribe", web.URL, "--cert-file", certFile, "--configuration-set", "tracked")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var info emulatorInfo
	require.NoError(t, json.NewDecoder(bufio.NewReader(stdout)).Decode(&info))

	pemBytes, err := os.ReadFile(certFile)
	require.NoError(t, err)
	out, err := exec.CommandContext(ctx, curl, "-sS", "-f", info.CertificateURL).Output()
	require.NoError(t, err)
	assert.Equal(t, string(pemBytes), string(out), "the certificate served over HTTP is the one written")

	sigv4 := []string{"--aws-sigv4", "aws:amz:" + info.Region + ":ses", "--user", info.AccessKeyID + ":" + info.SecretAccessKey}
	send := `{"FromEmailAddress":"sender@example.com","Destination":{"ToAddresses":["bounce@simulator.amazonses.com"]},` +
		`"ConfigurationSetName":"tracked","Content":{"Simple":{"Subject":{"Data":"Hi"},"Body":{"Text":{"Data":"Hello"}}}}}`
	out, err = exec.CommandContext(ctx, curl, append(sigv4, "-sS", "-f", "-H", "Content-Type: application/json",
		"-d", send, info.EndpointURL+"/v2/email/outbound-emails")...).Output()
	require.NoError(t, err, string(out))
	var sent struct{ MessageId string }
	require.NoError(t, json.Unmarshal(out, &sent))
	require.NotEmpty(t, sent.MessageId)

	out, err = exec.CommandContext(ctx, curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json",
		"-d", send, info.EndpointURL+"/v2/email/outbound-emails").Output()
	require.NoError(t, err)
	assert.Equal(t, "403", string(out), "an unsigned request is refused")

	block, _ := pem.Decode(pemBytes)
	require.NotNil(t, block)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	v, err := sns.NewValidator(func(o *sns.ValidatorOptions) {
		o.TopicARNs = []string{info.TopicARN}
		o.CertificateSource = pemSource{url: info.SigningCertURL, cert: cert}
	})
	require.NoError(t, err)
	types := map[string]bool{}
	for !types["Bounce"] {
		select {
		case <-ep.got:
		case <-ctx.Done():
			t.Fatalf("no bounce notification; got %v", types)
		}
		ep.mu.Lock()
		bodies := append([][]byte(nil), ep.bodies...)
		ep.mu.Unlock()
		for _, b := range bodies {
			e, err := sns.ParseEnvelope(b)
			require.NoError(t, err)
			require.NoError(t, v.Validate(ctx, e), "the notification verifies with the printed certificate")
			assert.Contains(t, e.Message, sent.MessageId)
			var p struct{ NotificationType, EventType string }
			require.NoError(t, json.Unmarshal([]byte(e.Message), &p))
			types[p.NotificationType+p.EventType] = true
		}
	}

	if aws, err := exec.LookPath("aws"); err == nil {
		// The AWS CLI, where it is installed, works against it unchanged.
		cli := exec.CommandContext(ctx, aws, "sesv2", "get-account", "--endpoint-url", info.EndpointURL,
			"--region", info.Region, "--output", "json")
		cli.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+info.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+info.SecretAccessKey,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		cli.Env = slices.DeleteFunc(cli.Env, func(kv string) bool { return strings.HasPrefix(kv, "AWS_PROFILE=") })
		out, err := cli.CombinedOutput()
		require.NoError(t, err, string(out))
		assert.Contains(t, string(out), `"SendingEnabled": true`)
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.NoError(t, cmd.Wait(), "the emulator exits 0 when interrupted")
}
