package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/sesguard/sesguard"
)

// The server's timeouts. SNS gives an endpoint 15 seconds to answer and
// posts at most 256 KiB, so a request that takes longer to arrive or to
// answer is not SNS's, or is already being retried.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 15 * time.Second
	writeTimeout      = 20 * time.Second
	idleTimeout       = 2 * time.Minute
	healthTimeout     = 2 * time.Second
)

// newServer returns the HTTP server: the SNS handler at POST path, the
// one-click unsubscribe handler (when not nil) at unsubPath for GET and
// POST, the health check at GET /healthz, every request logged.
func newServer(client *sesguard.Client, path string, sns http.Handler, unsubPath string, unsub http.Handler, log *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("POST "+path, sns)
	if unsub != nil {
		mux.Handle(unsubPath, unsub)
	}
	mux.Handle("GET /healthz", health(client, log))
	return &http.Server{
		Handler:           accessLog(mux, log),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// health answers 200 when the store answers a lookup within
// healthTimeout, and 503 otherwise. The store's error is logged, not
// shown: the endpoint is as public as the webhook.
func health(client *sesguard.Client, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if _, err := client.Store().Lookup(ctx, []string{"healthz@example.invalid"}); err != nil {
			log.ErrorContext(ctx, "health check: the store does not answer", "error", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("store unavailable\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
}

// accessLog logs one record per request, with the SNS message type and
// id when SNS sent them, so that a retried delivery can be followed.
func accessLog(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("remote", r.RemoteAddr),
		}
		if t := r.Header.Get("x-amz-sns-message-type"); t != "" {
			attrs = append(attrs, slog.String("sns_type", t), slog.String("sns_id", r.Header.Get("x-amz-sns-message-id")))
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
