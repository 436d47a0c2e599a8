package dynamostore

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
)

// FuzzBucketKeyOrder checks that bucket keys sort, byte by byte as
// DynamoDB sorts them, in the order of their times, before 1970 too: the
// range Query of SumCounts relies on it.
func FuzzBucketKeyOrder(f *testing.F) {
	f.Add(int64(0), int64(1))
	f.Add(int64(-1), int64(0))
	f.Add(int64(math.MinInt64+1), int64(math.MaxInt64))
	f.Add(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC).UnixNano(), time.Date(2026, 11, 30, 12, 0, 10, 0, time.UTC).UnixNano())
	f.Fuzz(func(t *testing.T, a, b int64) {
		ka, kb := bucketKey(time.Unix(0, a)), bucketKey(time.Unix(0, b))
		require.Len(t, ka, 20)
		assert.Equal(t, a < b, ka < kb, "%d < %d, keys %s %s", a, b, ka, kb)
		assert.Equal(t, a == b, ka == kb)
	})
}

// FuzzItemRoundTrip encodes a suppression item and decodes it again: every
// field of every scope comes back, and the TTL is present exactly when
// every scope expires.
func FuzzItemRoundTrip(f *testing.F) {
	f.Add("a@example.com", "", "BOUNCE", "550 5.1.1", "notification-1", int64(1_700_000_000_123_456_789), int64(0), "news", int64(1_800_000_000_000_000_000))
	f.Add("ü@bücher.example", "list/ü", "", "", "", int64(0), int64(-1), "", int64(1))
	f.Fuzz(func(t *testing.T, addr, scope, reason, detail, source string, created, expires int64, scope2 string, expires2 int64) {
		for _, s := range []string{addr, scope, reason, detail, source, scope2} {
			if !utf8.ValidString(s) {
				t.Skip("DynamoDB strings are UTF-8; checkSuppression refuses others")
			}
		}
		if addr == "" || scope == scope2 || created == math.MinInt64 || expires == math.MinInt64 || expires2 == math.MinInt64 {
			t.Skip()
		}
		at := func(ns int64) time.Time {
			if ns == 0 {
				return time.Time{}
			}
			return time.Unix(0, ns).UTC()
		}
		it := addrItem{addr: addr, entries: map[store.Scope]store.Suppression{
			store.Scope(scope):  {Address: addr, Scope: store.Scope(scope), Reason: store.Reason(reason), Detail: detail, Source: source, CreatedAt: at(created), ExpiresAt: at(expires)},
			store.Scope(scope2): {Address: addr, Scope: store.Scope(scope2), Reason: store.ReasonUnsubscribe, ExpiresAt: at(expires2)},
		}}
		m := it.encode()
		got, err := decodeAddrItem(m)
		require.NoError(t, err)
		assert.Equal(t, it, got)
		_, hasTTL := m[attrTTL]
		assert.Equal(t, expires != 0 && expires2 != 0, hasTTL)
		assert.True(t, strings.HasPrefix(getStr(m, attrPK), prefixSuppressions))
		assert.Equal(t, addr, getStr(m, attrSK))
	})
}
