package memstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// TestConcurrentTransactionsCountEachOthersBounces records the transient
// bounces of many addresses, each bounce in a transaction of its own and
// all at once, as the Client applies notifications: every address's
// counts must come out 1, 2 and 3, so that the third bounce suppresses.
// Transactions that read the records as they were when they began would
// both count 2, and the suppression would be lost.
func TestConcurrentTransactionsCountEachOthersBounces(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	const addrs, per = 50, 3
	var mu sync.Mutex
	counts := map[string][]int{}
	var wg sync.WaitGroup
	for i := range addrs * per {
		addr := fmt.Sprintf("a%d@example.com", i%addrs)
		wg.Go(func() {
			err := s.InTx(ctx, func(tx store.Store) error {
				n, err := tx.(store.BounceCounter).AddTransientBounce(ctx, addr, fmt.Sprint("bounce-", i), at.Add(time.Duration(i)*time.Second), 14*24*time.Hour)
				mu.Lock()
				counts[addr] = append(counts[addr], n)
				mu.Unlock()
				// The Client writes more after counting: the
				// suppression, the mark.
				time.Sleep(time.Millisecond)
				return err
			})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.Len(t, counts, addrs)
	for addr, ns := range counts {
		assert.ElementsMatch(t, []int{1, 2, 3}, ns, addr)
	}
}
