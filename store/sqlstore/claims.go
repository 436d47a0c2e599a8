package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"
)

type claimQueries struct {
	// claim inserts the claim, or takes over one that has expired.
	claim string
	// token reads back, on MySQL, who holds the claim.
	token   string
	release string
}

func (s *Store) prepareClaims() {
	c := &s.claims
	if s.d.name == MySQL {
		// MySQL's affected-rows count for an upsert depends on the
		// connection's clientFoundRows flag, so the winner is told by a
		// random token instead. The token is assigned first, while
		// expires_at still holds the old value.
		c.claim = s.q(`INSERT INTO ${claims} (id, expires_at, token) VALUES (?, ?, ?)
			ON DUPLICATE KEY UPDATE token = IF(expires_at <= ?, VALUES(token), token),
				expires_at = IF(expires_at <= ?, VALUES(expires_at), expires_at)`)
		c.token = s.q("SELECT token FROM ${claims} WHERE id = ?")
	} else {
		c.claim = s.q(`INSERT INTO ${claims} AS c (id, expires_at) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE c.expires_at <= ?`)
	}
	c.release = s.q("DELETE FROM ${claims} WHERE id = ?")
}

// Claim records id as applied until expires and reports whether this call
// made the claim: one atomic upsert inserts the claim, or takes over one that
// expired at or before t, so of concurrent claims of one id from any number
// of processes exactly one wins. (On MySQL the upsert is followed, in the
// same transaction, by reading back which call holds the claim.) Ids are at
// most 255 bytes of UTF-8.
func (s *Store) Claim(ctx context.Context, id string, t, expires time.Time) (bool, error) {
	if err := checkKey("id", id, maxKey, t, expires); err != nil {
		return false, fmt.Errorf("sqlstore: claim: %w", err)
	}
	at, exp := s.d.timeArg(t), s.d.timeArg(expires)
	if s.d.name != MySQL {
		res, err := s.exec(ctx, s.claims.claim, id, exp, at)
		if err != nil {
			return false, fmt.Errorf("sqlstore: claim %q: %w", id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return false, fmt.Errorf("sqlstore: claim %q: %w", id, err)
		}
		return n == 1, nil
	}
	token := rand.Int64()
	var holder int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.claims.claim, id, exp, token, at, at); err != nil {
			return err
		}
		// The upsert left the row locked by this transaction, so this
		// reads the holder it settled on.
		return tx.QueryRowContext(ctx, s.claims.token, id).Scan(&holder)
	})
	if err != nil {
		return false, fmt.Errorf("sqlstore: claim %q: %w", id, err)
	}
	return holder == token, nil
}

// Release removes the claim on id, if any.
func (s *Store) Release(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlstore: release: %w", err)
	}
	if !storable(id, maxKey) {
		return nil
	}
	if _, err := s.exec(ctx, s.claims.release, id); err != nil {
		return fmt.Errorf("sqlstore: release %q: %w", id, err)
	}
	return nil
}
