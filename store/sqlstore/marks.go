package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sesguard/sesguard/store"
)

type markQueries struct {
	// mark inserts the mark, or takes over one that expired; upserted
	// tells whether it did.
	mark *stmt
	// markAndCount, on PostgreSQL, also adds counts, given as arrays,
	// when it made the mark, in the same statement.
	markAndCount *stmt
	applied      *stmt
}

func (s *Store) prepareMarks() {
	m := &s.marks
	if s.d.name == MySQL {
		m.mark = s.stmt(`INSERT INTO ${marks} (id, expires_at) VALUES (?, ?)
			ON DUPLICATE KEY UPDATE expires_at = IF(LAST_INSERT_ID(IF(expires_at <= ?, ` + strconv.Itoa(mysqlReplaced) + `, ` + strconv.Itoa(mysqlKept) + `)) = ` + strconv.Itoa(mysqlReplaced) + `, VALUES(expires_at), expires_at)`)
	} else {
		m.mark = s.stmt(`INSERT INTO ${marks} AS cur (id, expires_at) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE cur.expires_at <= ?`)
	}
	if s.d.name == Postgres {
		// Data-modifying WITH queries run once each, in one snapshot; the
		// counts read the mark's outcome, so they follow it.
		m.markAndCount = s.stmt(`WITH m AS (
				INSERT INTO ${marks} AS cur (id, expires_at) VALUES (?, ?)
				ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE cur.expires_at <= ?
				RETURNING 1
			), added AS (
				INSERT INTO ${counts} AS c (name, shard, bucket, n, keep_until)
				SELECT u.name, ?, u.bucket, u.n, u.keep_until
				FROM unnest(?::text[], ?::timestamptz[], ?::bigint[], ?::timestamptz[]) AS u(name, bucket, n, keep_until)
				WHERE EXISTS (SELECT 1 FROM m)
				ON CONFLICT (name, bucket, shard) DO UPDATE SET n = c.n + excluded.n, keep_until = GREATEST(c.keep_until, excluded.keep_until)
			)
			SELECT COUNT(*) FROM m`)
	}
	m.applied = s.stmt("SELECT COUNT(*) FROM ${marks} WHERE id = ? AND expires_at > ?")
}

// Applied reports whether id holds a mark that has not expired at t.
func (s *Store) Applied(ctx context.Context, id string, t time.Time) (bool, error) {
	return runner{s: s}.applied(ctx, id, t)
}

func (r runner) applied(ctx context.Context, id string, t time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("sqlstore: applied: %w", err)
	}
	if err := checkTime("time", t); err != nil {
		return false, fmt.Errorf("sqlstore: applied: %w", err)
	}
	if !storable(id, maxKey) {
		return false, nil
	}
	var n int
	if err := r.queryRow(ctx, r.s.marks.applied, []any{id, r.s.d.timeArg(t)}, &n); err != nil {
		return false, fmt.Errorf("sqlstore: applied %q: %w", id, err)
	}
	return n > 0, nil
}

// MarkApplied marks id applied until expires and adds counts, only when id
// holds no mark unexpired at t, and reports whether it made the mark. The
// mark is one upsert that inserts it or takes over an expired one, so of
// concurrent calls for one id from any number of processes exactly one
// makes it; the counts are added in the same transaction, on PostgreSQL in
// the same statement. Ids and count names are at most 255 bytes of UTF-8.
func (s *Store) MarkApplied(ctx context.Context, id string, t, expires time.Time, counts ...store.Count) (bool, error) {
	return runner{s: s}.markApplied(ctx, id, t, expires, counts)
}

func (r runner) markApplied(ctx context.Context, id string, t, expires time.Time, counts []store.Count) (bool, error) {
	if err := checkKey("id", id, maxKey, t, expires); err != nil {
		return false, fmt.Errorf("sqlstore: mark applied: %w", err)
	}
	counts, err := mergeCounts(counts)
	if err != nil {
		return false, fmt.Errorf("sqlstore: mark applied: %w", err)
	}
	d := r.s.d
	args := []any{id, d.timeArg(expires), d.timeArg(t)}
	made := false
	switch {
	case len(counts) == 0 || r.counts != nil:
		res, err := r.exec(ctx, r.s.marks.mark, args...)
		if err == nil {
			made, err = d.upserted(res)
		}
		if err != nil {
			return false, fmt.Errorf("sqlstore: mark applied %q: %w", id, err)
		}
		if made && r.counts != nil {
			r.counts.counts = append(r.counts.counts, counts...)
		}
	case d.name == Postgres:
		names := make([]string, len(counts))
		buckets := make([]time.Time, len(counts))
		ns := make([]int64, len(counts))
		keeps := make([]time.Time, len(counts))
		for i, c := range counts {
			names[i], ns[i] = c.Name, c.N
			buckets[i], keeps[i] = c.Bucket.UTC().Truncate(time.Microsecond), c.KeepUntil.UTC().Truncate(time.Microsecond)
		}
		var n int
		args = append(args, r.s.shard(), names, buckets, ns, keeps)
		if err := r.writeRow(ctx, r.s.marks.markAndCount, args, &n); err != nil {
			return false, fmt.Errorf("sqlstore: mark applied %q: %w", id, err)
		}
		made = n > 0
	default:
		err := r.inTx(ctx, func(r runner) error {
			res, err := r.exec(ctx, r.s.marks.mark, args...)
			if err != nil {
				return err
			}
			if made, err = d.upserted(res); err != nil || !made {
				return err
			}
			_, err = r.exec(ctx, r.s.addCounts(len(counts)), r.s.countArgs(counts)...)
			return err
		})
		if err != nil {
			return false, fmt.Errorf("sqlstore: mark applied %q: %w", id, err)
		}
	}
	return made, nil
}
