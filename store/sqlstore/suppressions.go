package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/sesguard/sesguard/store"
)

// lookupChunk is the most addresses one lookup query asks for. Longer
// slices take one query per chunk.
const lookupChunk = 1024

const (
	columns     = "address, reason, detail, source, created_at, expires_at"
	columnCount = 6
)

// prepare writes every query of the Store for its dialect and tables.
func (s *Store) prepare() {
	// Lookups pad their address list to a power of two, so that the
	// database sees a handful of distinct statements, not one per length.
	for n := 1; n <= lookupChunk; n *= 2 {
		s.lookups = append(s.lookups, s.q("SELECT "+columns+" FROM ${suppressions} WHERE address IN "+placeholders(1, n)))
	}
	s.replaceSuffix = s.d.upsert("address", "reason", "detail", "source", "created_at", "expires_at")
	s.keepSuffix = s.d.keep("address")
	s.put = s.q("INSERT INTO ${suppressions} (" + columns + ") VALUES " + placeholders(1, columnCount) + s.replaceSuffix)
	s.del = s.q("DELETE FROM ${suppressions} WHERE address = ?")
	s.list = s.q("SELECT " + columns + " FROM ${suppressions} WHERE address > ? ORDER BY address LIMIT ?")
	// Purge removes an address's bounces row together with its events,
	// which the row numbers, before any count can start it again.
	s.purge = []string{
		s.q("DELETE FROM ${suppressions} WHERE expires_at IS NOT NULL AND expires_at <= ?"),
		s.q("DELETE FROM ${bounces} WHERE expires_at <= ?"),
		s.q("DELETE FROM ${claims} WHERE expires_at <= ?"),
		s.q("DELETE FROM ${counts} WHERE keep_until <= ?"),
	}
	if s.d.name != Postgres {
		s.purge = append(s.purge, s.q("DELETE FROM ${bounce_events} WHERE expires_at <= ?"))
	}
	s.prepareCounts()
	s.prepareBounces()
	s.prepareClaims()
}

// suppressionArgs appends the arguments of one row of columns.
func (s *Store) suppressionArgs(args []any, v store.Suppression) []any {
	return append(args, v.Address, string(v.Reason), v.Detail, v.Source, s.d.nullTime(v.CreatedAt), s.d.nullTime(v.ExpiresAt))
}

// scanSuppressions reads rows of columns and closes rows.
func (s *Store) scanSuppressions(rows *sql.Rows, each func(store.Suppression)) error {
	defer rows.Close()
	for rows.Next() {
		var v store.Suppression
		var reason string
		if err := rows.Scan(&v.Address, &reason, &v.Detail, &v.Source,
			timeCol{&v.CreatedAt, s.d.wallClock}, timeCol{&v.ExpiresAt, s.d.wallClock}); err != nil {
			return err
		}
		v.Reason = store.Reason(reason)
		each(v)
	}
	return rows.Err()
}

// Lookup returns the suppressions stored for addrs, keyed by address, in one
// query for up to 1024 addresses (one per 1024 beyond). It returns a nil map
// when none is stored. Addresses the store could never hold (too long, not
// UTF-8) are simply absent.
func (s *Store) Lookup(ctx context.Context, addrs []string) (map[string]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: lookup: %w", err)
	}
	keys := make([]any, 0, len(addrs))
	for _, a := range addrs {
		if storable(a, maxAddress) {
			keys = append(keys, a)
		}
	}
	var found map[string]store.Suppression
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), lookupChunk)]
		keys = keys[len(chunk):]
		// Pad to the next power of two by repeating the last address; the
		// clip keeps the padding out of the addresses that follow.
		i := bits.Len(uint(len(chunk) - 1))
		chunk = slices.Clip(chunk)
		for len(chunk) < 1<<i {
			chunk = append(chunk, chunk[len(chunk)-1])
		}
		rows, err := s.db.QueryContext(ctx, s.lookups[i], chunk...)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: lookup: %w", err)
		}
		err = s.scanSuppressions(rows, func(v store.Suppression) {
			if found == nil {
				found = make(map[string]store.Suppression, len(addrs))
			}
			found[v.Address] = v
		})
		if err != nil {
			return nil, fmt.Errorf("sqlstore: lookup: %w", err)
		}
	}
	return found, nil
}

// Put inserts or replaces the suppression for v.Address. Times are kept in
// UTC to the microsecond. A field longer than the store holds (an address
// over 254 bytes, a reason over 64, a source over 255, a detail over 65535),
// text that is not UTF-8 or holds NUL, and a time outside the years 1 to 9999
// are refused with an error wrapping store.ErrInvalid.
func (s *Store) Put(ctx context.Context, v store.Suppression) error {
	if err := checkSuppression(v); err != nil {
		return fmt.Errorf("sqlstore: put: %w", err)
	}
	if _, err := s.exec(ctx, s.put, s.suppressionArgs(make([]any, 0, columnCount), v)...); err != nil {
		return fmt.Errorf("sqlstore: put %q: %w", v.Address, err)
	}
	return nil
}

// Delete removes the suppression for addr, if any.
func (s *Store) Delete(ctx context.Context, addr string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: delete: %w", err)
	}
	if !storable(addr, maxAddress) {
		return nil
	}
	if _, err := s.exec(ctx, s.del, addr); err != nil {
		return fmt.Errorf("sqlstore: delete %q: %w", addr, err)
	}
	return nil
}

// List returns at most limit suppressions whose addresses sort after after,
// in ascending byte order. It is one indexed range query, so listing a large
// table page by page costs the same for every page.
func (s *Store) List(ctx context.Context, after string, limit int) ([]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	if err := checkText("cursor", after, len(after), false); err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, s.list, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	page := make([]store.Suppression, 0, min(limit, 1024))
	if err := s.scanSuppressions(rows, func(v store.Suppression) { page = append(page, v) }); err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	return page, nil
}

// Purge removes, in one transaction, every suppression whose ExpiresAt is at
// or before t, and the claims, transient bounces and counter buckets that
// expired by t. It returns the number of suppressions removed.
func (s *Store) Purge(ctx context.Context, t time.Time) (int, error) {
	if err := checkTime("time", t); err != nil {
		return 0, fmt.Errorf("sqlstore: purge: %w", err)
	}
	at := s.d.timeArg(t)
	removed := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i, q := range s.purge {
			res, err := tx.ExecContext(ctx, q, at)
			if err != nil {
				return err
			}
			if i == 0 {
				n, err := res.RowsAffected()
				if err != nil {
					return err
				}
				removed = int(n)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: purge: %w", err)
	}
	return removed, nil
}

// multiRow returns the INSERT of n rows of columns followed by suffix.
func (s *Store) multiRow(n int, suffix string) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ${suppressions} (" + columns + ") VALUES ")
	b.WriteString(placeholders(n, columnCount))
	b.WriteString(suffix)
	return s.q(b.String())
}
