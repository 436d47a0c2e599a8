package sqlstore_test

import (
	"testing"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/storetest"
)

func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			storetest.Run(t, func(t *testing.T) store.Store { return newStore(t, db) })
		})
	}
}
