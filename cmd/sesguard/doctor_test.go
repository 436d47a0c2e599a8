package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/sestest"
)

// readyAccount is an emulated account ready to send from example.com:
// verified with DKIM, a custom MAIL FROM, and a configuration set that
// publishes bounces and complaints.
func readyAccount(t *testing.T, optFns ...func(*sestest.Options)) *sestest.Server {
	t.Helper()
	return sestest.RunT(t, append([]func(*sestest.Options){func(o *sestest.Options) {
		o.Identities = []sestest.Identity{{Name: "example.com", MailFromDomain: "mail.example.com"}}
		o.ConfigurationSets = []string{"feedback"}
	}}, optFns...)...)
}

// goodZone is the DNS of example.com as SES wants it.
func goodZone(t *testing.T) zone {
	z := zone{
		"mail.example.com.": {
			rr(t, `mail.example.com. 300 IN TXT "v=spf1 include:amazonses.com ~all"`),
			rr(t, `mail.example.com. 300 IN MX 10 feedback-smtp.us-east-1.amazonses.com.`),
		},
		"_dmarc.example.com.": {rr(t, `_dmarc.example.com. 300 IN TXT "v=DMARC1; p=quarantine; rua=mailto:d@example.com"`)},
	}
	for _, tok := range (sestest.Identity{Name: "example.com"}).Tokens() {
		name := tok + "._domainkey.example.com."
		z[name] = append(z[name], rr(t, name+" 300 IN CNAME "+tok+".dkim.amazonses.com."))
	}
	return z
}

func TestDoctorReady(t *testing.T) {
	awsEnv(t)
	srv := readyAccount(t)
	addr := dnsServer(t, goodZone(t))
	r := run(t, "", "doctor", "--endpoint-url", srv.URL(), "--dns", addr)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "✘")
	golden(t, "doctor-ready.txt", r.stdout)

	r = run(t, "", "doctor", "--endpoint-url", srv.URL(), "--dns", addr, "--json")
	assert.Equal(t, exitOK, r.code, r.stderr)
	golden(t, "doctor-ready.json", r.stdout)
	var rep doctorReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.True(t, rep.OK)
}

// TestDoctorBrokenDNS: SPF without amazonses.com, the MAIL FROM MX
// elsewhere, no DMARC and a DKIM CNAME missing are ✘ lines with fixes, but
// none blocks sending.
func TestDoctorBrokenDNS(t *testing.T) {
	awsEnv(t)
	srv := readyAccount(t)
	z := goodZone(t)
	z["mail.example.com."] = []dns.RR{
		rr(t, `mail.example.com. 300 IN TXT "v=spf1 include:_spf.google.com ~all"`),
		rr(t, `mail.example.com. 300 IN MX 10 mx.example.net.`),
	}
	delete(z, "_dmarc.example.com.")
	delete(z, (sestest.Identity{Name: "example.com"}).Tokens()[1]+"._domainkey.example.com.")
	r := run(t, "", "doctor", "--endpoint-url", srv.URL(), "--dns", dnsServer(t, z))
	assert.Equal(t, exitOK, r.code, "DNS problems hurt deliverability but do not block sending")
	assert.Equal(t, 4, strings.Count(r.stdout, "✘"), r.stdout)
	assert.Contains(t, r.stdout, "does not include amazonses.com")
	assert.Contains(t, r.stdout, "10 feedback-smtp.us-east-1.amazonses.com")
	assert.Contains(t, r.stdout, "no DMARC record at _dmarc.example.com")
	assert.Contains(t, r.stdout, "2 of 3 point to dkim.amazonses.com")
	golden(t, "doctor-broken-dns.txt", r.stdout)
}

