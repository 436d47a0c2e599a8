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
	columns     = "address, scope, reason, detail, source, created_at, expires_at"
	columnCount = 7
)

// prepare writes every statement of the Store for its dialect and tables.
func (s *Store) prepare() {
	// Lookups pad their address list to a power of two, so that the
	// database sees a handful of distinct statements, not one per length.
	for n := 1; n <= lookupChunk; n *= 2 {
		s.lookups = append(s.lookups, s.stmt("SELECT "+columns+" FROM ${suppressions} WHERE address IN "+placeholders(1, n)))
	}
	s.replaceSuffix = s.d.replaceIfStronger()
	s.keepSuffix = s.d.keep("address, scope")
	s.put = s.stmt(s.d.insertInto("${suppressions}", "cur") + " (" + columns + ") VALUES " + placeholders(1, columnCount) + s.replaceSuffix)
	s.del = s.stmt("DELETE FROM ${suppressions} WHERE address = ? AND scope = ?")
	// The first condition bounds an index range; the second picks the
	// keys after the cursor within it.
	s.list = s.stmt("SELECT " + columns + " FROM ${suppressions} WHERE address >= ? AND (address > ? OR scope > ?) ORDER BY address, scope LIMIT ?")
	// Purge removes an address's bounce head together with its records,
	// whose keep_until never passes the head's.
	s.purge = []*stmt{
		s.stmt("DELETE FROM ${suppressions} WHERE expires_at IS NOT NULL AND expires_at <= ?"),
		s.stmt("DELETE FROM ${marks} WHERE expires_at <= ?"),
		s.stmt("DELETE FROM ${bounce_heads} WHERE keep_until <= ?"),
		s.stmt("DELETE FROM ${bounce_records} WHERE keep_until <= ?"),
		s.stmt("DELETE FROM ${counts} WHERE keep_until <= ?"),
	}
	s.prepareCounts()
	s.prepareBounces()
	s.prepareMarks()
}

// rank is the SQL of store.Reason.Rank for the reason column of table.
func rank(reason string) string {
	return "(CASE WHEN " + reason + " IN ('" + string(store.ReasonSoftBounce) + "', '" + string(store.ReasonInvalid) + "') THEN 1 ELSE 2 END)"
}

// replaces is the SQL of store.Replaces(next, cur): next and cur map a
// column name to the expression that reads it in the new and the stored
// row. A NULL time is the zero time: a NULL created_at compares as false,
// as the zero time is before every stored expiry.
func replaces(next, cur func(col string) string) string {
	return "((" + cur("expires_at") + " IS NOT NULL AND " + next("created_at") + " >= " + cur("expires_at") + ")" +
		" OR (" + rank(next("reason")) + " >= " + rank(cur("reason")) +
		" AND (" + next("expires_at") + " IS NULL OR (" + cur("expires_at") + " IS NOT NULL AND " + next("expires_at") + " >= " + cur("expires_at") + "))))"
}

// suppressionArgs appends the arguments of one row of columns.
func (s *Store) suppressionArgs(args []any, v store.Suppression) []any {
	return append(args, v.Address, string(v.Scope), string(v.Reason), v.Detail, v.Source, s.d.nullTime(v.CreatedAt), s.d.nullTime(v.ExpiresAt))
}

// scanSuppressions reads rows of columns and closes rows.
func (s *Store) scanSuppressions(rows *sql.Rows, each func(store.Suppression)) error {
	defer rows.Close()
	for rows.Next() {
		var v store.Suppression
		var scope, reason string
		if err := rows.Scan(&v.Address, &scope, &reason, &v.Detail, &v.Source,
			timeCol{&v.CreatedAt, s.d.wallClock}, timeCol{&v.ExpiresAt, s.d.wallClock}); err != nil {
			return err
		}
		v.Scope, v.Reason = store.Scope(scope), store.Reason(reason)
		each(v)
	}
	return rows.Err()
}

// Lookup returns the suppressions stored for addrs, in every scope, in one
// query for up to 1024 addresses (one per 1024 beyond). Addresses the store
// could never hold (too long, not UTF-8) are simply absent.
func (s *Store) Lookup(ctx context.Context, addrs []string) ([]store.Suppression, error) {
	return runner{s: s}.lookup(ctx, addrs)
}

