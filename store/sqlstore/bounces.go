package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sesguard/sesguard/store"
)

// Transient bounces live in two tables. bounce_counters holds one row per
// address: its total is the sequence that numbers the address's events, and
// the row lock taken by incrementing it serialises every count of that
// address across processes. bounce_events holds one row per bounce, which
// the count of a window reads.
type bounceQueries struct {
	// lock increments the address's counter row, creating it if need be,
	// and yields the new total: through RETURNING, or on MySQL through
	// LAST_INSERT_ID(expr), which the driver reports as the insert id.
	lock string
	// record trims the events that fell out of the window, adds this one
	// and counts the window, in one PostgreSQL statement; the others run
	// trim, window and add one after the other.
	record            string
	trim, window, add string
	clear             []string
}

func (s *Store) prepareBounces() {
	b := &s.bounces
	switch s.d.name {
	case MySQL:
		b.lock = s.q(`INSERT INTO ${bounce_counters} (address, total, expires_at) VALUES (?, LAST_INSERT_ID(1), ?)
			ON DUPLICATE KEY UPDATE total = LAST_INSERT_ID(total + 1), expires_at = GREATEST(expires_at, VALUES(expires_at))`)
	default:
		b.lock = s.q(`INSERT INTO ${bounce_counters} AS c (address, total, expires_at) VALUES (?, 1, ?)
			ON CONFLICT (address) DO UPDATE SET total = c.total + 1, expires_at = ` + s.d.greatest + `(c.expires_at, excluded.expires_at)
			RETURNING total`)
	}
	if s.d.name == Postgres {
		// The statement's snapshot is taken after lock returned, so it
		// sees every event committed before this one; it does not see its
		// own insert, hence the + 1.
		b.record = s.q(`WITH trimmed AS (DELETE FROM ${bounce_events} WHERE address = ? AND bounced_at <= ?),
			added AS (INSERT INTO ${bounce_events} (address, seq, bounced_at, expires_at) VALUES (?, ?, ?, ?))
			SELECT COUNT(*) + 1 FROM ${bounce_events} WHERE address = ? AND bounced_at > ? AND bounced_at <= ?`)
	} else {
		b.trim = s.q("DELETE FROM ${bounce_events} WHERE address = ? AND bounced_at <= ?")
		b.add = s.q("INSERT INTO ${bounce_events} (address, seq, bounced_at, expires_at) VALUES (?, ?, ?, ?)")
		b.window = s.q("SELECT COUNT(*) FROM ${bounce_events} WHERE address = ? AND bounced_at > ? AND bounced_at <= ?")
	}
	// The counter row goes first: deleting it waits for any count of the
	// address in progress, and holds off new ones until the events are gone.
	b.clear = []string{
		s.q("DELETE FROM ${bounce_counters} WHERE address = ?"),
		s.q("DELETE FROM ${bounce_events} WHERE address = ?"),
	}
}

// AddTransientBounce records a transient bounce for addr at t and returns the
// number recorded for addr in (t-window, t], this one included. It runs one
// transaction that first locks the address's counter row, so concurrent
// calls for one address, from any process, each see the others and return
// distinct counts; calls for different addresses do not wait for each other.
// Bounces that fall out of the window are removed as it moves. A negative
// window is refused with store.ErrInvalid.
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
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
		if s.d.name == Postgres {
			return tx.QueryRowContext(ctx, s.bounces.record, addr, from, addr, seq, at, exp, addr, from, at).Scan(&n)
		}
		if _, err := tx.ExecContext(ctx, s.bounces.trim, addr, from); err != nil {
			return err
		}
		// Counted before the insert, like the PostgreSQL statement, so
		// that this bounce counts even when the window is empty.
		if err := tx.QueryRowContext(ctx, s.bounces.window, addr, from, at).Scan(&n); err != nil {
			return err
		}
		n++
		_, err := tx.ExecContext(ctx, s.bounces.add, addr, seq, at, exp)
		return err
	})
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range s.bounces.clear {
			if _, err := tx.ExecContext(ctx, q, addr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlstore: clear transient bounces %q: %w", addr, err)
	}
	return nil
}
