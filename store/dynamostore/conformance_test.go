package dynamostore_test

import (
	"testing"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/storetest"
)

// TestConformance runs store/storetest on dynalite. Every case runs but the
// five Transactor cases, which the suite skips because the store has no
// store.Transactor (see the package documentation); nothing is skipped
// for dynalite's sake.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
}

// TestConformanceWithOldItems runs the suite again with the conditional
// writes' failures carrying the item as it is, as DynamoDB returns it
// (ReturnValuesOnConditionCheckFailure) and dynalite does not, so that the
// store's use of it is held to every rule too.
func TestConformanceWithOldItems(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _, p := proxied(t, 3)
		p.always("PutItem", oldItem)
		p.always("DeleteItem", oldItem)
		return s
	})
}
