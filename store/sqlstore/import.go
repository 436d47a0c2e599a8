package sqlstore

import (
	"context"
	"fmt"
	"iter"

	"github.com/sesguard/sesguard/store"
)

// ImportOptions configures [Store.Import]. Every zero value is a documented
// default.
type ImportOptions struct {
	// BatchSize is how many rows one INSERT statement writes. Zero: 1000.
	// It is capped by the dialect's limit on placeholders per statement.
	BatchSize int

	// KeepExisting leaves a key that already holds a suppression as it is.
	// Zero: an imported suppression replaces the stored one when Put would
	// ([store.Replaces]): never with a weaker one.
	KeepExisting bool

	// Progress, when set, is called after each batch is written with the
	// number of rows of seq written so far.
	Progress func(imported int)
}

// DefaultImportBatch is the BatchSize of a zero ImportOptions.
const DefaultImportBatch = 1000

// execRaw runs a statement that writes and is not one of the Store's
// prepared ones.
func (s *Store) execRaw(ctx context.Context, q string, args ...any) error {
	done, err := s.gate(ctx)
	if err != nil {
		return err
	}
	defer done()
	_, err = s.db.ExecContext(ctx, q, args...)
	return err
}

// Import writes the suppressions of seq — an existing list being migrated,
// or an export of the SES account-level suppression list — in batches, each
// one multi-row INSERT that commits on its own. It returns the number of rows
// of seq written.
//
// Import stops at the first row that is invalid (see [Store.Put]) or that seq
// yields with an error, after writing every row before it: the count returned
// is then the index of that row, and the error, which names the row, wraps
// store.ErrInvalid or seq's error. Rows written stay written, and importing
// the same rows again changes nothing, so a stopped import resumes by
// skipping the rows already written. When a key (address and scope) appears
// more than once in seq, the rows are applied as Puts in order would be,
// the stronger staying (the first, with KeepExisting).
func (s *Store) Import(ctx context.Context, seq iter.Seq2[store.Suppression, error], optFns ...func(*ImportOptions)) (int, error) {
	var o ImportOptions
	for _, fn := range optFns {
		fn(&o)
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultImportBatch
	}
	o.BatchSize = min(o.BatchSize, s.d.maxVars/columnCount)
	suffix := s.replaceSuffix
	if o.KeepExisting {
		suffix = s.keepSuffix
	}
	full := s.q(s.multiRow(o.BatchSize, suffix))

	batch := make([]store.Suppression, 0, o.BatchSize)
	at := make(map[store.Key]int, o.BatchSize) // index in batch by key
	args := make([]any, 0, o.BatchSize*columnCount)
	written, pending := 0, 0 // rows of seq written, and read since
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		q := full
		if len(batch) < o.BatchSize {
			q = s.q(s.multiRow(len(batch), suffix))
		}
		args = args[:0]
		for _, v := range batch {
			args = s.suppressionArgs(args, v)
		}
		if err := s.execRaw(ctx, q, args...); err != nil {
			return fmt.Errorf("sqlstore: import: rows %d to %d: %w", written, written+pending-1, err)
		}
		written += pending
		batch, pending = batch[:0], 0
		clear(at)
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
			return written, fmt.Errorf("sqlstore: import: row %d: %w", row, err)
		}
		pending++
		// One statement may not touch a row twice (PostgreSQL refuses),
		// so a repeated key takes over its earlier slot in the batch when
		// it would replace it.
		if i, ok := at[v.Key()]; ok {
			if !o.KeepExisting && store.Replaces(v, batch[i]) {
				batch[i] = v
			}
		} else {
			at[v.Key()] = len(batch)
			batch = append(batch, v)
		}
		if len(batch) == o.BatchSize {
			if err := flush(); err != nil {
				return written, err
			}
		}
	}
	if err := flush(); err != nil {
		return written, err
	}
	return written, nil
}
