package memstore_test

import (
	"testing"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
	"github.com/sesguard/sesguard/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memstore.New() })
}
