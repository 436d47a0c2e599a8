package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/store/sqlstore"
)

// serverWait bounds every wait for the server to reach a state (a query
// blocked, a session gone). The servers are shared, so it is generous.
const serverWait = 20 * time.Second

// blocked is a lookup held up by a table lock that another session holds,
// so that a test can act while the query is running on the server.
type blocked struct {
	b      backend
	admin  *sql.DB
	locker *sql.Conn
	table  string
	s      *sqlstore.Store
}

// block returns a store with one suppression whose suppressions table is
// locked against reads until the test ends.
func block(t *testing.T, b backend) *blocked {
	t.Helper()
	ctx := context.Background()
	p := prefix(t)
	bl := &blocked{b: b, admin: b.open(t), table: p + "suppressions"}
	bl.s = newStore(t, b.open(t), func(o *sqlstore.Options) { o.TablePrefix = p })
	mustPut(t, bl.s, store.Suppression{Address: "held@example.com", Reason: store.ReasonBounce})
	conn, err := bl.admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bl.locker = conn
	switch b.name {
	case "Postgres":
		_, err = conn.ExecContext(ctx, `BEGIN; LOCK TABLE "`+bl.table+`" IN ACCESS EXCLUSIVE MODE`)
	case "MySQL":
		_, err = conn.ExecContext(ctx, "LOCK TABLES `"+bl.table+"` WRITE")
	}
	if err != nil {
		t.Fatalf("locking %s: %v", bl.table, err)
	}
	// Registered after newStore's cleanup, so it runs first: the lock
	// goes before the tables are dropped.
	t.Cleanup(func() {
		unlock := "ROLLBACK"
		if b.name == "MySQL" {
			unlock = "UNLOCK TABLES"
		}
		if _, err := conn.ExecContext(ctx, unlock); err != nil {
			t.Errorf("unlocking %s: %v", bl.table, err)
		}
		conn.Close()
	})
	return bl
}

// waiter returns the server's id of the session whose query on the table is
// waiting for the lock, or 0 when there is none.
func (bl *blocked) waiter(t *testing.T) int64 {
	t.Helper()
	var q string
	switch bl.b.name {
	case "Postgres":
		q = `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND query LIKE '%' || $1 || '%'`
	case "MySQL":
		q = `SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND STATE LIKE 'Waiting for table%' AND INFO LIKE CONCAT('%', ?, '%')`
	}
	var id int64
	err := bl.admin.QueryRowContext(context.Background(), q, bl.table).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0
	}
	if err != nil {
		t.Fatalf("reading the server's sessions: %v", err)
	}
	return id
}

