package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
)

// Source describes a table of a team's own that already lists addresses
// not to mail — the table a hand-written SNS → Lambda → DynamoDB pipeline
// fills — so that sesguard can read it beside its own table while the team
// moves over, or import it once with [ScanSource] and [Store.Import].
//
// The table's partition key is the address, a string, and it has no sort
// key. Every item found for an address is a suppression of that address in
// [store.ScopeAll]. sesguard never writes to a Source, needs only
// dynamodb:BatchGetItem on it (dynamodb:Scan to import it), and cannot
// lift what it lists: Store.Delete removes only the store's own entries.
type Source struct {
	// Table is the table's name or ARN.
	Table string

	// KeyAttribute is the name of the partition key attribute, which
	// holds the address. Lookup asks for the canonical form of each
	// address (sesguard.Canonical: domain and, by default, local part in
	// lower case), so the table must hold addresses in that form to be
	// read in place; ScanSource canonicalises what it reads.
	KeyAttribute string

	// Reason is the reason of every suppression the table lists, unless
	// ReasonAttribute names an attribute that holds one. Zero:
	// store.ReasonBounce.
	Reason store.Reason

	// ReasonAttribute, DetailAttribute and CreatedAttribute name optional
	// string attributes of the items: a reason ("BOUNCE", "COMPLAINT", …),
	// a detail, and a creation time in RFC 3339. Empty: none.
	ReasonAttribute  string
	DetailAttribute  string
	CreatedAttribute string

	// ExpiresAttribute names an optional number attribute that holds when
	// the suppression ends, in Unix seconds — the table's TTL attribute,
	// if it has one. Empty, or absent from an item: never.
	ExpiresAttribute string
}

func (src Source) check() error {
	switch {
	case src.Table == "":
		return errors.New("empty Table")
	case src.KeyAttribute == "":
		return errors.New("empty KeyAttribute")
	}
	return nil
}

// source returns the Source whose table is table.
func (s *Store) source(table string) Source {
	for _, src := range s.o.Sources {
		if src.Table == table {
			return src
		}
	}
	return Source{Table: table}
}

func (src Source) key(addr string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{src.KeyAttribute: strAttr(addr)}
}

// suppression reads one item of the table; ok is false for an item with no
// address.
func (src Source) suppression(m map[string]types.AttributeValue) (v store.Suppression, ok bool, err error) {
	v = store.Suppression{
		Address: getStr(m, src.KeyAttribute),
		Scope:   store.ScopeAll,
		Reason:  src.Reason,
		Source:  "dynamodb:" + src.Table,
	}
	if v.Address == "" {
		return v, false, nil
	}
	if v.Reason == "" {
		v.Reason = store.ReasonBounce
	}
	if src.ReasonAttribute != "" {
		if r := getStr(m, src.ReasonAttribute); r != "" {
			v.Reason = store.Reason(r)
		}
	}
	if src.DetailAttribute != "" {
		v.Detail = getStr(m, src.DetailAttribute)
	}
	if src.CreatedAttribute != "" {
		if c := getStr(m, src.CreatedAttribute); c != "" {
			if v.CreatedAt, err = time.Parse(time.RFC3339Nano, c); err != nil {
				return v, false, fmt.Errorf("%s: item %q: %s: %w", src.Table, v.Address, src.CreatedAttribute, err)
			}
		}
	}
	if src.ExpiresAttribute != "" {
		if n, ok := m[src.ExpiresAttribute].(*types.AttributeValueMemberN); ok {
			sec, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				return v, false, fmt.Errorf("%s: item %q: %s: %w", src.Table, v.Address, src.ExpiresAttribute, err)
			}
			v.ExpiresAt = time.Unix(int64(sec), 0).UTC()
		}
	}
	return v, true, nil
}

// ScanSource reads every item of src's table with a paginated Scan, for
// [Store.Import], and yields each as a suppression whose address is in
// sesguard's canonical form. An item whose address sesguard.Canonical
// refuses is yielded with an error that wraps [store.ErrInvalid] and names
// the address; a caller that would rather skip such items than stop the
// import filters them out. A failed Scan is yielded as an error, and the
// sequence ends there.
func ScanSource(ctx context.Context, api API, src Source) iter.Seq2[store.Suppression, error] {
	return func(yield func(store.Suppression, error) bool) {
		if err := src.check(); err != nil {
			yield(store.Suppression{}, fmt.Errorf("dynamostore: scan source: %w", err))
			return
		}
		in := &dynamodb.ScanInput{TableName: aws.String(src.Table)}
		for {
			out, err := api.Scan(ctx, in)
			if err != nil {
				yield(store.Suppression{}, fmt.Errorf("dynamostore: scan %s: %w", src.Table, err))
				return
			}
			for _, m := range out.Items {
				v, ok, err := src.suppression(m)
				if !ok && err == nil {
					continue
				}
				if err == nil {
					addr := v.Address
					if v.Address, err = sesguard.Canonical(addr); err != nil {
						err = fmt.Errorf("dynamostore: scan %s: address %q: %w: %w", src.Table, addr, err, store.ErrInvalid)
					}
				}
				if !yield(v, err) {
					return
				}
			}
			if len(out.LastEvaluatedKey) == 0 {
				return
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
}
