package dynamostore

import (
	"context"
	"fmt"
	"iter"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/sesguard/sesguard/store"
)

// ImportOptions configures [Store.Import]. Every zero value is a documented
// default.
type ImportOptions struct {
	// KeepExisting leaves a key that already holds a suppression as it is.
	// Zero: an imported suppression replaces the stored one when Put would
	// ([store.Replaces]): never with a weaker one.
	KeepExisting bool

	// Conditional writes every address with the conditional write of Put,
	// one request per address, instead of BatchWriteItem for the addresses
	// that hold nothing yet. Set it when other processes write the table
	// during the import (see [Store.Import]).
	Conditional bool

	// Progress, when set, is called after each batch of 100 addresses is
	// written with the number of rows of seq written so far.
	Progress func(imported int)
}

// importBatch is how many addresses one batch of Import reads and writes:
// what one BatchGetItem takes.
const importBatch = maxBatchGet

// importWriters is how many conditional writes of one batch Import makes
// at once.
const importWriters = 8

// Import writes the suppressions of seq — a list being migrated, such as a
// [Source] read with [ScanSource], or an export of the SES account-level
// suppression list — in batches of 100 addresses. Each batch reads what
// the table holds for its addresses with one BatchGetItem, merges the rows
// in as Puts in order would (never weakening a stored suppression), and
// writes the addresses that held nothing with BatchWriteItem, 25 items per
// call, resending the items DynamoDB leaves unprocessed with jittered
// backoff (Options.BatchAttempts), and the addresses that held something
// with Put's conditional write. It returns the number of rows of seq
// written.
//
// BatchWriteItem cannot carry a condition: an address that another
// process writes for the first time between a batch's read and its write
// loses that write. Import into a table that is not yet in use, or set
// ImportOptions.Conditional.
//
// Import stops at the first row that is invalid (see [Store.Put]) or that
// seq yields with an error, after writing every row before it: the count
// returned is then the index of that row, and the error, which names the
// row, wraps store.ErrInvalid or seq's error. Rows written stay written,
// and importing the same rows again changes nothing, so a stopped import
// resumes by skipping the rows already written. When a key appears more
// than once in seq, the stronger row stays (the first, with KeepExisting).
func (s *Store) Import(ctx context.Context, seq iter.Seq2[store.Suppression, error], optFns ...func(*ImportOptions)) (int, error) {
	var o ImportOptions
	for _, fn := range optFns {
		fn(&o)
	}
	rows := make(map[string][]store.Suppression, importBatch) // by address, in seq's order
	order := make([]string, 0, importBatch)
	written, pending := 0, 0 // rows of seq written, and read since
	flush := func() error {
		if len(order) == 0 {
			return nil
		}
		if err := s.importBatch(ctx, order, rows, o); err != nil {
			return fmt.Errorf("dynamostore: import: rows %d to %d: %w", written, written+pending-1, err)
		}
		written += pending
		pending = 0
		order = order[:0]
		clear(rows)
		if o.Progress != nil {
			o.Progress(written)
		}
		return nil
	}
	for v, err := range seq {
		if err == nil {
			err = checkSuppression(v)
		}
		if err != nil {
			row := written + pending
			if ferr := flush(); ferr != nil {
				return written, ferr
			}
			return written, fmt.Errorf("dynamostore: import: row %d: %w", row, err)
		}
		if _, ok := rows[v.Address]; !ok {
			if len(order) == importBatch {
				if err := flush(); err != nil {
					return written, err
				}
			}
			order = append(order, v.Address)
		}
		rows[v.Address] = append(rows[v.Address], v)
		pending++
	}
	if err := flush(); err != nil {
		return written, err
	}
	return written, nil
}

// merge applies rows to it as Puts in order would (or leaving every key
// that holds something alone, with keep), and reports whether it changed.
func merge(it *addrItem, rows []store.Suppression, keep bool) bool {
	changed := false
	for _, v := range rows {
		if cur, ok := it.entries[v.Scope]; ok && (keep || !store.Replaces(v, cur)) {
			continue
		}
		it.entries[v.Scope] = v
		changed = true
	}
	return changed
}

// importBatch writes the rows of the addresses of order.
func (s *Store) importBatch(ctx context.Context, order []string, rows map[string][]store.Suppression, o ImportOptions) error {
	keys := make([]tableKey, len(order))
	for i, a := range order {
		keys[i] = tableKey{s.table, suppressionKey(a)}
	}
	found := make(map[string]bool, len(order))
	if err := s.batchGet(ctx, keys, func(_ string, m map[string]types.AttributeValue) error {
		found[getStr(m, attrSK)] = true
		return nil
	}); err != nil {
		return err
	}
	var fresh []map[string]types.AttributeValue
	var held []string
	for _, a := range order {
		if found[a] || o.Conditional {
			held = append(held, a)
			continue
		}
		it := addrItem{addr: a, entries: map[store.Scope]store.Suppression{}}
		merge(&it, rows[a], o.KeepExisting)
		item := it.encode()
		if n := itemSize(item); n > maxItem {
			return fmt.Errorf("the suppressions of %q would take %d bytes, more than DynamoDB's item holds: %w", a, n, store.ErrInvalid)
		}
		item[attrVersion] = numAttr(1)
		fresh = append(fresh, item)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(importWriters)
	g.Go(func() error { return s.batchWrite(gctx, fresh) })
	for _, a := range held {
		g.Go(func() error {
			_, err := s.update(gctx, a, func(it *addrItem) bool { return merge(it, rows[a], o.KeepExisting) })
			return err
		})
	}
	return g.Wait()
}
