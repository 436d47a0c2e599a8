package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/examples/internal/exampledb"
	"github.com/sesguard/sesguard/sestest"
	"github.com/sesguard/sesguard/unsubscribe"
)

// app is the running webhook: the store, the Client, the HTTP server and,
// in -demo, the emulator.
type app struct {
	cfg     config
	log     *slog.Logger
	client  *sesguard.Client
	db      *sql.DB
	emu     *sestest.Server   // -demo only
	tempDir string            // -demo without a store of its own
	keys    *unsubscribe.Keys // the unsubscribe links' keys; nil when not served
	srv     *http.Server
	url     string     // the server's base URL
	served  chan error // Serve's result
	metrics *http.Server
	metURL  string // the metrics server's base URL; empty without it

	stopOnce sync.Once
	stopErr  error
}

// start opens the store, builds the Client and starts serving. In
// cfg.demo the Client sends to a new sestest emulator and the SNS handler
// gets the emulator's certificate and topic; otherwise the handler fetches
// SNS's certificates over HTTPS and accepts cfg.topicARNs only. The caller
// ends the app with stop, or wait.
func start(ctx context.Context, cfg config, log *slog.Logger) (_ *app, err error) {
	a := &app{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.release()
		}
	}()
	sqlite := cfg.sqlite
	if cfg.demo && cfg.dsn == "" && sqlite == "" {
		if a.tempDir, err = os.MkdirTemp("", "sesguard-webhook"); err != nil {
			return nil, err
		}
		sqlite = filepath.Join(a.tempDir, "sesguard.db")
	}
	st, db, err := exampledb.Open(ctx, exampledb.DSN(cfg.dsn, sqlite), cfg.tablePrefix)
	if err != nil {
		return nil, err
	}
	a.db = db

	// The webhook only receives: its Client never calls SES, so it needs a
	// region but no credentials. A service that also sends builds the
	// Client once, from its own config, and mounts its SNSHandler.
	var api sesguard.SESv2API = sesv2.New(sesv2.Options{Region: cfg.region})
	topics := cfg.topicARNs
	var snsClient *http.Client // nil: fetch certificates from SNS over HTTPS
	if cfg.demo {
		if a.emu, err = sestest.NewServer(func(o *sestest.Options) { o.Region = cfg.region }); err != nil {
			return nil, fmt.Errorf("start the emulator: %w", err)
		}
		api = a.emu.Client()
		topics = []string{a.emu.TopicARN()}
		snsClient = a.emu.SNSHTTPClient()
	}
	hooks, metrics, err := newMetrics()
	if err != nil {
		return nil, err
	}
	if a.client, err = sesguard.New(api, func(o *sesguard.Options) {
		o.Store = st
		o.Logger = log
		o.Hooks = hooks
	}); err != nil {
		return nil, err
	}
	sns, err := a.client.SNSHandler(func(o *sesguard.HandlerOptions) {
		o.SNS.TopicARNs = topics
		o.SNS.HTTPClient = snsClient
	})
	if err != nil {
		return nil, err
	}

	unsub, err := a.unsubscribeHandler()
	if err != nil {
		return nil, err
	}
	if cfg.metricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.metricsAddr)
		if err != nil {
			return nil, err
		}
		a.metrics = newMetricsServer(metrics)
		a.metURL = "http://" + mln.Addr().String()
		go func() {
			if err := a.metrics.Serve(mln); !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server", "error", err)
			}
		}()
		log.Info("serving metrics", "addr", mln.Addr().String(), "path", "/metrics")
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, err
	}
	a.srv = newServer(a.client, cfg.path, sns, cfg.unsubPath, unsub, log)
	a.url = "http://" + ln.Addr().String()
	a.served = make(chan error, 1)
	go func() { a.served <- a.srv.Serve(ln) }()
	unsubPath := "off (no SESGUARD_UNSUBSCRIBE_KEYS)"
	if unsub != nil {
		unsubPath = cfg.unsubPath
	}
	log.Info("serving", "addr", ln.Addr().String(), "path", cfg.path, "unsubscribe", unsubPath, "topics", topics, "demo", cfg.demo)
	return a, nil
}

// wait serves until ctx is done or the server fails, then stops.
func (a *app) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "timeout", a.cfg.shutdownTimeout)
		return a.stop()
	case err := <-a.served:
		a.served <- err // for stop
		return errors.Join(fmt.Errorf("serve: %w", err), a.stop())
	}
}

// stop stops accepting connections, lets requests in flight finish for up
// to cfg.shutdownTimeout, and releases everything. Later calls return
// the first one's result.
func (a *app) stop() error {
	a.stopOnce.Do(func() {
		if a.emu != nil {
			// In -demo the emulator is SNS, a client of this server: it
			// goes first, with its connections, so that Shutdown does not
			// wait on them.
			a.emu.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), a.cfg.shutdownTimeout)
		defer cancel()
		a.stopErr = a.srv.Shutdown(ctx)
		if err := <-a.served; !errors.Is(err, http.ErrServerClosed) {
			a.stopErr = errors.Join(a.stopErr, err)
		}
		a.release()
	})
	return a.stopErr
}

// release closes the metrics server, the emulator, the Client and the
// store.
func (a *app) release() {
	if a.metrics != nil {
		a.metrics.Close()
	}
	if a.emu != nil {
		a.emu.Close()
	}
	if a.client != nil {
		a.client.Close()
	}
	if a.db != nil {
		a.db.Close()
	}
	if a.tempDir != "" {
		os.RemoveAll(a.tempDir)
	}
}
