package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Dialect names the SQL dialect a [Store] speaks. The zero value asks [New]
// to detect it from the driver of the *sql.DB.
type Dialect string

// The dialects sqlstore speaks.
const (
	// Postgres is PostgreSQL 12 or later.
	Postgres Dialect = "postgres"
	// MySQL is MySQL 8.0 or later and MariaDB 10.5 or later.
	MySQL Dialect = "mysql"
	// SQLite is SQLite 3.35 or later.
	SQLite Dialect = "sqlite"
)

// driverDialects maps the package paths of the drivers sqlstore is tested
// with to their dialects. Other drivers work when Options.Dialect names the
// dialect.
var driverDialects = map[string]Dialect{
	"github.com/jackc/pgx/v5/stdlib": Postgres,
	"github.com/go-sql-driver/mysql": MySQL,
	"modernc.org/sqlite":             SQLite,
}

// detectDialect names the dialect of drv from its type's package, without
// importing any driver.
func detectDialect(drv driver.Driver) (Dialect, error) {
	t := reflect.TypeOf(drv)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "", fmt.Errorf("sqlstore: no driver to detect a dialect from; set Options.Dialect")
	}
	if d, ok := driverDialects[t.PkgPath()]; ok {
		return d, nil
	}
	return "", fmt.Errorf("sqlstore: cannot tell the dialect of driver %s.%s; set Options.Dialect", t.PkgPath(), t.Name())
}

// dialect holds what differs between the databases.
type dialect struct {
	name Dialect
	// quote quotes an identifier.
	quote func(string) string
	// numbered placeholders ($1, $2, …) instead of ?.
	numbered bool
	// txOptions begin every read-write transaction.
	txOptions *sql.TxOptions
	// encodeTime turns a UTC time into a query argument.
	encodeTime func(time.Time) any
	// wallClock: a time.Time read back holds the stored UTC wall clock in
	// whatever location the driver chose (MySQL DATETIME with parseTime).
	wallClock bool
	// upsert is the clause that makes an INSERT replace the listed columns
	// of the row whose key conflicts; keep makes it leave that row alone.
	upsert func(key string, cols ...string) string
	keep   func(key string) string
	// greatest is the two-argument maximum function.
	greatest string
	// maxVars is the most placeholders one statement may hold.
	maxVars int
}

var dialects = map[Dialect]*dialect{
	Postgres: {
		name:       Postgres,
		quote:      doubleQuote,
		numbered:   true,
		txOptions:  &sql.TxOptions{Isolation: sql.LevelReadCommitted},
		encodeTime: func(t time.Time) any { return t },
		upsert:     onConflict,
		keep:       func(key string) string { return " ON CONFLICT (" + key + ") DO NOTHING" },
		greatest:   "GREATEST",
		maxVars:    65535,
	},
	MySQL: {
		name:       MySQL,
		quote:      func(id string) string { return "`" + id + "`" },
		txOptions:  &sql.TxOptions{Isolation: sql.LevelReadCommitted},
		encodeTime: func(t time.Time) any { return formatTime(t) },
		wallClock:  true,
		upsert:     onDuplicateKey,
		// Updating the key to itself leaves the row alone without the
		// errors-into-warnings of INSERT IGNORE.
		keep:     func(key string) string { return " ON DUPLICATE KEY UPDATE " + key + " = " + key },
		greatest: "GREATEST",
		maxVars:  65535,
	},
	SQLite: {
		name:       SQLite,
		quote:      doubleQuote,
		encodeTime: func(t time.Time) any { return formatTime(t) },
		upsert:     onConflict,
		keep:       func(key string) string { return " ON CONFLICT (" + key + ") DO NOTHING" },
		greatest:   "max",
		maxVars:    32766,
	},
}

func doubleQuote(id string) string { return `"` + id + `"` }

func onConflict(key string, cols ...string) string {
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = c + " = excluded." + c
	}
	return " ON CONFLICT (" + key + ") DO UPDATE SET " + strings.Join(set, ", ")
}

func onDuplicateKey(_ string, cols ...string) string {
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = c + " = VALUES(" + c + ")"
	}
	return " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
}

// bind rewrites the ? placeholders of q for the dialect. The queries
// sqlstore writes hold no ? inside literals.
func (d *dialect) bind(q string) string {
	if !d.numbered {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + len(q)/4)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// placeholders returns rows groups of cols comma-separated placeholders:
// "(?, ?), (?, ?)".
func placeholders(rows, cols int) string {
	one := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var b strings.Builder
	b.Grow(rows * (len(one) + 2))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}
