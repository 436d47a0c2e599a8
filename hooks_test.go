package sesguard_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// recorded is what a test's Hooks saw.
type recorded struct {
	mu       sync.Mutex
	sends    []sesguard.SendReport
	applies  []sesguard.ApplyReport
	statuses []int
	storeOps []string
	waits    []int
	quota    [][2]int64
	breaker  []sesguard.BreakerStatus
}

type sendCtxKey struct{}

func (r *recorded) hooks() sesguard.Hooks {
	return sesguard.Hooks{
		Send: func(ctx context.Context, op string) (context.Context, func(sesguard.SendReport)) {
			return context.WithValue(ctx, sendCtxKey{}, op), func(rep sesguard.SendReport) {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.sends = append(r.sends, rep)
			}
		},
		Apply: func(ctx context.Context, n *sesguard.Notification) (context.Context, func(sesguard.ApplyReport)) {
			return ctx, func(rep sesguard.ApplyReport) {
				r.mu.Lock()
				defer r.mu.Unlock()
				r.applies = append(r.applies, rep)
			}
		},
		Webhook: func(_ context.Context, status int) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.statuses = append(r.statuses, status)
		},
		Store: func(ctx context.Context, op string, d time.Duration, err error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if ctx.Value(sendCtxKey{}) != nil {
				op = "send:" + op
			}
			r.storeOps = append(r.storeOps, op)
		},
		LimiterWait: func(_ context.Context, n int, _ time.Duration, _ error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.waits = append(r.waits, n)
		},
		Quota: func(used, limit int64) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.quota = append(r.quota, [2]int64{used, limit})
		},
		Breaker: func(s sesguard.BreakerStatus) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.breaker = append(r.breaker, s)
		},
	}
}

func TestHooksReportASend(t *testing.T) {
	_, api := newSES(t)
	var rec recorded
	c := newClient(t, api, func(o *sesguard.Options) {
		o.Hooks = rec.hooks()
		o.SendRate = 1000
		o.DailyQuota = 500
		o.PurgeEvery = -1
	})
	suppress(t, c, "gone@example.com", store.ReasonBounce)
	rec.storeOps = nil

	_, err := c.Send(ctx, simple("a@example.com", "gone@example.com", "not an address", "b@example.com"))
	require.NoError(t, err)
	_, err = c.Send(ctx, simple("gone@example.com"))
	require.ErrorIs(t, err, sesguard.ErrSuppressed)

	require.Len(t, rec.sends, 2)
	first := rec.sends[0]
	assert.Equal(t, "SendEmail", first.Op)
	assert.NotNil(t, first.Email)
	assert.Equal(t, 4, first.Recipients)
	assert.Equal(t, 2, first.Kept)
	assert.Equal(t, 2, first.Sent)
	require.Len(t, first.Skipped, 2)
	assert.Equal(t, store.ReasonBounce, first.Skipped[0].Reason)
	assert.Equal(t, store.ReasonInvalid, first.Skipped[1].Reason)
	assert.Equal(t, "canonical", first.Skipped[1].Source)
	assert.NoError(t, first.Err)

	second := rec.sends[1]
	assert.Equal(t, 1, second.Recipients)
	assert.Zero(t, second.Kept)
	assert.Zero(t, second.Sent)
	assert.ErrorIs(t, second.Err, sesguard.ErrSuppressed)

	// The store is asked about the recipients, and, with the breaker's
	// first refresh, about its counts; always with the context Hooks.Send
	// returned.
	lookups := 0
	for _, op := range rec.storeOps {
		assert.True(t, strings.HasPrefix(op, "send:"), "%s: the store is called with the context Hooks.Send returned", op)
		if op == "send:Lookup" {
			lookups++
		}
	}
	assert.Equal(t, 2, lookups, "store calls %v", rec.storeOps)
	assert.Equal(t, []int{2}, rec.waits)
	assert.Equal(t, [][2]int64{{2, 500}}, rec.quota)
}

func TestHooksReportABulkSend(t *testing.T) {
	_, api := newSES(t)
	var rec recorded
	c := newClient(t, api, func(o *sesguard.Options) { o.Hooks = rec.hooks() })
	suppress(t, c, "gone@example.com", store.ReasonComplaint)

	in := bulk([]string{"a@example.com", "gone@example.com"}, []string{"gone@example.com"}, []string{"b@example.com", "c@example.com"})
	_, err := c.SendBulkEmail(ctx, in)
	require.NoError(t, err)

	require.Len(t, rec.sends, 1)
	rep := rec.sends[0]
	assert.Equal(t, "SendBulkEmail", rep.Op)
	assert.Same(t, in, rep.Bulk)
	assert.Equal(t, 5, rep.Recipients)
	assert.Equal(t, 3, rep.Kept)
	assert.Equal(t, 3, rep.Sent)
	assert.Len(t, rep.Skipped, 2, "each entry reports its skipped recipients")
}

