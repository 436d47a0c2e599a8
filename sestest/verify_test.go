package sestest_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// This file holds an SNS signature verifier written from AWS's
// specification, independent of the server's signing code: the
// string-to-sign is "Key\nValue\n" for each signed key in byte order, with a
// trailing newline; a Notification signs Message, MessageId, Subject (when
// present and not null), Timestamp, TopicArn, Type; SubscriptionConfirmation
// and UnsubscribeConfirmation sign Message, MessageId, SubscribeURL,
// Timestamp, Token, TopicArn, Type. SignatureVersion 1 is SHA1withRSA, 2 is
// SHA256withRSA. It is first proven on real AWS-signed messages.

var (
	notificationKeys = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	confirmationKeys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
)

// snsStringToSign builds the canonical string of a decoded SNS message.
func snsStringToSign(msg map[string]any) (string, error) {
	typ, _ := msg["Type"].(string)
	var keys []string
	switch typ {
	case "Notification":
		keys = notificationKeys
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		keys = confirmationKeys
	default:
		return "", fmt.Errorf("unknown Type %q", typ)
	}
	var b strings.Builder
	for _, k := range keys {
		v, present := msg[k]
		if k == "Subject" && (!present || v == nil) {
			continue
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("signed key %s is missing or not a string", k)
		}
		b.WriteString(k + "\n" + s + "\n")
	}
	return b.String(), nil
}

// verifySNS checks the signature of the SNS message body with cert.
func verifySNS(body []byte, cert *x509.Certificate) error {
	var msg map[string]any
	if err := json.Unmarshal(body, &msg); err != nil {
		return err
	}
	s, err := snsStringToSign(msg)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(fmt.Sprint(msg["Signature"]))
	if err != nil {
		return fmt.Errorf("signature: %v", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("certificate key is not RSA")
	}
	switch msg["SignatureVersion"] {
	case "1":
		sum := sha1.Sum([]byte(s))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum[:], sig)
	case "2":
		sum := sha256.Sum256([]byte(s))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	}
	return fmt.Errorf("SignatureVersion %v", msg["SignatureVersion"])
}

func parsePEM(t *testing.T, b []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("no PEM block in %q", b)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

var certName = regexp.MustCompile(`SimpleNotificationService-([0-9a-f]+)\.pem`)

// TestVerifierOnRealSNSMessages proves the test's verifier on messages AWS
// signed, so that its verdict on the emulator's envelopes means something.
func TestVerifierOnRealSNSMessages(t *testing.T) {
	files, err := filepath.Glob("testdata/sns/*.json")
	if err != nil || len(files) < 8 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m := certName.FindSubmatch(body)
			if m == nil {
				t.Fatal("no SigningCertURL")
			}
			pemBytes, err := os.ReadFile(filepath.Join("testdata/sns/certs", "cert-"+string(m[1])+".pem"))
			if err != nil {
				t.Fatal(err)
			}
			err = verifySNS(body, parsePEM(t, pemBytes))
			if forged := strings.HasPrefix(name, "negative-"); forged && err == nil {
				t.Fatal("a forged message verified")
			} else if !forged && err != nil {
				t.Fatalf("a real AWS message did not verify: %v", err)
			}
		})
	}
}
