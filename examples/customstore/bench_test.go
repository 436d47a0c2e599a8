package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sesguard/sesguard/store"
)

// BenchmarkFileStore measures a Lookup of one suppressed and one unknown
// address among 10,000 entries, and a Put, which appends a line and syncs
// the file before it returns.
func BenchmarkFileStore(b *testing.B) {
	ctx := context.Background()
	s, err := Open(filepath.Join(b.TempDir(), "s.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range 10_000 {
		if _, err := s.Put(ctx, store.Suppression{Address: fmt.Sprintf("user%d@example.com", i), Reason: store.ReasonBounce}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Lookup", func(b *testing.B) {
		addrs := []string{"user5000@example.com", "nobody@example.com"}
		for b.Loop() {
			if m, err := s.Lookup(ctx, addrs); err != nil || len(m) != 1 {
				b.Fatal(m, err)
			}
		}
	})
	b.Run("Put", func(b *testing.B) {
		v := store.Suppression{Address: "put@example.com", Reason: store.ReasonBounce, Detail: "Permanent/General: smtp; 550 5.1.1 user unknown"}
		for b.Loop() {
			if _, err := s.Put(ctx, v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
