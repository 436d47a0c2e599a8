package sqlstore_test

import (
	"testing"

	"github.com/sesguard/sesguard/internal/faultstore"
	"github.com/sesguard/sesguard/store"
)

// TestApplyExactlyOnceUnderFaults runs the crash-after-each-step matrix of
// internal/faultstore on each database: every store call of applying a
// bounce, a complaint, a third transient bounce and a batch fails, loses
// its reply or panics in turn, and the redelivered notifications must be
// applied exactly once.
func TestApplyExactlyOnceUnderFaults(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			faultstore.RunApplyMatrix(t, func(t *testing.T) store.Store { return newStore(t, db) })
		})
	}
}
