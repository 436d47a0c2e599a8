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
	// alias: INSERT INTO may name the table (PostgreSQL, SQLite); MySQL
	// names the stored row's columns bare and the new row's with VALUES().
	alias bool
	// keep is the clause that makes an INSERT leave the row whose key
	// conflicts alone.
	keep func(key string) string
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
		alias:      true,
		keep:       func(key string) string { return " ON CONFLICT (" + key + ") DO NOTHING" },
		greatest:   "GREATEST",
		maxVars:    65535,
	},
	MySQL: {
		name:  MySQL,
		quote: func(id string) string { return "`" + id + "`" },
		// The server's isolation level, which costs no statement per
		// transaction (go-sql-driver sends SET TRANSACTION for any
		// other): what needs the latest committed rows reads them with
		// a locking read.
		txOptions:  nil,
		encodeTime: func(t time.Time) any { return formatTime(t) },
		wallClock:  true,
		// Updating a key column to itself leaves the row alone without
		// the errors-into-warnings of INSERT IGNORE.
		keep: func(key string) string {
			first, _, _ := strings.Cut(key, ",")
			return " ON DUPLICATE KEY UPDATE " + first + " = " + first
		},
		greatest: "GREATEST",
		maxVars:  65535,
	},
	SQLite: {
		name:       SQLite,
		quote:      doubleQuote,
		encodeTime: func(t time.Time) any { return formatTime(t) },
		alias:      true,
		keep:       func(key string) string { return " ON CONFLICT (" + key + ") DO NOTHING" },
		greatest:   "max",
		maxVars:    32766,
	},
}

func doubleQuote(id string) string { return `"` + id + `"` }

// insertInto begins an INSERT into table, naming it alias where the
// dialect allows.
func (d *dialect) insertInto(table, alias string) string {
	if d.alias {
		return "INSERT INTO " + table + " AS " + alias
	}
	return "INSERT INTO " + table
}

// The insert ids by which MySQL's Put tells what its upsert did: a new row
// leaves the insert id 0, and the update sets it to one of these.
const (
	mysqlReplaced = 1
	mysqlKept     = 2
)

// replaceIfStronger is the clause that makes an INSERT of suppressions
// (named cur where the dialect names it) replace the stored row of the
// same key when store.Replaces allows it, in the same statement: the
// stored row is locked and read at its latest committed version, so
// concurrent writers to one key queue and the strongest stays.
func (d *dialect) replaceIfStronger() string {
	cols := []string{"detail", "source", "created_at", "reason", "expires_at"}
	if d.alias {
		set := make([]string, len(cols))
		for i, c := range cols {
			set[i] = c + " = excluded." + c
		}
		cond := replaces(func(c string) string { return "excluded." + c }, func(c string) string { return "cur." + c })
		return " ON CONFLICT (address, scope) DO UPDATE SET " + strings.Join(set, ", ") + " WHERE " + cond
	}
	// MySQL's ON DUPLICATE KEY UPDATE has no WHERE: each column takes the
	// new value only when the condition holds. Assignments run left to
	// right and see the columns already assigned, so reason and
	// expires_at, which the condition reads, come last, reason first: once
	// the condition has held, the new reason keeps it holding. The first
	// assignment also records the outcome as the insert id, because the
	// affected-rows count depends on the connection's clientFoundRows.
	cond := replaces(func(c string) string { return "VALUES(" + c + ")" }, func(c string) string { return c })
	set := make([]string, len(cols))
	for i, c := range cols {
		test := cond
		if i == 0 {
			test = "LAST_INSERT_ID(IF(" + cond + ", " + strconv.Itoa(mysqlReplaced) + ", " + strconv.Itoa(mysqlKept) + ")) = " + strconv.Itoa(mysqlReplaced)
		}
		set[i] = c + " = IF(" + test + ", VALUES(" + c + "), " + c + ")"
	}
	return " ON DUPLICATE KEY UPDATE " + strings.Join(set, ", ")
}

// upserted reports whether the conditional upsert of res wrote its row.
func (d *dialect) upserted(res sql.Result) (bool, error) {
	if d.name == MySQL {
		id, err := res.LastInsertId()
		return id != mysqlKept, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
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
