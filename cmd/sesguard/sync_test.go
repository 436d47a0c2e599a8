package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/sendload"
	"github.com/sesguard/sesguard/sestest"
)

// sesList returns the addresses on the emulator's suppression list.
func sesList(t *testing.T, c *sesv2.Client) map[string]types.SuppressionListReason {
	t.Helper()
	out := map[string]types.SuppressionListReason{}
	p := sesv2.NewListSuppressedDestinationsPaginator(c, &sesv2.ListSuppressedDestinationsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		require.NoError(t, err)
		for _, d := range page.SuppressedDestinationSummaries {
			out[aws.ToString(d.EmailAddress)] = d.Reason
		}
	}
	return out
}

func TestSync(t *testing.T) {
	awsEnv(t)
	for name, dsn := range stores(t) {
		t.Run(name, func(t *testing.T) {
			srv := sestest.RunT(t, func(o *sestest.Options) { o.Now = func() time.Time { return testNow.Add(-time.Hour) } })
			var throttles atomic.Int32
			srv.SetFault(func(op string, _ []byte) *sestest.Fault {
				if op == "ListSuppressedDestinations" && throttles.Add(1) <= 2 {
					return &sestest.Fault{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Rate exceeded"}
				}
				return nil
			})
			ses := srv.Client()
			put := func(addr string, reason types.SuppressionListReason) {
				_, err := ses.PutSuppressedDestination(t.Context(), &sesv2.PutSuppressedDestinationInput{EmailAddress: aws.String(addr), Reason: reason})
				require.NoError(t, err)
			}
			put("a@example.com", types.SuppressionListReasonBounce)
			put("b@example.com", types.SuppressionListReasonComplaint)
			put("c@example.com", types.SuppressionListReasonBounce)
			for i := range 12 {
				put(fmt.Sprintf("n%02d@example.com", i), types.SuppressionListReasonBounce)
			}

			st := storeArgs(t, dsn)
			sup := func(args ...string) {
				r := run(t, "", append(append([]string{"suppress"}, args...), st...)...)
				require.Equal(t, exitOK, r.code, r.stderr)
			}
			sup("add", "--reason", "COMPLAINT", "c@example.com")
			sup("add", "--reason", "BOUNCE", "d@example.com")
			sup("add", "--reason", "SOFT_BOUNCE", "--expires", "24h", "b@example.com", "e@example.com")
			sup("add", "f@example.com")

			syncArgs := func(args ...string) []string {
				return append(append([]string{"sync"}, args...), append(st, "--endpoint-url", srv.URL(), "--page-size", "5", "--max-backoff", "5ms")...)
			}
			r := run(t, "", syncArgs("diff")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "sync-diff.txt", r.stdout)
			assert.GreaterOrEqual(t, throttles.Load(), int32(2), "SES throttled the listing, and sync went on")

			r = run(t, "", syncArgs("diff", "--json")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "sync-diff.json", r.stdout)

			r = run(t, "", syncArgs("pull", "--dry-run")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Contains(t, r.stdout, "dry run: nothing changed")
			r = run(t, "", append([]string{"suppress", "get", "a@example.com", "--json"}, st...)...)
			assert.Contains(t, r.stdout, `"suppressed": false`, "a dry run changes nothing")

			r = run(t, "", syncArgs("pull", "--json")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			var rep syncReport
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
			assert.Equal(t, 14, rep.Pulled, "a, b (stronger than the soft bounce) and the twelve")
			r = run(t, "", append([]string{"suppress", "get", "a@example.com", "b@example.com", "c@example.com", "--json"}, st...)...)
			var got []lookup
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
			assert.Equal(t, "BOUNCE", got[0].Suppressions[0].Reason)
			assert.Equal(t, sesSource, got[0].Suppressions[0].Source)
			assert.Equal(t, "COMPLAINT", got[1].Suppressions[0].Reason)
			assert.Equal(t, "COMPLAINT", got[2].Suppressions[0].Reason, "the store's own entry is kept")

			// With --details, an entry SES made from a bounce names the
			// message and the bounce.
			srv.SetMailbox("gone@example.com", sestest.OutcomeBounce)
			out, err := ses.SendEmail(t.Context(), sendload.Simple("gone@example.com"))
			require.NoError(t, err)
			r = run(t, "", syncArgs("pull", "--details")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			r = run(t, "", append([]string{"suppress", "get", "gone@example.com", "--json"}, st...)...)
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
			require.True(t, got[0].Suppressed, r.stdout)
			assert.Contains(t, got[0].Suppressions[0].Source, "ses-feedback:0100")
			assert.Contains(t, got[0].Suppressions[0].Detail, aws.ToString(out.MessageId))

			before := sesList(t, ses)
			r = run(t, "", syncArgs("push", "--dry-run")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Equal(t, before, sesList(t, ses), "a dry run changes nothing")
			r = run(t, "", syncArgs("push")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			golden(t, "sync-push.txt", r.stdout)
			after := sesList(t, ses)
			assert.Equal(t, types.SuppressionListReasonBounce, after["d@example.com"])
			for _, addr := range []string{"e@example.com", "f@example.com"} {
				assert.NotContains(t, after, addr, "only bounces and complaints go to SES")
			}

			// Lifting an address locally does not delete it from SES, unless asked.
			sup("remove", "a@example.com")
			r = run(t, "", syncArgs("push")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Contains(t, sesList(t, ses), "a@example.com")
			r = run(t, "", syncArgs("push", "--delete-missing-from-ses", "--json")...)
			require.Equal(t, exitOK, r.code, r.stderr)
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
			assert.Equal(t, 1, rep.DeletedInSES)
			assert.NotContains(t, sesList(t, ses), "a@example.com")
			assert.Zero(t, rep.Pushed)
		})
	}
}
