package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for postgres:// DSNs
	_ "modernc.org/sqlite"             // the "sqlite" driver, for sqlite: DSNs

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/dynamostore"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// defaultStore is the --store of a command run without one: a SQLite file
// in the working directory.
const defaultStore = "sqlite:sesguard.db"

// storeFlags are the flags of the commands that open the suppression list.
type storeFlags struct {
	dsn    string
	prefix string
}

// dynamoScheme begins a --store value that names a DynamoDB table.
const dynamoScheme = "dynamodb://"

// openStore opens the suppression list at f.dsn and returns it with what
// closes it. A SQL store — sqlite:PATH (a file, in WAL mode with a busy
// timeout), postgres://... or postgresql://..., mysql://user:pass@host:port/db
// — has its tables created or migrated. dynamodb://TABLE opens an existing
// table made by dynamostore.CreateTable, with the AWS configuration of
// awsConfig; the query may set region (over --region) and endpoint (over
// AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL).
func (a *app) openStore(ctx context.Context, f storeFlags) (store.Store, io.Closer, error) {
	if strings.HasPrefix(f.dsn, dynamoScheme) {
		st, err := a.openDynamo(ctx, f.dsn)
		if err != nil {
			return nil, nil, err
		}
		return st, io.NopCloser(nil), nil
	}
	driver, dsn, err := driverDSN(f.dsn)
	if err != nil {
		return nil, nil, err
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("open the store: %w", err)
	}
	st, err := sqlstore.New(ctx, db, func(o *sqlstore.Options) { o.TablePrefix = f.prefix })
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("open the store %s: %w", redact(f.dsn), err)
	}
	return st, db, nil
}

// openDynamo opens the DynamoDB store of a dynamodb://TABLE?region=...&endpoint=...
// value.
func (a *app) openDynamo(ctx context.Context, s string) (*dynamostore.Store, error) {
	table, query, _ := strings.Cut(strings.TrimPrefix(s, dynamoScheme), "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, usagef("--store %q: %v", s, err)
	}
	for k := range q {
		if k != "region" && k != "endpoint" {
			return nil, usagef("--store %q: unknown parameter %q (want region or endpoint)", s, k)
		}
	}
	if table == "" || strings.Contains(table, "/") {
		return nil, usagef("--store %q: want dynamodb://TABLE", s)
	}
	cfg, err := a.awsConfig(ctx, q.Get("region"))
	if err != nil {
		return nil, err
	}
	api := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if e := q.Get("endpoint"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
	return dynamostore.New(api, table)
}

// driverDSN turns a --store value into a database/sql driver name and DSN.
func driverDSN(s string) (driver, dsn string, err error) {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if path == "" {
			return "", "", usagef("--store %q: want sqlite:PATH", s)
		}
		return "sqlite", "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)", nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return "pgx", s, nil
	case strings.HasPrefix(s, "mysql://"):
		u, err := url.Parse(s)
		if err != nil {
			return "", "", usagef("--store: %v", err)
		}
		q := u.Query()
		q.Set("parseTime", "true")
		user := u.User.Username()
		if pw, ok := u.User.Password(); ok {
			user += ":" + pw
		}
		dsn := fmt.Sprintf("%s@tcp(%s)%s?%s", user, u.Host, u.Path, q.Encode())
		if _, err := mysql.ParseDSN(dsn); err != nil {
			return "", "", usagef("--store: %v", err)
		}
		return "mysql", dsn, nil
	}
	return "", "", usagef("--store %q: want sqlite:PATH, postgres://..., mysql://... or dynamodb://TABLE", redact(s))
}

// redact hides the password of a DSN URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
