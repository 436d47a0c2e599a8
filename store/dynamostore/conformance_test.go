package dynamostore_test

import (
	"testing"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}
