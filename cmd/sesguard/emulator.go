package main

import (
	"encoding/pem"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sesguard/sesguard/sestest"
)

// emulatorInfo is what the emulator prints when it is ready, the shape of
// its --json output.
type emulatorInfo struct {
	EndpointURL     string   `json:"endpointUrl"`
	Region          string   `json:"region"`
	AccessKeyID     string   `json:"accessKeyId"`
	SecretAccessKey string   `json:"secretAccessKey"`
	TopicARN        string   `json:"topicArn"`
	CertificateURL  string   `json:"certificateUrl"` // where the emulator serves its signing certificate
	SigningCertURL  string   `json:"signingCertUrl"` // the SigningCertURL its envelopes carry
	CertificateFile string   `json:"certificateFile,omitempty"`
	Subscriptions   []string `json:"subscriptions"`
}

func (a *app) emulatorCommand() *cobra.Command {
	var (
		addr, certFile, sigVersion string
		subscribe, configSets      []string
		verified                   []string
		raw, handshake, sandbox    bool
		unsigned                   bool
	)
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run the sestest SES v2 + SNS emulator as an HTTP server for test suites in any language",
		Long: `emulator serves the sestest emulator over HTTP: point any AWS SDK or the
AWS CLI at the printed endpoint URL, with the printed credentials, and it
answers SES v2 as SES does (mailbox simulator, quotas, the account-level
suppression list, identities, configuration sets, templates). Requests must
be signed (SigV4) with those credentials unless --unsigned is given.

Notifications are published to SNS-style HTTP subscriptions (--subscribe,
or POST /sestest/subscriptions), signed with a self-signed certificate
served at /sestest/signing-cert.pem and written to --cert-file: give it to
your verifier as the certificate for the printed SigningCertURL. A
subscription made with --subscribe starts confirmed unless --handshake is
given; then the endpoint confirms by requesting /sestest/sns with the
SubscribeURL's query. GET /sestest/notifications lists what was published.

The emulator runs until interrupted.`,
		Example: `  sesguard emulator --addr 127.0.0.1:4566 --subscribe http://127.0.0.1:8080/sns --cert-file sns.pem
  AWS_ACCESS_KEY_ID=AKIASESTEST000000000 AWS_SECRET_ACCESS_KEY=sestest-secret \
    aws sesv2 get-account --endpoint-url http://127.0.0.1:4566 --region us-east-1`,
		Args: cobra.NoArgs,
		RunE: a.runE(func(cmd *cobra.Command, _ []string) error {
			region := a.region
			if region == "" {
				region = "us-east-1"
			}
			srv, err := sestest.NewServer(func(o *sestest.Options) {
				o.Addr, o.Region, o.SignatureVersion = addr, region, sigVersion
				o.RequireSignature = !unsigned
				o.ConfigurationSets = configSets
				o.Account.Sandbox = sandbox
				o.Account.VerifiedIdentities = verified
			})
			if err != nil {
				return err
			}
			defer srv.Close()
			info := emulatorInfo{
				EndpointURL: srv.URL(), Region: region,
				AccessKeyID: sestest.AccessKeyID, SecretAccessKey: sestest.SecretAccessKey,
				TopicARN: srv.TopicARN(), CertificateURL: srv.URL() + sestest.CertificatePath,
				SigningCertURL: srv.SigningCertURL(), Subscriptions: []string{},
			}
			if certFile != "" {
				pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.SigningCertificate().Raw})
				if err := os.WriteFile(certFile, pemBytes, 0o644); err != nil {
					return fmt.Errorf("write the certificate: %w", err)
				}
				info.CertificateFile = certFile
			}
			for _, u := range subscribe {
				sub, err := srv.Subscribe(u, func(o *sestest.SubscribeOptions) {
					o.RawMessageDelivery, o.Confirmed = raw, !handshake
				})
				if err != nil {
					return err
				}
				info.Subscriptions = append(info.Subscriptions, sub.ARN())
			}
			if a.json {
				if err := a.printJSON(info); err != nil {
					return err
				}
			} else {
				a.printEmulator(info)
			}
			<-cmd.Context().Done()
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:4566", "address to listen on (port 0: any free port)")
	f.StringVar(&certFile, "cert-file", "", "write the SNS signing certificate (PEM) to this file")
	f.StringVar(&sigVersion, "signature-version", "1", `SNS SignatureVersion: "1" (SHA1withRSA) or "2" (SHA256withRSA)`)
	f.StringSliceVar(&subscribe, "subscribe", nil, "HTTP endpoint to deliver notifications to (repeatable)")
	f.BoolVar(&raw, "raw", false, "deliver the bare SES payload (SNS raw message delivery) to --subscribe endpoints")
	f.BoolVar(&handshake, "handshake", false, "send --subscribe endpoints a SubscriptionConfirmation first")
	f.StringSliceVar(&configSets, "configuration-set", nil, "configuration set that exists and publishes every event (repeatable)")
	f.StringSliceVar(&verified, "verified", nil, "verified identity, address or domain (repeatable); none: any sender")
	f.BoolVar(&sandbox, "sandbox", false, "emulate an account in the SES sandbox")
	f.BoolVar(&unsigned, "unsigned", false, "accept requests without a valid SigV4 signature")
	return cmd
}

func (a *app) printEmulator(info emulatorInfo) {
	a.printf("sestest emulator listening on %s (%s)\n\n", info.EndpointURL, info.Region)
	a.printf("  --endpoint-url %s\n", info.EndpointURL)
	a.printf("  export AWS_ENDPOINT_URL_SESV2=%s AWS_REGION=%s AWS_DEFAULT_REGION=%s\n", info.EndpointURL, info.Region, info.Region)
	a.printf("  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n\n", info.AccessKeyID, info.SecretAccessKey)
	a.printf("  SNS topic:           %s\n", info.TopicARN)
	a.printf("  signing certificate: %s\n", info.CertificateURL)
	if info.CertificateFile != "" {
		a.printf("                       written to %s\n", info.CertificateFile)
	}
	a.printf("  SigningCertURL:      %s\n", info.SigningCertURL)
	for _, s := range info.Subscriptions {
		a.printf("  subscription:        %s\n", s)
	}
}
