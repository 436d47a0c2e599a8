package sesguard_test

import (
	"testing"

	"github.com/sesguard/sesguard/internal/faultstore"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

// TestApplyExactlyOnceUnderFaults runs the crash-after-each-step matrix on
// memstore, whose transactions make a batch one write, and on memstore
// without its Transactor, where the Client applies a batch in order.
func TestApplyExactlyOnceUnderFaults(t *testing.T) {
	t.Run("Transactor", func(t *testing.T) {
		faultstore.RunApplyMatrix(t, func(*testing.T) store.Store { return memstore.New() })
	})
	t.Run("NoTransactor", func(t *testing.T) {
		faultstore.RunApplyMatrix(t, func(*testing.T) store.Store { return faultstore.WithoutTransactor(memstore.New()) })
	})
}
