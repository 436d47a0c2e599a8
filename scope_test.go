package sesguard_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// forContactList returns a send of one message to to for the SES contact
// list (and topic, when not empty).
func forContactList(to, list, topic string) *sesv2.SendEmailInput {
	in := simple(to)
	in.ListManagementOptions = &types.ListManagementOptions{ContactListName: aws.String(list)}
	if topic != "" {
		in.ListManagementOptions.TopicName = aws.String(topic)
	}
	return in
}

// TestSendScopes sends through the real SDK client to sestest: an
// unsubscribe blocks only mail for its list, a bounce blocks everything.
func TestSendScopes(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	unsub := func(addr string, scope store.Scope) {
		_, written, err := c.Suppress(ctx, store.Suppression{Address: addr, Scope: scope, Reason: store.ReasonUnsubscribe})
		require.NoError(t, err)
		require.True(t, written)
	}
	unsub("news@example.com", "news")
	unsub("weekly@example.com", sesguard.ContactListScope("weekly", ""))
	unsub("offers@example.com", sesguard.ContactListScope("weekly", "offers"))
	suppress(t, c, "bounced@example.com", store.ReasonBounce)

	tests := []struct {
		name string
		list string // ForList's, if not empty
		in   *sesv2.SendEmailInput
		goes bool
	}{
		{"transactional mail after a list unsubscribe goes out", "", simple("news@example.com"), true},
		{"mail for the list is refused", "news", simple("news@example.com"), false},
		{"mail for another list goes out", "digest", simple("news@example.com"), true},
		{"transactional mail after a contact-list unsubscribe goes out", "", simple("weekly@example.com"), true},
		{"mail for the contact list is refused", "", forContactList("weekly@example.com", "weekly", ""), false},
		{"mail for a topic of the contact list is refused", "", forContactList("weekly@example.com", "weekly", "offers"), false},
		{"mail for the opted-out topic is refused", "", forContactList("offers@example.com", "weekly", "offers"), false},
		{"mail for another topic goes out", "", forContactList("offers@example.com", "weekly", "digest"), true},
		{"mail for the contact list without a topic goes out", "", forContactList("offers@example.com", "weekly", ""), true},
		{"a bounce refuses transactional mail", "", simple("bounced@example.com"), false},
		{"a bounce refuses list mail", "news", forContactList("bounced@example.com", "weekly", ""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sendCtx := ctx
			if tt.list != "" {
				sendCtx = sesguard.ForList(ctx, tt.list)
			}
			before := len(ses.Messages())
			_, err := c.Send(sendCtx, tt.in)
			if tt.goes {
				require.NoError(t, err)
				assert.Len(t, ses.Messages(), before+1)
				return
			}
			require.ErrorIs(t, err, sesguard.ErrSuppressed)
			assert.Len(t, ses.Messages(), before, "a refused send reached SES")
		})
	}
}

func TestForListRefusesBadListNames(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	for _, list := range []string{"", "ses-contact-list:weekly", strings.Repeat("x", store.MaxScopeLen+1)} {
		_, err := c.Send(sesguard.ForList(ctx, list), simple("a@example.com"))
		require.ErrorIs(t, err, sesguard.ErrInvalidMessage, "list %.20q", list)
	}
	assert.Empty(t, ses.Messages())
}

