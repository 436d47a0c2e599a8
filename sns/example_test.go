package sns_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sesguard/sesguard/sns"
)

// pemFile is a CertificateSource that always answers with the
// certificate in one file.
type pemFile string

func (f pemFile) Certificate(context.Context, string) (*x509.Certificate, error) {
	data, err := os.ReadFile(string(f))
	if err != nil {
		return nil, err
	}
	if block, _ := pem.Decode(data); block != nil {
		return x509.ParseCertificate(block.Bytes)
	}
	return nil, errors.New("no PEM block")
}

// A program that reads SNS messages from a transport of its own parses
// each one, validates it, and only then looks at its Message. Here the
// message is a real SES bounce that SNS delivered over HTTPS in 2022, and
// the certificate comes from a file rather than from SNS.
func ExampleValidator() {
	data, err := os.ReadFile(filepath.Join("testdata", "django-ses-bounce-notification.json"))
	if err != nil {
		panic(err)
	}
	v, err := sns.NewValidator(func(o *sns.ValidatorOptions) {
		o.TopicARNs = []string{"arn:aws:sns:us-east-1:364852123998:test-email"}
		o.MaxAge = sns.NoMaxAge // the message is years old; a live endpoint keeps the default
		o.CertificateSource = pemFile(filepath.Join("testdata", "certs", "cert-7ff5318490ec183fbaddaa2a969abfda.pem"))
	})
	if err != nil {
		panic(err)
	}
	e, err := sns.ParseEnvelope(data)
	if err != nil {
		panic(err)
	}
	if err := v.Validate(context.Background(), e); err != nil {
		fmt.Println("refused:", err)
		return
	}
	fmt.Println(e.Type, e.MessageID, "from", e.TopicARN)

	e.Message = `{"notificationType":"Bounce","bounce":{"bouncedRecipients":[{"emailAddress":"ceo@example.com"}]}}`
	fmt.Println(v.Validate(context.Background(), e))
	// Output:
	// Notification 71a6b82e-0f1a-58db-b902-e2ef60f87541 from arn:aws:sns:us-east-1:364852123998:test-email
	// sns: signature does not verify: Notification message 71a6b82e-0f1a-58db-b902-e2ef60f87541
}