func TestHooksReportNotificationsAndWebhookAnswers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := sestest.RunT(t)
	var rec recorded
	c := newClient(t, srv.Client(), func(o *sesguard.Options) { o.Hooks = rec.hooks() })
	web := httptest.NewServer(snsHandler(t, c, func(o *sesguard.HandlerOptions) {
		o.SNS.HTTPClient = srv.SNSHTTPClient()
		o.SNS.TopicARNs = []string{srv.TopicARN()}
	}))
	defer web.Close()
	sub, err := srv.Subscribe(web.URL)
	require.NoError(t, err)
	require.NoError(t, sub.WaitConfirmed(ctx))

	_, err = c.Send(ctx, simple("bounce@simulator.amazonses.com"))
	require.NoError(t, err)
	require.NoError(t, sub.Wait(ctx, 1))
	resp, err := http.Get(web.URL)
	require.NoError(t, err)
	resp.Body.Close()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, []int{http.StatusOK, http.StatusOK, http.StatusMethodNotAllowed}, rec.statuses, "confirmation, notification, GET")
	require.Len(t, rec.applies, 1)
	a := rec.applies[0]
	require.NoError(t, a.Err)
	assert.Equal(t, sesguard.EventBounce, a.Notification.Type)
	require.Len(t, a.Decisions, 1)
	assert.Equal(t, sesguard.ActionSuppressed, a.Decisions[0].Action)
	assert.False(t, a.Notification.EventTime().IsZero())
	assert.Subset(t, rec.storeOps, []string{"InTx", "Applied", "Put", "MarkApplied"})
}

func TestHooksReportTheBreaker(t *testing.T) {
	clk := newClock()
	var rec recorded
	_, api := newSES(t)
	c := newClient(t, api, func(o *sesguard.Options) {
		o.Now = clk.Now
		o.Hooks = rec.hooks()
		o.Breaker.MinVolume = 10
	})
	for range 10 {
		_, err := c.Send(ctx, simple("a@example.com"))
		require.NoError(t, err)
	}
	clk.Advance(11 * time.Second)
	require.NoError(t, sesguard.ObserveBounces(ctx, c, 1))

	require.NotEmpty(t, rec.breaker)
	last := rec.breaker[len(rec.breaker)-1]
	assert.Equal(t, sesguard.BreakerOpen, last.State)
	assert.EqualValues(t, 10, last.Sent)
	assert.EqualValues(t, 1, last.Bounced)
	assert.InDelta(t, 0.04, last.BounceThreshold, 1e-12)
	assert.InDelta(t, 0.0008, last.ComplaintThreshold, 1e-12)
	assert.EqualValues(t, 10, last.MinVolume)
	assert.Equal(t, last, c.Breaker())
}

// Stores with none or one of the optional abilities.
type (
	bareStore         struct{ store.Store }
	onlyBounceCounter struct {
		store.Store
		store.BounceCounter
	}
	onlyDeduper struct {
		store.Store
		store.Deduper
	}
	onlyCounter struct {
		store.Store
		store.Counter
	}
	onlyLister struct {
		store.Store
		store.Lister
	}
	onlyPurger struct {
		store.Store
		store.Purger
	}
	onlyTransactor struct {
		store.Store
		store.Transactor
	}
)

// abilities are the optional interfaces of package store.
var abilities = map[string]reflect.Type{
	"BounceCounter": reflect.TypeFor[store.BounceCounter](),
	"Deduper":       reflect.TypeFor[store.Deduper](),
	"Counter":       reflect.TypeFor[store.Counter](),
	"Lister":        reflect.TypeFor[store.Lister](),
	"Purger":        reflect.TypeFor[store.Purger](),
	"Transactor":    reflect.TypeFor[store.Transactor](),
}

func TestAbilitiesListsEveryOptionalInterfaceOfStore(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("store", "store.go"), nil, 0)
	require.NoError(t, err)
	var found []string
	for name, obj := range f.Scope.Objects {
		if ts, ok := obj.Decl.(*ast.TypeSpec); ok && name != "Store" {
			if _, ok := ts.Type.(*ast.InterfaceType); ok {
				found = append(found, name)
			}
		}
	}
	var known []string
	for name := range abilities {
		known = append(known, name)
	}
	slices.Sort(found)
	slices.Sort(known)
	assert.Equal(t, found, known, "an ability added to package store needs its wrapper in storehooks.go and go generate")
}

func TestHookedStoreHasTheAbilitiesOfItsStore(t *testing.T) {
	mem := memstore.New()
	stores := map[string]store.Store{
		"none":               bareStore{mem},
		"all":                mem,
		"only BounceCounter": onlyBounceCounter{mem, mem},
		"only Deduper":       onlyDeduper{mem, mem},
		"only Counter":       onlyCounter{mem, mem},
		"only Lister":        onlyLister{mem, mem},
		"only Purger":        onlyPurger{mem, mem},
		"only Transactor":    onlyTransactor{mem, mem},
	}
	_, api := newSES(t)
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			var ops []string
			c := newClient(t, api, func(o *sesguard.Options) {
				o.Store = s
				o.Hooks.Store = func(_ context.Context, op string, _ time.Duration, _ error) { ops = append(ops, op) }
			})
			assert.True(t, s == c.Store(), "Store returns the store as given")
			hooked := reflect.TypeOf(sesguard.StoreInUse(c))
			for ability, typ := range abilities {
				assert.Equal(t, reflect.TypeOf(s).Implements(typ), hooked.Implements(typ), ability)
			}
			_, err := c.Suppressions(ctx, "a@example.com")
			require.NoError(t, err)
			assert.Equal(t, []string{"Lookup"}, ops)
		})
	}
}
