package sqlstore

import (
	"context"
	"fmt"
	"time"
)

type counterQueries struct{ add, sum string }

func (s *Store) prepareCounts() {
	if s.d.name == MySQL {
		s.counts.add = s.q(`INSERT INTO ${counts} (name, bucket, n, keep_until) VALUES (?, ?, ?, ?)
			ON DUPLICATE KEY UPDATE n = n + VALUES(n), keep_until = GREATEST(keep_until, VALUES(keep_until))`)
	} else {
		s.counts.add = s.q(`INSERT INTO ${counts} AS c (name, bucket, n, keep_until) VALUES (?, ?, ?, ?)
			ON CONFLICT (name, bucket) DO UPDATE SET n = c.n + excluded.n, keep_until = ` + s.d.greatest + `(c.keep_until, excluded.keep_until)`)
	}
	s.counts.sum = s.q("SELECT COALESCE(SUM(n), 0) FROM ${counts} WHERE name = ? AND bucket >= ? AND bucket < ?")
}

// AddCount adds n to the bucket of name that starts at bucket, in one
// upsert, so concurrent adds from any number of processes all count. The
// bucket is kept until the latest keepUntil any add gave it.
func (s *Store) AddCount(ctx context.Context, name string, bucket time.Time, n int64, keepUntil time.Time) error {
	if err := checkKey("name", name, maxKey, bucket, keepUntil); err != nil {
		return fmt.Errorf("sqlstore: add count: %w", err)
	}
	if _, err := s.exec(ctx, s.counts.add, name, s.d.timeArg(bucket), n, s.d.timeArg(keepUntil)); err != nil {
		return fmt.Errorf("sqlstore: add count %q: %w", name, err)
	}
	return nil
}

// SumCounts returns the sum of name's buckets that start in [from, to).
func (s *Store) SumCounts(ctx context.Context, name string, from, to time.Time) (int64, error) {
	if err := checkKey("name", name, maxKey, from, to); err != nil {
		return 0, fmt.Errorf("sqlstore: sum counts: %w", err)
	}
	var sum int64
	if err := s.db.QueryRowContext(ctx, s.counts.sum, name, s.d.timeArg(from), s.d.timeArg(to)).Scan(&sum); err != nil {
		return 0, fmt.Errorf("sqlstore: sum counts %q: %w", name, err)
	}
	return sum, nil
}
