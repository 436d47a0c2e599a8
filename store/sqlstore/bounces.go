package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sesguard/sesguard/store"
)

// Transient bounces are counted under a row per address in the bounces
// table, which every count of that address updates first: the row lock
// serialises the counts of one address across processes.
//
// On PostgreSQL the row holds the times of the address's bounces in an
// array, and one upsert trims, appends and counts: ON CONFLICT DO UPDATE
// works on the latest committed version of the row, whatever the statement's
// snapshot, so one statement is exact. MySQL and SQLite keep one row per
// bounce in bounce_events, numbered by the total in the address's row, and
// run the steps in one transaction.
type bounceQueries struct {
	// record is PostgreSQL's single statement.
	record string
	// lock increments the address's row, creating it if need be, and
	// yields the new total: through RETURNING on SQLite, through
	// LAST_INSERT_ID(expr), which the driver reports as the insert id, on
	// MySQL. trim drops the bounces that fell out of the window, window
	// counts the rest, and add records the new one.
	lock, trim, window, add string
	// clear deletes the address's row; clearEvents, its bounce_events.
	clear, clearEvents string
}

func (s *Store) prepareBounces() {
	b := &s.bounces
	switch s.d.name {
	case Postgres:
		// The array after the update is the kept bounces followed by the
		// new one, which counts whatever the window.
		b.record = s.q(`INSERT INTO ${bounces} AS b (address, bounced_at, expires_at) VALUES (?, ARRAY[?::timestamptz], ?)
			ON CONFLICT (address) DO UPDATE SET
				bounced_at = ARRAY(SELECT x FROM unnest(b.bounced_at) AS x WHERE x > ?) || EXCLUDED.bounced_at,
				expires_at = GREATEST(b.expires_at, EXCLUDED.expires_at)
			RETURNING 1 + (SELECT COUNT(*) FROM unnest(bounced_at) WITH ORDINALITY AS u(x, i)
				WHERE i < cardinality(bounced_at) AND x <= ?)`)
		b.clear = s.q("DELETE FROM ${bounces} WHERE address = ?")
		return
	case MySQL:
		b.lock = s.q(`INSERT INTO ${bounces} (address, total, expires_at) VALUES (?, LAST_INSERT_ID(1), ?)
			ON DUPLICATE KEY UPDATE total = LAST_INSERT_ID(total + 1), expires_at = GREATEST(expires_at, VALUES(expires_at))`)
	default:
		b.lock = s.q(`INSERT INTO ${bounces} AS b (address, total, expires_at) VALUES (?, 1, ?)
			ON CONFLICT (address) DO UPDATE SET total = b.total + 1, expires_at = max(b.expires_at, excluded.expires_at)
			RETURNING total`)
	}
	b.trim = s.q("DELETE FROM ${bounce_events} WHERE address = ? AND bounced_at <= ?")
	b.window = s.q("SELECT COUNT(*) FROM ${bounce_events} WHERE address = ? AND bounced_at > ? AND bounced_at <= ?")
	b.add = s.q("INSERT INTO ${bounce_events} (address, seq, bounced_at, expires_at) VALUES (?, ?, ?, ?)")
	b.clear = s.q("DELETE FROM ${bounces} WHERE address = ?")
	b.clearEvents = s.q("DELETE FROM ${bounce_events} WHERE address = ?")
}

// AddTransientBounce records a transient bounce for addr at t and returns the
// number recorded for addr in (t-window, t], this one included. Every count
// of an address first locks the address's row, so concurrent calls for one
// address, from any process, each see the others and return distinct
// counts; calls for different addresses do not wait for each other.
// Bounces that fall out of the window are removed as it moves, and the rest
// when Purge finds the address's last one expired. A negative window is
// refused with store.ErrInvalid.
func (s *Store) AddTransientBounce(ctx context.Context, addr string, t time.Time, window time.Duration) (int, error) {
	if window < 0 {
		return 0, fmt.Errorf("sqlstore: add transient bounce: negative window %v: %w", window, store.ErrInvalid)
	}
	start, expires := t.Add(-window), t.Add(window)
	if err := checkKey("address", addr, maxAddress, t, start, expires); err != nil {
		return 0, fmt.Errorf("sqlstore: add transient bounce: %w", err)
	}
	at, from, exp := s.d.timeArg(t), s.d.timeArg(start), s.d.timeArg(expires)
	var n int
	var err error
	if s.d.name == Postgres {
		err = s.queryRow(ctx, s.bounces.record, []any{addr, at, exp, from, at}, &n)
	} else {
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			var seq int64
			if s.d.name == MySQL {
				res, err := tx.ExecContext(ctx, s.bounces.lock, addr, exp)
				if err != nil {
					return err
				}
				if seq, err = res.LastInsertId(); err != nil {
					return err
				}
			} else if err := tx.QueryRowContext(ctx, s.bounces.lock, addr, exp).Scan(&seq); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.bounces.trim, addr, from); err != nil {
				return err
			}
			// Counted before the insert, so that this bounce counts even
			// when the window is empty.
			if err := tx.QueryRowContext(ctx, s.bounces.window, addr, from, at).Scan(&n); err != nil {
				return err
			}
			n++
			_, err := tx.ExecContext(ctx, s.bounces.add, addr, seq, at, exp)
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: add transient bounce %q: %w", addr, err)
	}
	return n, nil
}

// ClearTransientBounces forgets every transient bounce recorded for addr.
func (s *Store) ClearTransientBounces(ctx context.Context, addr string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: clear transient bounces: %w", err)
	}
	if !storable(addr, maxAddress) {
		return nil
	}
	var err error
	if s.d.name == Postgres {
		_, err = s.exec(ctx, s.bounces.clear, addr)
	} else {
		// The address's row goes first: deleting it waits for any count
		// of the address in progress, and holds off new ones until the
		// events are gone, so a count that starts again cannot reuse a
		// number.
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, s.bounces.clear, addr); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, s.bounces.clearEvents, addr)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("sqlstore: clear transient bounces %q: %w", addr, err)
	}
	return nil
}