// awaitWaiter waits, within serverWait, until a query is blocked on the table.
func (bl *blocked) awaitWaiter(t *testing.T, done <-chan error) int64 {
	t.Helper()
	deadline := time.Now().Add(serverWait)
	for time.Now().Before(deadline) {
		if id := bl.waiter(t); id != 0 {
			return id
		}
		select {
		case err := <-done:
			t.Fatalf("the query ended (%v) instead of waiting for the table lock", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no query waited for the lock on %s within %v", bl.table, serverWait)
	return 0
}

// dropUntilDone waits, within serverWait, for the call behind done to
// return, dropping every session that comes to wait on the table meanwhile:
// database/sql may retry a statement on a fresh connection when the driver
// reports the old one bad before anything reached the server, and that
// retry waits on the same lock. What the tests assert is that the call
// fails once its connections are gone, however many it tried.
func (bl *blocked) dropUntilDone(t *testing.T, done <-chan error, what string) error {
	t.Helper()
	deadline := time.After(serverWait)
	for {
		select {
		case err := <-done:
			return err
		case <-deadline:
			t.Fatalf("%s did not return within %v", what, serverWait)
			return nil
		case <-time.After(50 * time.Millisecond):
			// The session may end between the two statements; a failed
			// drop is retried on the next tick if it still waits.
			if id := bl.waiter(t); id != 0 {
				_ = bl.drop(id)
			}
		}
	}
}

// kill drops the session with the given id from the server side.
func (bl *blocked) kill(t *testing.T, id int64) {
	t.Helper()
	if err := bl.drop(id); err != nil {
		t.Fatalf("killing session %d: %v", id, err)
	}
}

// drop asks the server to end the session with the given id.
func (bl *blocked) drop(id int64) error {
	var err error
	switch bl.b.name {
	case "Postgres":
		_, err = bl.admin.ExecContext(context.Background(), "SELECT pg_terminate_backend($1)", id)
	case "MySQL":
		_, err = bl.admin.ExecContext(context.Background(), fmt.Sprintf("KILL %d", id))
	}
	return err
}

func await(t *testing.T, done <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(serverWait):
		t.Fatalf("%s did not return within %v", what, serverWait)
		return nil
	}
}

func TestDroppedConnectionMidLookupIsAnError(t *testing.T) {
	for _, b := range servers {
		t.Run(b.name, func(t *testing.T) {
			bl := block(t, b)
			done := make(chan error, 1)
			go func() {
				_, err := bl.s.Lookup(context.Background(), []string{"held@example.com"})
				done <- err
			}()
			bl.kill(t, bl.awaitWaiter(t, done))
			if err := bl.dropUntilDone(t, done, "Lookup on a dropped connection"); err == nil {
				t.Fatal("Lookup on a connection dropped mid-query returned nil error")
			}
		})
	}
}

func TestDroppedConnectionStopsTheSend(t *testing.T) {
	for _, b := range servers {
		t.Run(b.name, func(t *testing.T) {
			var calls atomic.Int32
			ses := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				io.Copy(io.Discard, r.Body)
				fmt.Fprint(w, `{"MessageId":"0100-sqlstore-test"}`)
			}))
			t.Cleanup(ses.Close)
			api := sesv2.New(sesv2.Options{
				BaseEndpoint:     aws.String(ses.URL),
				Region:           "us-east-1",
				Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
				RetryMaxAttempts: 1,
			})
			bl := block(t, b)
			c, err := sesguard.New(api, func(o *sesguard.Options) { o.Store = bl.s })
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := c.Send(context.Background(), &sesv2.SendEmailInput{
					FromEmailAddress: aws.String("app@example.com"),
					Destination:      &types.Destination{ToAddresses: []string{"fresh@example.com"}},
					Content: &types.EmailContent{Simple: &types.Message{
						Subject: &types.Content{Data: aws.String("hi")},
						Body:    &types.Body{Text: &types.Content{Data: aws.String("hello")}},
					}},
				})
				done <- err
			}()
			bl.kill(t, bl.awaitWaiter(t, done))
			err = bl.dropUntilDone(t, done, "Send with the store's connection dropped")
			if !errors.Is(err, sesguard.ErrStoreUnavailable) {
				t.Errorf("Send error %v, want sesguard.ErrStoreUnavailable", err)
			}
			if n := calls.Load(); n != 0 {
				t.Errorf("SES was called %d times while the store could not be asked", n)
			}
		})
	}
}

func TestCancelledContextCancelsTheQuery(t *testing.T) {
	for _, b := range servers {
		t.Run(b.name, func(t *testing.T) {
			bl := block(t, b)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := bl.s.Lookup(ctx, []string{"held@example.com"})
				done <- err
			}()
			bl.awaitWaiter(t, done)
			cancel()
			if err := await(t, done, "Lookup after its ctx was cancelled"); !errors.Is(err, context.Canceled) {
				t.Fatalf("Lookup error %v, want one wrapping context.Canceled", err)
			}
			// The server stops the query too: it no longer waits for the
			// lock, which is still held.
			deadline := time.Now().Add(serverWait)
			for bl.waiter(t) != 0 {
				if time.Now().After(deadline) {
					t.Fatalf("the server still runs the cancelled query after %v", serverWait)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
