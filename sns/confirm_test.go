package sns_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/snstest"
	"github.com/sesguard/sesguard/sns"
)

func TestConfirmSubscription(t *testing.T) {
	signer := snstest.NewSigner()
	confirmation := func(subscribeURL string) *sns.Envelope {
		e := &sns.Envelope{
			Type: sns.TypeSubscriptionConfirmation, MessageID: "c1", TopicARN: snstest.TopicARN,
			Message:      "You have chosen to subscribe to the topic " + snstest.TopicARN + ".",
			Timestamp:    "2026-05-01T12:00:00.000Z",
			Token:        "2336412f37fb687f5d51e6e2425929f5",
			SubscribeURL: subscribeURL,
		}
		require.NoError(t, signer.Sign(e))
		return e
	}
	const confirmURL = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + snstest.TopicARN + "&Token=2336412f37fb687f5d51e6e2425929f5"
	notification := signed(t, "n1", "{}")
	forged := confirmation(confirmURL)
	forged.Token = "attacker"
	otherTopic := confirmation(confirmURL)
	otherTopic.TopicARN = "arn:aws:sns:us-east-1:999999999999:theirs"
	require.NoError(t, signer.Sign(otherTopic))

	tests := []struct {
		name      string
		e         *sns.Envelope
		want      error
		requested bool
	}{
		{"genuine", confirmation(confirmURL), nil, true},
		{"not a confirmation", notification, sns.ErrMalformedEnvelope, false},
		{"forged", forged, sns.ErrSignature, false},
		{"another account's topic", otherTopic, sns.ErrTopicNotAllowed, false},
		{"foreign SubscribeURL", confirmation("https://evil.example/?Action=ConfirmSubscription"), sns.ErrSubscribeURL, false},
		{"http SubscribeURL", confirmation("http://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"), sns.ErrSubscribeURL, false},
		{"SNS refuses", confirmation("https://sns.us-east-1.amazonaws.com/refused"), sns.ErrConfirmation, true},
		{"redirect not followed", confirmation("https://sns.us-east-1.amazonaws.com/?Action=Other"), sns.ErrConfirmation, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := newFakeSNSHost(t)
			v, err := sns.NewValidator(func(o *sns.ValidatorOptions) {
				o.TopicARNs = []string{snstest.TopicARN}
				o.CertificateSource = fixtures()
				o.HTTPClient = host.client
				o.Now = func() time.Time { return time.Date(2026, 5, 1, 12, 0, 5, 0, time.UTC) }
			})
			require.NoError(t, err)
			err = v.ConfirmSubscription(t.Context(), tt.e)
			if tt.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.want)
			}
			reqs := host.requested()
			if !tt.requested {
				assert.Empty(t, reqs)
				return
			}
			require.Len(t, reqs, 1, "one request, no redirect followed")
			assert.Equal(t, tt.e.SubscribeURL[len("https://sns.us-east-1.amazonaws.com"):], reqs[0])
		})
	}

	t.Run("real confirmations validate", func(t *testing.T) {
		for _, name := range []string{"javav2-subscription-confirmation-v1.json", "ts2024-ses-topic-subscription-confirmation-v2.json", "dotnet2015-subscription-confirmation-v1.json"} {
			e := envelopesOf(t, readFile(t, filepath.Join("testdata", name)))[0]
			require.Equal(t, sns.TypeSubscriptionConfirmation, e.Type)
			require.NoError(t, newValidator(t, fixtures()).Validate(t.Context(), e), name)
		}
	})
}
