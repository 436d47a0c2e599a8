package sns

import (
	"context"
	"crypto/rsa"
	"fmt"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/sesguard/sesguard/internal/ttlcache"
)

// certFetchTimeout bounds one fetch made on behalf of every caller waiting
// for it, whatever their own contexts allow.
const certFetchTimeout = 30 * time.Second

// certCache keeps the public keys of signing certificates by URL: at most
// max of them, each for ttl after it was fetched. Concurrent requests for
// a URL that is not cached share one fetch, which runs detached from any
// one caller's cancellation so that its result is cached for the next
// caller even if the first gave up. Failures are not cached.
type certCache struct {
	src   CertificateSource
	ttl   time.Duration
	now   func() time.Time
	keys  *ttlcache.Cache[*rsa.PublicKey]
	group singleflight.Group
}

func newCertCache(src CertificateSource, max int, ttl time.Duration, now func() time.Time) *certCache {
	if max <= 0 {
		max = 64
	}
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	return &certCache{src: src, ttl: ttl, now: now, keys: ttlcache.New[*rsa.PublicKey](max)}
}

// cached returns the key cached for url, or nil. Only URLs that passed the
// certificate URL check are ever cached.
func (c *certCache) cached(url string) *rsa.PublicKey {
	key, _ := c.keys.Get(url, c.now())
	return key
}

// publicKey returns the RSA key of the certificate at url, fetching it
// unless it is cached. Each caller returns as soon as its own ctx ends.
func (c *certCache) publicKey(ctx context.Context, url string) (*rsa.PublicKey, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if key := c.cached(url); key != nil {
		return key, nil
	}
	ch := c.group.DoChan(url, func() (any, error) {
		// A caller that missed the cache just before an earlier fetch
		// stored its result starts a flight of its own; it finds the
		// key here instead of fetching again.
		if key := c.cached(url); key != nil {
			return key, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), certFetchTimeout)
		defer cancel()
		key, err := c.fetch(fctx, url)
		if err != nil {
			return nil, err
		}
		now := c.now()
		c.keys.Put(url, key, now.Add(c.ttl), now)
		return key, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*rsa.PublicKey), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *certCache) fetch(ctx context.Context, url string) (*rsa.PublicKey, error) {
	cert, err := c.src.Certificate(ctx, url)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %s: %w", ErrCertificate, url, err)
	case cert == nil:
		return nil, fmt.Errorf("%w: %s: no certificate", ErrCertificate, url)
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s: the certificate's key is %T, not RSA", ErrCertificate, url, cert.PublicKey)
	}
	return key, nil
}