func (r runner) lookup(ctx context.Context, addrs []string) ([]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: lookup: %w", err)
	}
	keys := make([]any, 0, len(addrs))
	seen := make(map[string]bool, len(addrs))
	for _, a := range addrs {
		if storable(a, maxAddress) && !seen[a] {
			seen[a] = true
			keys = append(keys, a)
		}
	}
	var found []store.Suppression
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
		rows, err := r.query(ctx, r.s.lookups[i], chunk...)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: lookup: %w", err)
		}
		if err := r.s.scanSuppressions(rows, func(v store.Suppression) { found = append(found, v) }); err != nil {
			return nil, fmt.Errorf("sqlstore: lookup: %w", err)
		}
	}
	return found, nil
}

// Put stores v under v.Key() unless the suppression stored there is
// stronger (store.Replaces), in one conditional upsert, and reports whether
// it wrote. Times are kept in UTC to the microsecond. A field longer than
// the store holds (an address over 254 bytes, a scope or source over 255, a
// reason over 64, a detail over 65535), text that is not UTF-8 or holds
// NUL, and a time outside the years 1 to 9999 are refused with an error
// wrapping store.ErrInvalid.
func (s *Store) Put(ctx context.Context, v store.Suppression) (bool, error) {
	return runner{s: s}.put(ctx, v)
}

func (r runner) put(ctx context.Context, v store.Suppression) (bool, error) {
	if err := checkSuppression(v); err != nil {
		return false, fmt.Errorf("sqlstore: put: %w", err)
	}
	res, err := r.exec(ctx, r.s.put, r.s.suppressionArgs(make([]any, 0, columnCount), v)...)
	if err != nil {
		return false, fmt.Errorf("sqlstore: put %q: %w", v.Address, err)
	}
	written, err := r.s.d.upserted(res)
	if err != nil {
		return false, fmt.Errorf("sqlstore: put %q: %w", v.Address, err)
	}
	return written, nil
}

// Delete removes the suppression stored under k, if any.
func (s *Store) Delete(ctx context.Context, k store.Key) error {
	return runner{s: s}.delete(ctx, k)
}

func (r runner) delete(ctx context.Context, k store.Key) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: delete: %w", err)
	}
	if !storable(k.Address, maxAddress) || checkText("scope", string(k.Scope), maxScope, false) != nil {
		return nil
	}
	if _, err := r.exec(ctx, r.s.del, k.Address, string(k.Scope)); err != nil {
		return fmt.Errorf("sqlstore: delete %q: %w", k.Address, err)
	}
	return nil
}

// List returns at most limit suppressions whose keys sort after after
// (address, then scope, byte by byte), in ascending order. It is one
// indexed range query, so listing a large table page by page costs the
// same for every page.
func (s *Store) List(ctx context.Context, after store.Key, limit int) ([]store.Suppression, error) {
	return runner{s: s}.listPage(ctx, after, limit)
}

func (r runner) listPage(ctx context.Context, after store.Key, limit int) ([]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	if err := checkText("cursor", after.Address, len(after.Address), false); err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	if err := checkText("cursor scope", string(after.Scope), len(after.Scope), false); err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := r.query(ctx, r.s.list, after.Address, after.Address, string(after.Scope), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	page := make([]store.Suppression, 0, min(limit, 1024))
	if err := r.s.scanSuppressions(rows, func(v store.Suppression) { page = append(page, v) }); err != nil {
		return nil, fmt.Errorf("sqlstore: list: %w", err)
	}
	return page, nil
}

// Purge removes, in one transaction, every suppression whose ExpiresAt is at
// or before t, and the applied marks, transient-bounce records and counter
// buckets that expired by t. It returns the number of suppressions removed.
func (s *Store) Purge(ctx context.Context, t time.Time) (int, error) {
	return runner{s: s}.purgeAt(ctx, t)
}

func (r runner) purgeAt(ctx context.Context, t time.Time) (int, error) {
	if err := checkTime("time", t); err != nil {
		return 0, fmt.Errorf("sqlstore: purge: %w", err)
	}
	at := r.s.d.timeArg(t)
	removed := 0
	err := r.inTx(ctx, func(r runner) error {
		for i, st := range r.s.purge {
			res, err := r.exec(ctx, st, at)
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
	b.WriteString(s.d.insertInto("${suppressions}", "cur") + " (" + columns + ") VALUES ")
	b.WriteString(placeholders(n, columnCount))
	b.WriteString(suffix)
	return b.String()
}
