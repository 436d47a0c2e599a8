package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sesguard/sesguard/store"
)

// Transient bounces are kept as a row per bounce in bounce_records, keyed
// by address and id, so that recording one twice changes nothing. Every
// record of an address first upserts the address's row in bounce_heads,
// whose row lock, held to the end of the transaction, serialises the
// records of that address across processes: each one then reads the
// times that every earlier one committed, and of concurrent bounces of one
// address the last to record counts them all.
type bounceQueries struct {
	// head upserts the address's head and, on PostgreSQL, inserts the
	// record after it in the same statement.
	head *stmt
	// record inserts the record (MySQL, SQLite), trim drops the records
	// older than twice the window, and times reads the times near this
	// one; on PostgreSQL one statement trims and reads.
	record, trim, times *stmt
	// clearHead and clearRecords delete the address's head and records.
	clearHead, clearRecords *stmt
}

func (s *Store) prepareBounces() {
	b := &s.bounces
	switch s.d.name {
	case Postgres:
		b.head = s.stmt(`WITH h AS (
				INSERT INTO ${bounce_heads} AS h (address, keep_until) VALUES (?, ?)
				ON CONFLICT (address) DO UPDATE SET keep_until = GREATEST(h.keep_until, excluded.keep_until)
				RETURNING address
			)
			INSERT INTO ${bounce_records} (address, id, bounced_at, keep_until)
			SELECT h.address, ?, ?, ? FROM h
			ON CONFLICT (address, id) DO NOTHING`)
		// The records the DELETE removes are older than the window and
		// outside the range the SELECT reads, so its snapshot, which
		// still holds them, reads the same.
		b.times = s.stmt(`WITH trimmed AS (DELETE FROM ${bounce_records} WHERE address = ? AND bounced_at < ?)
			SELECT bounced_at FROM ${bounce_records} WHERE address = ? AND bounced_at > ? AND bounced_at < ?`)
	case MySQL:
		b.head = s.stmt(`INSERT INTO ${bounce_heads} (address, keep_until) VALUES (?, ?)
			ON DUPLICATE KEY UPDATE keep_until = GREATEST(keep_until, VALUES(keep_until))`)
		b.record = s.stmt(`INSERT INTO ${bounce_records} (address, id, bounced_at, keep_until) VALUES (?, ?, ?, ?)
			ON DUPLICATE KEY UPDATE id = id`)
	default:
		b.head = s.stmt(`INSERT INTO ${bounce_heads} AS h (address, keep_until) VALUES (?, ?)
			ON CONFLICT (address) DO UPDATE SET keep_until = max(h.keep_until, excluded.keep_until)`)
		b.record = s.stmt(`INSERT INTO ${bounce_records} (address, id, bounced_at, keep_until) VALUES (?, ?, ?, ?)
			ON CONFLICT (address, id) DO NOTHING`)
	}
	switch s.d.name {
	case MySQL:
		// A locking read sees the latest committed records whatever the
		// isolation level: under REPEATABLE READ a plain one would read
		// the snapshot of the transaction's first read, which InTx may
		// have taken before this address's head was locked.
		b.trim = s.stmt("DELETE FROM ${bounce_records} WHERE address = ? AND bounced_at < ?")
		b.times = s.stmt("SELECT bounced_at FROM ${bounce_records} WHERE address = ? AND bounced_at > ? AND bounced_at < ? FOR UPDATE")
	case SQLite:
		b.trim = s.stmt("DELETE FROM ${bounce_records} WHERE address = ? AND bounced_at < ?")
		b.times = s.stmt("SELECT bounced_at FROM ${bounce_records} WHERE address = ? AND bounced_at > ? AND bounced_at < ?")
	}
	b.clearHead = s.stmt("DELETE FROM ${bounce_heads} WHERE address = ?")
	b.clearRecords = s.stmt("DELETE FROM ${bounce_records} WHERE address = ?")
}

// AddTransientBounce records the transient bounce id of addr at t, once,
// and returns store.BounceWindow of the times recorded for addr at t. It is
// one transaction that locks the address's head row first, so that
// concurrent calls for one address, from any process, each see the records
// committed before them; calls for different addresses do not wait for
// each other. Records older than twice the window before t are dropped as
// it goes, and the rest when Purge finds them kept past their time. A
// negative window is refused with store.ErrInvalid.
func (s *Store) AddTransientBounce(ctx context.Context, addr, id string, t time.Time, window time.Duration) (int, error) {
	return runner{s: s}.addTransientBounce(ctx, addr, id, t, window)
}

func (r runner) addTransientBounce(ctx context.Context, addr, id string, t time.Time, window time.Duration) (int, error) {
	if window < 0 {
		return 0, fmt.Errorf("sqlstore: add transient bounce: negative window %v: %w", window, store.ErrInvalid)
	}
	cutoff, from, to, keep := t.Add(-2*window), t.Add(-window), t.Add(window), t.Add(2*window)
	if err := checkKey("address", addr, maxAddress, t, cutoff, keep); err != nil {
		return 0, fmt.Errorf("sqlstore: add transient bounce: %w", err)
	}
	if err := checkText("bounce id", id, maxKey, true); err != nil {
		return 0, fmt.Errorf("sqlstore: add transient bounce: %w", err)
	}
	d, b := r.s.d, &r.s.bounces
	at, keepArg := d.timeArg(t), d.timeArg(keep)
	var times []time.Time
	err := r.inTx(ctx, func(r runner) error {
		times = times[:0]
		var args []any
		if d.name == Postgres {
			if _, err := r.exec(ctx, b.head, addr, keepArg, id, at, keepArg); err != nil {
				return err
			}
			args = []any{addr, d.timeArg(cutoff), addr, d.timeArg(from), d.timeArg(to)}
		} else {
			if _, err := r.exec(ctx, b.head, addr, keepArg); err != nil {
				return err
			}
			if _, err := r.exec(ctx, b.record, addr, id, at, keepArg); err != nil {
				return err
			}
			if _, err := r.exec(ctx, b.trim, addr, d.timeArg(cutoff)); err != nil {
				return err
			}
			args = []any{addr, d.timeArg(from), d.timeArg(to)}
		}
		rows, err := r.query(ctx, b.times, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u time.Time
			if err := rows.Scan(timeCol{&u, d.wallClock}); err != nil {
				return err
			}
			times = append(times, u)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: add transient bounce %q: %w", addr, err)
	}
	return store.BounceWindow(times, t.UTC().Truncate(time.Microsecond), window), nil
}

// ClearTransientBounces forgets every transient bounce recorded for addr.
func (s *Store) ClearTransientBounces(ctx context.Context, addr string) error {
	return runner{s: s}.clearTransientBounces(ctx, addr)
}

func (r runner) clearTransientBounces(ctx context.Context, addr string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: clear transient bounces: %w", err)
	}
	if !storable(addr, maxAddress) {
		return nil
	}
	// The head goes first: deleting it waits for any record of the
	// address in progress.
	err := r.inTx(ctx, func(r runner) error {
		if _, err := r.exec(ctx, r.s.bounces.clearHead, addr); err != nil {
			return err
		}
		_, err := r.exec(ctx, r.s.bounces.clearRecords, addr)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlstore: clear transient bounces %q: %w", addr, err)
	}
	return nil
}
