package sqlstore

import "context"

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
