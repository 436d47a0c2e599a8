package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

var epoch = time.Date(2026, 3, 14, 15, 9, 26, 535_123_000, time.UTC)

// address returns an address of exactly n bytes.
func address(n int) string {
	const domain = "@example.com"
	return strings.Repeat("a", n-len(domain)) + domain
}

func TestFieldsRoundTripOrAreRefused(t *testing.T) {
	ctx := context.Background()
	longest := strings.Repeat("l", 64) + "@" + strings.Repeat("d", 63) + "." + strings.Repeat("e", 63) + "." + strings.Repeat("f", 57) + ".com"
	ok := []struct {
		name string
		s    store.Suppression
	}{
		{"AddressOf254Bytes", store.Suppression{Address: longest, Reason: store.ReasonBounce, CreatedAt: epoch}},
		{"IDNADomain", store.Suppression{Address: "jörg@xn--bcher-kva.example", Reason: store.ReasonComplaint, Detail: "Bücher", CreatedAt: epoch}},
		{"UTF8LocalPart", store.Suppression{Address: "用户@xn--fiqs8s.xn--fiqz9s", Reason: store.ReasonBounce, CreatedAt: epoch}},
		{"ReasonOf64Bytes", store.Suppression{Address: "r@example.com", Reason: store.Reason(strings.Repeat("R", 64)), CreatedAt: epoch}},
		{"SourceOf255Bytes", store.Suppression{Address: "s@example.com", Reason: store.ReasonManual, Source: strings.Repeat("s", 255), CreatedAt: epoch}},
		{"DetailOf65535Bytes", store.Suppression{Address: "d@example.com", Reason: store.ReasonBounce, Detail: strings.Repeat("é", 32767) + "x", CreatedAt: epoch}},
		{"EmptyReasonDetailSource", store.Suppression{Address: "e@example.com"}},
		{"FirstAndLastYears", store.Suppression{Address: "y@example.com", Reason: store.ReasonManual,
			CreatedAt: time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC), ExpiresAt: time.Date(9999, 12, 31, 23, 59, 59, 999_999_000, time.UTC)}},
		{"MicrosecondsKept", store.Suppression{Address: "us@example.com", Reason: store.ReasonManual, CreatedAt: epoch.Add(987 * time.Microsecond)}},
	}
	refused := []struct {
		name string
		s    store.Suppression
	}{
		{"EmptyAddress", store.Suppression{Reason: store.ReasonBounce}},
		{"AddressOf255Bytes", store.Suppression{Address: address(255), Reason: store.ReasonBounce}},
		{"AddressNotUTF8", store.Suppression{Address: "bad\xff@example.com", Reason: store.ReasonBounce}},
		{"AddressWithNUL", store.Suppression{Address: "nul\x00@example.com", Reason: store.ReasonBounce}},
		{"ReasonOf65Bytes", store.Suppression{Address: "refused-r@example.com", Reason: store.Reason(strings.Repeat("R", 65))}},
		{"SourceOf256Bytes", store.Suppression{Address: "refused-s@example.com", Source: strings.Repeat("s", 256)}},
		{"DetailOf65536Bytes", store.Suppression{Address: "refused-d@example.com", Detail: strings.Repeat("d", 65536)}},
		{"DetailNotUTF8", store.Suppression{Address: "refused-u@example.com", Detail: "\xc3("}},
		{"DetailWithNUL", store.Suppression{Address: "refused-n@example.com", Detail: "a\x00b"}},
		{"YearAfter9999", store.Suppression{Address: "refused-y@example.com", ExpiresAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"YearBeforeOne", store.Suppression{Address: "refused-b@example.com", CreatedAt: time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC)}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			for _, tc := range ok {
				t.Run(tc.name, func(t *testing.T) {
					if _, err := s.Put(ctx, tc.s); err != nil {
						t.Fatalf("Put: %v", err)
					}
					got, found := mustLookup(t, s, tc.s.Address)[tc.s.Address]
					if !found {
						t.Fatalf("%q absent after Put", tc.s.Address)
					}
					want := tc.s
					want.CreatedAt = want.CreatedAt.Truncate(time.Microsecond)
					want.ExpiresAt = want.ExpiresAt.Truncate(time.Microsecond)
					if got.Address != want.Address || got.Reason != want.Reason || got.Detail != want.Detail || got.Source != want.Source ||
						!got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
						t.Errorf("stored %.80v\nreturned %.80v", want, got)
					}
				})
			}
			for _, tc := range refused {
				t.Run(tc.name, func(t *testing.T) {
					_, err := s.Put(ctx, tc.s)
					if !errors.Is(err, store.ErrInvalid) {
						t.Fatalf("Put: error %v, want one wrapping store.ErrInvalid", err)
					}
					if got := mustLookup(t, s, tc.s.Address); len(got) != 0 {
						t.Errorf("refused suppression was stored: %.80v", got)
					}
				})
			}
			t.Run("LookupOfUnstorableAddressesIsAbsent", func(t *testing.T) {
				mustPut(t, s, store.Suppression{Address: "kept@example.com", Reason: store.ReasonBounce})
				got, err := s.Lookup(ctx, []string{address(255), "bad\xff@example.com", "nul\x00@x", "", "kept@example.com"})
				if err != nil {
					t.Fatalf("Lookup: %v", err)
				}
				if len(got) != 1 || got[0].Address != "kept@example.com" {
					t.Errorf("Lookup = %v, want only kept@example.com", got)
				}
				for _, a := range []string{address(255), "bad\xff@example.com", ""} {
					if err := s.Delete(ctx, store.Key{Address: a}); err != nil {
						t.Errorf("Delete(%.20q): %v, want nil", a, err)
					}
				}
			})
			t.Run("KeysOfAbilitiesAreChecked", func(t *testing.T) {
				if _, err := s.MarkApplied(ctx, strings.Repeat("i", 256), epoch, epoch.Add(time.Hour)); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("MarkApplied of a 256-byte id: %v, want store.ErrInvalid", err)
				}
				if ok, err := s.MarkApplied(ctx, strings.Repeat("i", 255), epoch, epoch.Add(time.Hour)); err != nil || !ok {
					t.Errorf("MarkApplied of a 255-byte id = %v, %v; want true, nil", ok, err)
				}
				if err := s.AddCount(ctx, store.Count{Bucket: epoch, N: 1, KeepUntil: epoch}); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("AddCount with no name: %v, want store.ErrInvalid", err)
				}
				if _, err := s.MarkApplied(ctx, "counted", epoch, epoch.Add(time.Hour), store.Count{Name: strings.Repeat("n", 256)}); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("MarkApplied with a count name of 256 bytes: %v, want store.ErrInvalid", err)
				}
				if _, err := s.AddTransientBounce(ctx, "soft@example.com", "b", epoch, -time.Hour); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("AddTransientBounce with a negative window: %v, want store.ErrInvalid", err)
				}
				if _, err := s.AddTransientBounce(ctx, address(255), "b", epoch, time.Hour); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("AddTransientBounce of a 255-byte address: %v, want store.ErrInvalid", err)
				}
				if _, err := s.AddTransientBounce(ctx, "soft@example.com", strings.Repeat("b", 256), epoch, time.Hour); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("AddTransientBounce of a 256-byte id: %v, want store.ErrInvalid", err)
				}
				if _, err := s.List(ctx, store.Key{Address: "\xff"}, 10); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("List after a cursor that is not UTF-8: %v, want store.ErrInvalid", err)
				}
			})
		})
	}
}

