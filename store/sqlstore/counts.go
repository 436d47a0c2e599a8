package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sesguard/sesguard/store"
)

// countShards is how many rows one bucket of a counter is spread over.
// Each add goes to one of them, so that concurrent adds to a hot bucket,
// from any number of processes, rarely wait for each other's row lock;
// SumCounts adds them all up. A row exists once an add used it.
const countShards = 32

type counterQueries struct {
	mu sync.Mutex
	// add[n] adds n counts in one statement.
	add map[int]*stmt
	sum *stmt
}

// preparedCounts is how many counts at most the statements that New
// prepares add at once; adding more prepares a statement on first use.
const preparedCounts = 4

func (s *Store) prepareCounts() {
	s.counts.add = make(map[int]*stmt)
	for n := 1; n <= preparedCounts; n++ {
		s.addCounts(n)
	}
	s.counts.sum = s.stmt("SELECT COALESCE(SUM(n), 0) FROM ${counts} WHERE name = ? AND bucket >= ? AND bucket < ?")
}

// addCounts returns the statement that adds n counts, each a row of
// (name, shard, bucket, n, keep_until).
func (s *Store) addCounts(n int) *stmt {
	s.counts.mu.Lock()
	defer s.counts.mu.Unlock()
	if st, ok := s.counts.add[n]; ok {
		return st
	}
	q := s.d.insertInto("${counts}", "c") + " (name, shard, bucket, n, keep_until) VALUES " + placeholders(n, 5)
	if s.d.alias {
		q += " ON CONFLICT (name, bucket, shard) DO UPDATE SET n = c.n + excluded.n, keep_until = " + s.d.greatest + "(c.keep_until, excluded.keep_until)"
	} else {
		q += " ON DUPLICATE KEY UPDATE n = n + VALUES(n), keep_until = GREATEST(keep_until, VALUES(keep_until))"
	}
	st := s.stmt(q)
	s.counts.add[n] = st
	return st
}

// checkCount refuses a count the store cannot hold.
func checkCount(c store.Count) error {
	return checkKey("count name", c.Name, maxKey, c.Bucket, c.KeepUntil)
}

// mergeCounts checks counts and sums those of one bucket of one name, so
// that one statement touches each row once, and sorts them by name and
// bucket, so that every statement locks the rows it adds to in one order.
// A bucket is kept until the latest KeepUntil of the counts merged.
func mergeCounts(counts []store.Count) ([]store.Count, error) {
	type key struct {
		name   string
		bucket time.Time
	}
	merged := make([]store.Count, 0, len(counts))
	at := make(map[key]int, len(counts))
	for _, c := range counts {
		if err := checkCount(c); err != nil {
			return nil, err
		}
		k := key{c.Name, c.Bucket.UTC().Truncate(time.Microsecond)}
		if i, ok := at[k]; ok {
			merged[i].N += c.N
			if c.KeepUntil.After(merged[i].KeepUntil) {
				merged[i].KeepUntil = c.KeepUntil
			}
			continue
		}
		at[k] = len(merged)
		merged = append(merged, c)
	}
	slices.SortFunc(merged, func(a, b store.Count) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), a.Bucket.Compare(b.Bucket))
	})
	return merged, nil
}

// pendingCounts are the counts added inside InTx. They go to the
// database in one statement, on one shard, just before the transaction
// commits: the rows a transaction adds to are then locked in one order and
// only for the end of the transaction, so that concurrent transactions,
// whatever notifications they hold, cannot deadlock on them.
type pendingCounts struct {
	counts []store.Count
}

// flush adds the pending counts in r's transaction.
func (p *pendingCounts) flush(ctx context.Context, r runner) error {
	if len(p.counts) == 0 {
		return nil
	}
	merged, err := mergeCounts(p.counts)
	if err != nil {
		return err
	}
	p.counts = p.counts[:0]
	_, err = r.exec(ctx, r.s.addCounts(len(merged)), r.s.countArgs(merged)...)
	return err
}

// shard picks the row of a bucket that an add goes to: the next in turn,
// from a random start, so that the adds in flight in one process go to
// different rows, and processes start at different ones.
func (s *Store) shard() int { return int(s.nextShard.Add(1) % countShards) }

// countArgs returns the arguments of addCounts for counts, on one shard.
func (s *Store) countArgs(counts []store.Count) []any {
	shard := s.shard()
	args := make([]any, 0, 5*len(counts))
	for _, c := range counts {
		args = append(args, c.Name, shard, s.d.timeArg(c.Bucket), c.N, s.d.timeArg(c.KeepUntil))
	}
	return args
}

// AddCount adds c.N to the bucket c.Bucket of c.Name, in one upsert on one
// of the bucket's rows, so concurrent adds from any number of processes all
// count. The bucket is kept until the latest KeepUntil any add gave it.
func (s *Store) AddCount(ctx context.Context, c store.Count) error {
	return runner{s: s}.addCount(ctx, c)
}

func (r runner) addCount(ctx context.Context, c store.Count) error {
	if err := checkCount(c); err != nil {
		return fmt.Errorf("sqlstore: add count: %w", err)
	}
	if r.counts != nil {
		r.counts.counts = append(r.counts.counts, c)
		return nil
	}
	if _, err := r.exec(ctx, r.s.addCounts(1), r.s.countArgs([]store.Count{c})...); err != nil {
		return fmt.Errorf("sqlstore: add count %q: %w", c.Name, err)
	}
	return nil
}

// SumCounts returns the sum of name's buckets that start in [from, to).
func (s *Store) SumCounts(ctx context.Context, name string, from, to time.Time) (int64, error) {
	return runner{s: s}.sumCounts(ctx, name, from, to)
}

func (r runner) sumCounts(ctx context.Context, name string, from, to time.Time) (int64, error) {
	if err := checkKey("count name", name, maxKey, from, to); err != nil {
		return 0, fmt.Errorf("sqlstore: sum counts: %w", err)
	}
	if r.counts != nil {
		if err := r.counts.flush(ctx, r); err != nil {
			return 0, fmt.Errorf("sqlstore: sum counts %q: %w", name, err)
		}
	}
	var sum int64
	if err := r.queryRow(ctx, r.s.counts.sum, []any{name, r.s.d.timeArg(from), r.s.d.timeArg(to)}, &sum); err != nil {
		return 0, fmt.Errorf("sqlstore: sum counts %q: %w", name, err)
	}
	return sum, nil
}