// TestApplySubscriptionScopes applies SES Subscription events: an
// unsubscribe from a whole contact list is stored in the list's scope, one
// from topics in each topic's scope.
func TestApplySubscriptionScopes(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	event := func(addr, prefs string) *sesguard.Notification {
		ns, err := sesguard.Parse([]byte(`{"eventType":"Subscription","subscription":{"contactList":"weekly","source":"UnsubscribeHeader","timestamp":"2026-05-01T12:00:00Z","newTopicPreferences":` +
			prefs + `},"mail":{"messageId":"m-` + addr + `","destination":["` + addr + `"]}}`))
		require.NoError(t, err)
		return ns[0]
	}
	ds, err := c.Apply(ctx, event("all@example.com", `{"unsubscribeAll":true}`))
	require.NoError(t, err)
	require.Equal(t, sesguard.ActionSuppressed, ds[0].Action)
	assert.Equal(t, sesguard.ContactListScope("weekly", ""), ds[0].Suppression.Scope)

	_, err = c.Apply(ctx, event("topics@example.com", `{"unsubscribeAll":false,"topicSubscriptionStatus":[{"topicName":"offers","subscriptionStatus":"OptOut"},{"topicName":"news","subscriptionStatus":"OptIn"},{"topicName":"tips","subscriptionStatus":"OptOut"}]}`))
	require.NoError(t, err)
	in, err := c.Suppressions(ctx, "topics@example.com")
	require.NoError(t, err)
	var scopes []store.Scope
	for _, s := range in {
		assert.Equal(t, store.ReasonUnsubscribe, s.Reason)
		scopes = append(scopes, s.Scope)
	}
	assert.ElementsMatch(t, []store.Scope{sesguard.ContactListScope("weekly", "offers"), sesguard.ContactListScope("weekly", "tips")}, scopes)

	ds, err = c.Apply(ctx, event("optin@example.com", `{"unsubscribeAll":false,"topicSubscriptionStatus":[{"topicName":"news","subscriptionStatus":"OptIn"}]}`))
	require.NoError(t, err)
	assert.Equal(t, sesguard.ActionIgnored, ds[0].Action)

	// The password reset still goes; the newsletter does not.
	_, err = c.Send(sesguard.Critical(ctx), simple("all@example.com"))
	require.NoError(t, err)
	_, err = c.Send(ctx, forContactList("all@example.com", "weekly", "offers"))
	require.ErrorIs(t, err, sesguard.ErrSuppressed)
	_, err = c.Send(ctx, forContactList("topics@example.com", "weekly", "news"))
	require.NoError(t, err)
	assert.Len(t, ses.Messages(), 2)
}

func TestSendWithoutRecipientsSendsNothing(t *testing.T) {
	ses, api := newSES(t)
	c := newClient(t, api)
	for name, raw := range map[string]string{
		"only Resent-To":   "From: a@example.com\r\nResent-To: b@example.com\r\nSubject: x\r\n\r\nbody\r\n",
		"To with a space":  "From: a@example.com\r\nTo : b@example.com\r\nSubject: x\r\n\r\nbody\r\n",
		"no header at all": "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Send(ctx, &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte(raw)}}})
			require.Error(t, err)
			assert.ErrorIs(t, err, sesguard.ErrInvalidMessage)
		})
	}
	_, err := c.Send(ctx, &sesv2.SendEmailInput{Content: &types.EmailContent{Raw: &types.RawMessage{Data: []byte("From: a@example.com\r\nResent-To: b@example.com\r\n\r\nx\r\n")}}})
	assert.ErrorIs(t, err, sesguard.ErrNoRecipients)
	_, err = c.Send(ctx, simple())
	assert.ErrorIs(t, err, sesguard.ErrNoRecipients)
	assert.Empty(t, ses.Messages(), "a message without recipients reached SES")
}

func TestCanonicalRefusesOverLongAddresses(t *testing.T) {
	label := strings.Repeat("d", 63)
	domain := label + "." + label + "." + label + "." + strings.Repeat("e", 55) + ".com" // 251 octets
	tests := []struct {
		name string
		addr string
		ok   bool
	}{
		{"64-octet local part", strings.Repeat("l", 64) + "@example.com", true},
		{"65-octet local part", strings.Repeat("l", 65) + "@example.com", false},
		{"65 octets once quoted", `"` + strings.Repeat("l", 62) + ` "@example.com`, false},
		{"254 octets in all", "ab@" + domain, true},
		{"255 octets in all", "abc@" + domain, false},
		{"over-long, upper case, behind a display name", "Bob <" + strings.Repeat("L", 65) + "@example.com>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sesguard.Canonical(tt.addr)
			if tt.ok {
				require.NoError(t, err)
				assert.LessOrEqual(t, len(got), store.MaxAddressLen)
				return
			}
			require.ErrorIs(t, err, sesguard.ErrInvalidAddress)
		})
	}
}

// TestApplyWithOneUnusableAddress applies a bounce whose second recipient
// no store can hold: the first is suppressed, the second reported, and the
// notification is applied, not failed for SNS to retry forever.
func TestApplyWithOneUnusableAddress(t *testing.T) {
	_, api := newSES(t)
	c := newClient(t, api)
	long := strings.Repeat("x", 300) + "@example.com"
	ns, err := sesguard.Parse([]byte(`{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","feedbackId":"f-long","bouncedRecipients":[{"emailAddress":"ok@example.com"},{"emailAddress":"` + long + `"}]},"mail":{"messageId":"m"}}`))
	require.NoError(t, err)
	ds, err := c.Apply(ctx, ns[0])
	require.NoError(t, err)
	require.Len(t, ds, 2)
	assert.Equal(t, sesguard.ActionSuppressed, ds[0].Action)
	assert.Equal(t, sesguard.ActionIgnored, ds[1].Action)
	assert.Contains(t, ds[1].Why, "unusable address")
	in, err := c.Suppressions(ctx, "ok@example.com")
	require.NoError(t, err)
	assert.Len(t, in, 1)
}

