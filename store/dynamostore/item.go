package dynamostore

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesguard/sesguard/store"
)

// addrItem is the suppression item of one address: every scope's
// suppression of the address, under one key, so that a BatchGetItem key
// per address returns all its scopes.
type addrItem struct {
	addr    string
	entries map[store.Scope]store.Suppression
}

// decodeAddrItem reads a suppression item as GetItem, BatchGetItem or Query
// return it.
func decodeAddrItem(m map[string]types.AttributeValue) (addrItem, error) {
	it := addrItem{addr: getStr(m, attrSK), entries: map[store.Scope]store.Suppression{}}
	scopes, _ := m[attrScopes].(*types.AttributeValueMemberM)
	if scopes == nil {
		return it, nil
	}
	for k, av := range scopes.Value {
		e, ok := av.(*types.AttributeValueMemberM)
		if !ok || !strings.HasPrefix(k, scopePrefix) {
			return it, fmt.Errorf("item of %q: scope entry %q is not a map", it.addr, k)
		}
		s := store.Suppression{
			Address: it.addr,
			Scope:   store.Scope(strings.TrimPrefix(k, scopePrefix)),
			Reason:  store.Reason(getStr(e.Value, fieldReason)),
			Detail:  getStr(e.Value, fieldDetail),
			Source:  getStr(e.Value, fieldSource),
		}
		ct, ok, err := getNum(e.Value, fieldCreated)
		if err != nil {
			return it, err
		}
		s.CreatedAt = timeOf(ct, ok)
		x, ok, err := getNum(e.Value, fieldExpires)
		if err != nil {
			return it, err
		}
		s.ExpiresAt = timeOf(x, ok)
		it.entries[s.Scope] = s
	}
	return it, nil
}

// encode returns the item to write for it, without its version. It
// carries the TTL attribute only when every entry expires, at the latest
// expiry, so that DynamoDB never deletes a suppression that still holds.
func (it addrItem) encode() map[string]types.AttributeValue {
	m := suppressionKey(it.addr)
	scopes := make(map[string]types.AttributeValue, len(it.entries))
	latest, permanent := it.latestExpiry()
	for sc, s := range it.entries {
		e := map[string]types.AttributeValue{
			fieldReason: strAttr(string(s.Reason)),
			fieldDetail: strAttr(s.Detail),
			fieldSource: strAttr(s.Source),
		}
		if !s.CreatedAt.IsZero() {
			e[fieldCreated] = numAttr(s.CreatedAt.UnixNano())
		}
		if !s.ExpiresAt.IsZero() {
			e[fieldExpires] = numAttr(s.ExpiresAt.UnixNano())
		}
		scopes[scopePrefix+string(sc)] = &types.AttributeValueMemberM{Value: e}
	}
	m[attrScopes] = &types.AttributeValueMemberM{Value: scopes}
	if !permanent {
		m[attrTTL] = ttlAttr(latest)
	}
	return m
}

// latestExpiry returns the latest ExpiresAt of the entries, and whether
// one of them never expires.
func (it addrItem) latestExpiry() (latest time.Time, permanent bool) {
	for _, s := range it.entries {
		if s.ExpiresAt.IsZero() {
			return latest, true
		}
		if s.ExpiresAt.After(latest) {
			latest = s.ExpiresAt
		}
	}
	return latest, false
}

// sorted returns the entries in scope order.
func (it addrItem) sorted() []store.Suppression {
	out := make([]store.Suppression, 0, len(it.entries))
	for _, s := range it.entries {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b store.Suppression) int { return strings.Compare(string(a.Scope), string(b.Scope)) })
	return out
}

// itemSize estimates the size DynamoDB counts for m, from above: names and
// string values by their bytes, numbers at their most, and a few bytes of
// overhead per map entry.
func itemSize(m map[string]types.AttributeValue) int {
	n := 0
	for k, v := range m {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberM:
		return 3 + itemSize(v.Value) + len(v.Value)
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, e := range v.Value {
			n += len(e)
		}
		return n
	}
	return 21
}
