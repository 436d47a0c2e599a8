package dynamostore

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesguard/sesguard/store"
)

// Lookup returns the suppressions of addrs in every scope, from the store's
// table and from every [Source], in one BatchGetItem per 100 keys (one key
// per address and table): a 50-recipient message with no sources costs one
// round trip. Keys that DynamoDB leaves unprocessed are asked for again
// with jittered backoff within ctx (see Options.BatchAttempts); if some
// are still unprocessed, Lookup fails with an error wrapping
// [ErrUnprocessed] rather than answer for part of addrs. The reads are
// strongly consistent.
func (s *Store) Lookup(ctx context.Context, addrs []string) ([]store.Suppression, error) {
	seen := make(map[string]struct{}, len(addrs))
	keys := make([]tableKey, 0, len(addrs)*(1+len(s.o.Sources)))
	for _, a := range addrs {
		if _, dup := seen[a]; dup || !storable(a) {
			continue
		}
		seen[a] = struct{}{}
		keys = append(keys, tableKey{s.table, suppressionKey(a)})
		for _, src := range s.o.Sources {
			keys = append(keys, tableKey{src.Table, src.key(a)})
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	var out []store.Suppression
	at := make(map[store.Key]int) // index in out of the ScopeAll entries
	add := func(v store.Suppression) {
		if v.Scope == store.ScopeAll {
			if i, ok := at[v.Key()]; ok {
				if store.Replaces(v, out[i]) {
					out[i] = v
				}
				return
			}
			at[v.Key()] = len(out)
		}
		out = append(out, v)
	}
	err := s.batchGet(ctx, keys, func(table string, m map[string]types.AttributeValue) error {
		if table != s.table {
			v, ok, err := s.source(table).suppression(m)
			if ok {
				add(v)
			}
			return err
		}
		it, err := decodeAddrItem(m)
		if err != nil {
			return err
		}
		for _, v := range it.entries {
			add(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dynamostore: lookup: %w", err)
	}
	return out, nil
}

// update applies change to addr's suppression item with [Store.rmw]:
// change edits the entries, and reports false to leave them as they are.
// An item left with no entries is deleted.
func (s *Store) update(ctx context.Context, addr string, change func(*addrItem) bool) (bool, error) {
	return s.rmw(ctx, suppressionKey(addr), func(cur map[string]types.AttributeValue) (map[string]types.AttributeValue, bool, error) {
		it := addrItem{addr: addr, entries: map[store.Scope]store.Suppression{}}
		if cur != nil {
			var err error
			if it, err = decodeAddrItem(cur); err != nil {
				return nil, false, err
			}
		}
		if !change(&it) {
			return nil, false, nil
		}
		if len(it.entries) == 0 {
			return nil, true, nil
		}
		next := it.encode()
		if n := itemSize(next); n > maxItem {
			return nil, false, fmt.Errorf("the suppressions of %q would take %d bytes, more than DynamoDB's item holds: %w", addr, n, store.ErrInvalid)
		}
		return next, true, nil
	})
}

// Put stores v unless the suppression stored under v.Key() is stronger
// ([store.Replaces]), with a conditional PutItem of the address's whole
// item: for an address that holds nothing, on condition that it still
// holds nothing — one round trip; for one that holds something, on
// condition that the item's version is still the one Put decided on. A
// concurrent writer's change is so never overwritten: when the condition
// fails, Put decides afresh on the item as it is now (see the package
// documentation, "Never weaker"). A suppression identical to the stored
// one is reported written without a write.
func (s *Store) Put(ctx context.Context, v store.Suppression) (bool, error) {
	if err := checkSuppression(v); err != nil {
		return false, fmt.Errorf("dynamostore: put: %w", err)
	}
	same := false
	written, err := s.update(ctx, v.Address, func(it *addrItem) bool {
		cur, ok := it.entries[v.Scope]
		same = ok && identical(cur, v)
		if same || ok && !store.Replaces(v, cur) {
			return false
		}
		it.entries[v.Scope] = v
		return true
	})
	if err != nil {
		return false, fmt.Errorf("dynamostore: put %q: %w", v.Address, err)
	}
	return written || same, nil
}

// identical reports whether a and b are the same suppression, to the
// instant: writing b over a would change nothing, so Put reports it
// written without a write. Duplicate deliveries of one notification, each
// applied in full, so do not contend for the address's item.
func identical(a, b store.Suppression) bool {
	return a.Key() == b.Key() && a.Reason == b.Reason && a.Detail == b.Detail && a.Source == b.Source &&
		a.CreatedAt.Equal(b.CreatedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}

// Delete removes the suppression stored under k, with the same conditional
// write as Put after a strongly consistent read; the address's item goes
// with its last scope. Delete does not touch the tables of
// Options.Sources, which are read-only.
func (s *Store) Delete(ctx context.Context, k store.Key) error {
	if !storable(k.Address) {
		return nil
	}
	_, err := s.update(ctx, k.Address, func(it *addrItem) bool {
		if _, ok := it.entries[k.Scope]; !ok {
			return false
		}
		delete(it.entries, k.Scope)
		return true
	})
	if err != nil {
		return fmt.Errorf("dynamostore: delete %q: %w", k.Address, err)
	}
	return nil
}
