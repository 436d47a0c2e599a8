package sqlstore

import (
	"database/sql"
	"time"
)

// PoolIdleTime is how long [ConfigurePool] lets a connection stay idle.
const PoolIdleTime = 5 * time.Minute

// ConfigurePool sets db's pool for a process that makes up to concurrent
// store calls at once — the senders of a webhook, the sends in flight —
// so that it neither opens a connection per call nor queues for one: it
// keeps concurrent connections idle, allows twice as many open, for
// bursts and for a transaction beside the calls, and closes a connection
// that stayed idle PoolIdleTime. It suits every dialect; call it before
// [New].
func ConfigurePool(db *sql.DB, concurrent int) {
	concurrent = max(concurrent, 1)
	db.SetMaxOpenConns(2 * concurrent)
	db.SetMaxIdleConns(concurrent)
	db.SetConnMaxIdleTime(PoolIdleTime)
}