// TestDoctorBlocked: a paused account, a shut-down one, and one without a
// verified identity exit 1, saying what blocks sending.
func TestDoctorBlocked(t *testing.T) {
	awsEnv(t)
	addr := dnsServer(t, goodZone(t))
	for name, fn := range map[string]func(*sestest.Options){
		"paused":      func(o *sestest.Options) { o.Account.SendingPaused = true },
		"shut down":   func(o *sestest.Options) { o.Account.EnforcementStatus = "SHUTDOWN" },
		"unverified":  func(o *sestest.Options) { o.Identities[0].VerificationStatus = "FAILED" },
		"quota spent": func(o *sestest.Options) { o.Account.Max24HourSend = 1 },
	} {
		t.Run(name, func(t *testing.T) {
			srv := readyAccount(t, fn)
			if name == "quota spent" {
				_, err := srv.Client().SendEmail(t.Context(), sendload.Simple("a@example.com"))
				require.NoError(t, err)
			}
			r := run(t, "", "doctor", "--endpoint-url", srv.URL(), "--dns", addr)
			assert.Equal(t, exitFailure, r.code, r.stdout)
			assert.Contains(t, r.stdout, "(blocks sending)")
			assert.Contains(t, r.stdout, "Something blocks sending")
		})
	}
}

// TestDoctorNoFeedback: an account whose configuration sets publish no
// bounces or complaints gets a ✘ saying so.
func TestDoctorNoFeedback(t *testing.T) {
	awsEnv(t)
	srv := readyAccount(t, func(o *sestest.Options) { o.ConfigurationSets = nil })
	srv.SetConfigurationSet("opens", sestest.EventDestination{Name: "o", Enabled: true, MatchingEventTypes: []string{"OPEN"}, TopicARN: srv.TopicARN()})
	r := run(t, "", "doctor", "--endpoint-url", srv.URL(), "--dns", dnsServer(t, goodZone(t)), "--json")
	assert.Equal(t, exitOK, r.code)
	var rep doctorReport
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	var failed []string
	for _, c := range rep.Checks {
		if !c.OK {
			failed = append(failed, c.Section+": "+c.Name)
		}
	}
	assert.Equal(t, []string{"configuration set opens: bounces and complaints published", "configuration sets: bounces and complaints published"}, failed)
}

// TestDoctorConfig: the region comes from --region, else from AWS_REGION,
// else from the profile of --profile in the shared config files;
// an identity named with --identity that the account lacks blocks
// sending.
func TestDoctorConfig(t *testing.T) {
	awsEnv(t)
	srv := readyAccount(t)
	addr := dnsServer(t, goodZone(t))
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), []byte("[profile ops]\nregion = ap-southeast-2\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "credentials"),
		[]byte("[ops]\naws_access_key_id = "+sestest.AccessKeyID+"\naws_secret_access_key = "+sestest.SecretAccessKey+"\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))

	for _, tc := range []struct {
		env    string
		args   []string
		region string
	}{
		{"us-east-1", nil, "us-east-1"},
		{"us-east-1", []string{"--profile", "ops"}, "us-east-1"},
		{"", []string{"--profile", "ops"}, "ap-southeast-2"},
		{"us-east-1", []string{"--profile", "ops", "--region", "eu-west-1"}, "eu-west-1"},
	} {
		t.Setenv("AWS_REGION", tc.env)
		r := run(t, "", append([]string{"doctor", "--endpoint-url", srv.URL(), "--dns", addr, "--json"}, tc.args...)...)
		var rep doctorReport
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stderr)
		assert.Equal(t, tc.region, rep.Region, "AWS_REGION=%s %v", tc.env, tc.args)
	}
	t.Setenv("AWS_REGION", "us-east-1")

	// The endpoint may come from the environment, as for the AWS CLI.
	t.Setenv("AWS_ENDPOINT_URL_SESV2", srv.URL())
	r := run(t, "", "doctor", "--dns", addr)
	assert.Equal(t, exitOK, r.code, r.stderr)
	t.Setenv("AWS_ENDPOINT_URL_SESV2", "")

	r = run(t, "", "doctor", "--endpoint-url", srv.URL(), "--dns", addr, "--profile", "nobody")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "nobody")

	r = run(t, "", "doctor", "--endpoint-url", srv.URL(), "--dns", addr, "--identity", "example.com", "--identity", "other.example")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stdout, "other.example")
	assert.Contains(t, r.stdout, "not an identity of this account")
}
