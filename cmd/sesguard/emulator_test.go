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
	"regexp"
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
// a suite in another language would: testdata/suite.sh sets it up and sends
// with curl, signing with SigV4, and checks that an unsigned request is
// refused; the notification reaches an HTTP endpoint in another process,
// and the library's SNS validator accepts it given the certificate the
// emulator wrote. Where the AWS CLI is installed, it is used too.
func TestEmulatorFromOutside(t *testing.T) {
	for _, tool := range []string{"curl", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	bin := buildBinary(t)
	ep := &endpoint{got: make(chan struct{}, 1)}
	web := httptest.NewServer(ep)
	t.Cleanup(web.Close)
	certFile := filepath.Join(t.TempDir(), "sns.pem")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "emulator", "--addr", "127.0.0.1:0", "--json", "--cert-file", certFile)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var info emulatorInfo
	require.NoError(t, json.NewDecoder(bufio.NewReader(stdout)).Decode(&info))

	pemBytes, err := os.ReadFile(certFile)
	require.NoError(t, err)
	out, err := exec.CommandContext(ctx, "curl", "-sS", "-f", info.CertificateURL).Output()
	require.NoError(t, err)
	assert.Equal(t, string(pemBytes), string(out), "the certificate served over HTTP is the one written")

	suite := exec.CommandContext(ctx, "sh", "testdata/suite.sh")
	suite.Env = append(os.Environ(), "ENDPOINT="+info.EndpointURL, "REGION="+info.Region, "TOPIC="+info.TopicARN, "WEBHOOK="+web.URL,
		"AWS_ACCESS_KEY_ID="+info.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+info.SecretAccessKey)
	suite.Stderr = os.Stderr
	out, err = suite.Output()
	require.NoError(t, err, "testdata/suite.sh failed")
	messageID, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "MessageId=")
	require.True(t, ok, "suite.sh printed %q", out)
	sent := struct{ MessageId string }{messageID}

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

	if aws, err := exec.LookPath("aws"); err == nil && exec.CommandContext(ctx, aws, "--version").Run() == nil {
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

// TestEmulatorOutput runs the emulator in process and checks what it
// prints, text and --json, with its port replaced by PORT.
func TestEmulatorOutput(t *testing.T) {
	for _, tc := range []struct{ golden, flag string }{{"emulator.txt", ""}, {"emulator.json", "--json"}} {
		t.Run(tc.golden, func(t *testing.T) {
			pr, pw := io.Pipe()
			a := newApp(strings.NewReader(""), pw, io.Discard)
			ctx, cancel := context.WithCancel(context.Background())
			args := []string{"emulator", "--addr", "127.0.0.1:0", "--cert-file", filepath.Join(t.TempDir(), "sns.pem")}
			if tc.flag != "" {
				args = append(args, tc.flag)
			}
			done := make(chan int)
			go func() {
				code := a.run(ctx, args)
				_ = pw.Close()
				done <- code
			}()
			// The emulator prints once it listens; the last line names the SigningCertURL.
			var out strings.Builder
			br := bufio.NewReader(pr)
			for {
				line, err := br.ReadString('\n')
				require.NoError(t, err)
				out.WriteString(line)
				if strings.Contains(line, "SigningCertURL") || strings.Contains(line, `"subscriptions"`) {
					break
				}
			}
			cancel()
			_, err := io.Copy(&out, br)
			require.NoError(t, err)
			assert.Equal(t, exitOK, <-done)
			text := regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(out.String(), "127.0.0.1:PORT")
			text = regexp.MustCompile(`SimpleNotificationService-[0-9a-f]+\.pem`).ReplaceAllString(text, "SimpleNotificationService-HEX.pem")
			text = regexp.MustCompile(`/tmp/\S*sns\.pem`).ReplaceAllString(text, "TMP/sns.pem")
			golden(t, tc.golden, text)
		})
	}
}
