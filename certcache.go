package sesguard

import (
	"context"
	"crypto/rsa"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// certFetchTimeout bounds one fetch made on behalf of every caller waiting
// for it, whatever their own contexts allow.
const certFetchTimeout = 30 * time.Second

// certCache keeps the public keys of signing certificates by URL: at most
// max of them, each for ttl after it was fetched, the least recently used
// evicted first. Concurrent requests for a URL that is not cached share one
// fetch. Failures are not cached.
type certCache struct {
	src CertificateSource
	max int
	ttl time.Duration
	now func() time.Time

	mu       sync.RWMutex
	entries  map[string]*certEntry
	inflight map[string]*certCall
}

type certEntry struct {
	key     *rsa.PublicKey
	expires time.Time
	used    atomic.Int64 // UnixNano of the last use, for eviction
}

type certCall struct {
	done chan struct{}
	key  *rsa.PublicKey
	err  error
}

func newCertCache(src CertificateSource, max int, ttl time.Duration, now func() time.Time) *certCache {
	if max <= 0 {
		max = 64
	}
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	return &certCache{
		src:      src,
		max:      max,
		ttl:      ttl,
		now:      now,
		entries:  make(map[string]*certEntry),
		inflight: make(map[string]*certCall),
	}
}

// cached returns the key cached for url, or nil. Only URLs that passed the
// certificate URL check are ever cached.
func (c *certCache) cached(url string) *rsa.PublicKey {
	now := c.now()
	c.mu.RLock()
	e := c.entries[url]
	c.mu.RUnlock()
	if e == nil || !now.Before(e.expires) {
		return nil
	}
	e.used.Store(now.UnixNano())
	return e.key
}

// publicKey returns the RSA key of the certificate at url, fetching it
// unless it is cached.
func (c *certCache) publicKey(ctx context.Context, url string) (*rsa.PublicKey, error) {
	if key := c.cached(url); key != nil {
		return key, nil
	}

	c.mu.Lock()
	// A fetch may have finished since the look-up above.
	if e := c.entries[url]; e != nil && c.now().Before(e.expires) {
		c.mu.Unlock()
		return e.key, nil
	}
	call := c.inflight[url]
	if call == nil {
		call = &certCall{done: make(chan struct{})}
		c.inflight[url] = call
		// The fetch outlives a caller that gives up: others may be
		// waiting for it, and its result is worth caching.
		go c.fetch(context.WithoutCancel(ctx), url, call)
	}
	c.mu.Unlock()

	select {
	case <-call.done:
		return call.key, call.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *certCache) fetch(ctx context.Context, url string, call *certCall) {
	ctx, cancel := context.WithTimeout(ctx, certFetchTimeout)
	defer cancel()
	cert, err := c.src.Certificate(ctx, url)
	switch {
	case err != nil:
		call.err = fmt.Errorf("%w: %s: %w", ErrCertificate, url, err)
	case cert == nil:
		call.err = fmt.Errorf("%w: %s: no certificate", ErrCertificate, url)
	default:
		key, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			call.err = fmt.Errorf("%w: %s: the certificate's key is %T, not RSA", ErrCertificate, url, cert.PublicKey)
		}
		call.key = key
	}

	c.mu.Lock()
	delete(c.inflight, url)
	if call.err == nil {
		now := c.now()
		e := &certEntry{key: call.key, expires: now.Add(c.ttl)}
		e.used.Store(now.UnixNano())
		c.entries[url] = e
		c.evict()
	}
	c.mu.Unlock()
	close(call.done)
}

// evict drops the least recently used entries beyond max. c.mu is held.
func (c *certCache) evict() {
	for len(c.entries) > c.max {
		var oldest string
		var oldestUse int64
		first := true
		for u, e := range c.entries {
			if use := e.used.Load(); first || use < oldestUse {
				oldest, oldestUse, first = u, use, false
			}
		}
		delete(c.entries, oldest)
	}
}
