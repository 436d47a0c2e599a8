package faultstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/internal/faultstore"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/memstore"
)

func TestInjectNthCountsOnlyItsMethod(t *testing.T) {
	ctx := context.Background()
	s, ctl := faultstore.New(memstore.New())
	ctl.InjectNth("Put", 2, faultstore.Fail)
	put := func(addr string) error {
		_, err := s.Put(ctx, store.Suppression{Address: addr, Reason: store.ReasonBounce})
		return err
	}

	require.NoError(t, put("a@example.com"))
	_, err := s.Lookup(ctx, []string{"a@example.com"})
	require.NoError(t, err, "a Lookup between the Puts is not counted as a Put")
	require.ErrorIs(t, put("b@example.com"), faultstore.ErrInjected)
	require.NoError(t, put("c@example.com"), "the fault is met once")

	found, err := s.Lookup(ctx, []string{"a@example.com", "b@example.com", "c@example.com"})
	require.NoError(t, err)
	var got []string
	for _, v := range found {
		got = append(got, v.Address)
	}
	assert.ElementsMatch(t, []string{"a@example.com", "c@example.com"}, got, "the failed Put took no effect")
	assert.Equal(t, []string{"Put", "Lookup", "Put", "Put", "Lookup"}, ctl.Calls())
}

func TestClearForgetsNthFaults(t *testing.T) {
	s, ctl := faultstore.New(memstore.New())
	ctl.InjectNth("Delete", 1, faultstore.Fail)
	ctl.Clear()
	require.NoError(t, s.Delete(context.Background(), store.Key{Address: "a@example.com"}))
}
