package sqlstore

import (
	"context"
	"database/sql"
)

// DropTables removes every table of s, so that tests leave the shared
// servers as they found them.
func DropTables(ctx context.Context, s *Store) error {
	for _, t := range s.tables {
		if _, err := s.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+s.table[t]); err != nil {
			return err
		}
	}
	return nil
}

// LookupChunk is the most addresses one lookup query asks for.
const LookupChunk = lookupChunk

// Bind rewrites the ? placeholders of q for dialect d.
func Bind(d Dialect, q string) string { return dialects[d].bind(q) }

// DropPrefix removes every table a Store with the table prefix p keeps or
// kept in an older schema, whether or not a Store could be made.
func DropPrefix(ctx context.Context, db *sql.DB, d Dialect, p string) error {
	s := newStore(db, dialects[d], Options{TablePrefix: p})
	for _, t := range []string{"suppressions_v2", "counts_v2"} {
		s.table[t] = dialects[d].quote(p + t)
	}
	for _, name := range s.table {
		if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+name); err != nil {
			return err
		}
	}
	return nil
}