func TestSuppressNeverWeakens(t *testing.T) {
	clk := newClock()
	_, api := newSES(t)
	c := newClient(t, api, func(o *sesguard.Options) { o.Now = clk.Now })
	hard, written, err := c.Suppress(ctx, store.Suppression{Address: "a@example.com", Reason: store.ReasonBounce})
	require.NoError(t, err)
	require.True(t, written)

	inForce, written, err := c.Suppress(ctx, store.Suppression{Address: "a@example.com", Reason: store.ReasonInvalid, ExpiresAt: clk.Now().Add(time.Hour)})
	require.NoError(t, err)
	assert.False(t, written)
	assert.Equal(t, hard.Reason, inForce.Reason)
	assert.True(t, inForce.ExpiresAt.IsZero())

	// Only Unsuppress lowers it.
	require.NoError(t, c.Unsuppress(ctx, "a@example.com"))
	inForce, written, err = c.Suppress(ctx, store.Suppression{Address: "a@example.com", Reason: store.ReasonInvalid, ExpiresAt: clk.Now().Add(time.Hour)})
	require.NoError(t, err)
	assert.True(t, written)
	assert.Equal(t, store.ReasonInvalid, inForce.Reason)

	_, _, err = c.Suppress(ctx, store.Suppression{Address: "b@example.com", Scope: store.Scope(strings.Repeat("s", store.MaxScopeLen+1))})
	assert.ErrorIs(t, err, store.ErrInvalid)
}

func TestUnsuppressScopes(t *testing.T) {
	_, api := newSES(t)
	ms := memstore.New()
	c := newClient(t, api, func(o *sesguard.Options) { o.Store = ms })
	for _, scope := range []store.Scope{store.ScopeAll, "news", "digest"} {
		_, _, err := c.Suppress(ctx, store.Suppression{Address: "a@example.com", Scope: scope})
		require.NoError(t, err)
	}
	_, err := ms.AddTransientBounce(ctx, "a@example.com", "b1", time.Now(), time.Hour)
	require.NoError(t, err)

	require.NoError(t, c.Unsuppress(ctx, "A@example.com", "news"))
	in, err := c.Suppressions(ctx, "a@example.com")
	require.NoError(t, err)
	assert.Len(t, in, 2, "Unsuppress of one scope lifted another")
	n, err := ms.AddTransientBounce(ctx, "a@example.com", "b2", time.Now(), time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "Unsuppress of a list scope forgot the transient bounces")

	require.NoError(t, c.Unsuppress(ctx, "a@example.com"))
	in, err = c.Suppressions(ctx, "a@example.com")
	require.NoError(t, err)
	assert.Empty(t, in, "Unsuppress without scopes left some")
	n, err = ms.AddTransientBounce(ctx, "a@example.com", "b3", time.Now(), time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "Unsuppress of every scope kept the transient bounces")
}

// TestCheckVetoNeverWeakens: a check that vetoes with Remember stores an
// expiring INVALID, which must not replace a permanent bounce.
func TestCheckVetoNeverWeakens(t *testing.T) {
	clk := newClock()
	_, api := newSES(t)
	c := newClient(t, api, func(o *sesguard.Options) {
		o.Now = clk.Now
		o.Checks = []sesguard.Check{func(_ context.Context, addr string) (*sesguard.Veto, error) {
			return &sesguard.Veto{Detail: "no MX", Remember: time.Hour}, nil
		}}
	})
	suppress(t, c, "gone@example.com", store.ReasonBounce)
	_, err := c.Send(ctx, simple("gone@example.com"))
	require.ErrorIs(t, err, sesguard.ErrSuppressed)
	clk.Advance(2 * time.Hour)
	in, err := c.Suppressions(ctx, "gone@example.com")
	require.NoError(t, err)
	require.Len(t, in, 1)
	assert.Equal(t, store.ReasonBounce, in[0].Reason)
	assert.True(t, in[0].ExpiresAt.IsZero(), "the veto's INVALID replaced the permanent bounce")
}