func TestLookupOfMoreThanOneChunk(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newStore(t, b.open(t))
			n := 2*sqlstore.LookupChunk + 77
			var asked []string
			var stored []store.Suppression
			for i := range n {
				a := fmt.Sprintf("chunk%05d@example.com", i)
				asked = append(asked, a)
				if i%3 == 0 {
					stored = append(stored, store.Suppression{Address: a, Reason: store.ReasonBounce, CreatedAt: epoch})
				}
			}
			if _, err := s.Import(ctx, seqOf(stored)); err != nil {
				t.Fatalf("Import: %v", err)
			}
			got, err := s.Lookup(ctx, asked)
			if err != nil {
				t.Fatalf("Lookup of %d addresses: %v", n, err)
			}
			if len(got) != len(stored) {
				t.Fatalf("Lookup of %d addresses found %d, want %d", n, len(got), len(stored))
			}
			found := make(map[string]bool, len(got))
			for _, v := range got {
				found[v.Address] = true
			}
			for _, v := range stored {
				if !found[v.Address] {
					t.Errorf("%q stored but not found", v.Address)
				}
			}
		})
	}
}

func mustPut(t *testing.T, s store.Store, v store.Suppression) {
	t.Helper()
	if _, err := s.Put(context.Background(), v); err != nil {
		t.Fatalf("Put(%q): %v", v.Address, err)
	}
}

// mustLookup returns the suppressions of addrs in the scope ScopeAll, by
// address.
func mustLookup(t *testing.T, s store.Store, addrs ...string) map[string]store.Suppression {
	t.Helper()
	got, err := s.Lookup(context.Background(), addrs)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	byAddr := make(map[string]store.Suppression, len(got))
	for _, v := range got {
		if v.Scope == store.ScopeAll {
			byAddr[v.Address] = v
		}
	}
	return byAddr
}
