package sqlstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
)

// TestConcurrentBatchesDoNotDeadlock runs batches the way the SQS
// consumer does: many transactions at once, each marking ten
// notifications with a count in one bucket. Were each mark's count
// written to a row of the bucket chosen at random as it is made, two
// transactions would take rows in opposite orders and the server would
// abort one as a deadlock (PostgreSQL only after its deadlock_timeout, a
// second, longer than the consumer's visibility timeout in tests/faults).
func TestConcurrentBatchesDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
			const batches, per = 24, 10
			var wg sync.WaitGroup
			errs := make([]error, batches)
			for i := range batches {
				wg.Go(func() {
					errs[i] = s.InTx(ctx, func(tx store.Store) error {
						for j := range per {
							id := fmt.Sprintf("batch-%d-%d", i, j)
							c := store.Count{Name: "bounced", Bucket: at, N: 1, KeepUntil: at.Add(time.Hour)}
							if _, err := tx.(store.Deduper).MarkApplied(ctx, id, at, at.Add(time.Hour), c); err != nil {
								return err
							}
						}
						return nil
					})
				})
			}
			wg.Wait()
			for i, err := range errs {
				assert.NoError(t, err, "batch %d", i)
			}
			n, err := s.SumCounts(ctx, "bounced", at, at.Add(time.Second))
			require.NoError(t, err)
			assert.Equal(t, int64(batches*per), n)
		})
	}
}
