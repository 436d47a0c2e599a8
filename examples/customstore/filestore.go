package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sesguard/sesguard/store"
)

// ErrCorrupt is wrapped by the error Open returns for a file holding a
// complete line that is not a change it wrote. The error names the line;
// the file is left as it is.
var ErrCorrupt = errors.New("filestore: corrupt line")

// FileStore is a suppression list held in a map and persisted to a
// JSON-lines file: every Put and Delete appends one line, synced before it
// returns, and Open replays the lines. It implements store.Store and one
// optional ability, store.Lister; the sesguard Client keeps the rest
// (counting transient bounces, remembering applied notifications) in
// memory beside it.
//
// Put keeps the store's one rule, never weakening a suppression
// (store.Replaces), under the same lock as the write.
//
// Only one process may have a file open at a time. A FileStore is safe for
// concurrent use by multiple goroutines.
type FileStore struct {
	mu   sync.RWMutex
	f    *os.File
	size int64 // bytes of the file that hold complete lines
	m    map[store.Key]store.Suppression
	// scopes indexes the list scopes of each address, for Lookup.
	scopes map[string][]store.Scope
	// err, once set, fails every later write: the file could not be cut
	// back after a failed append.
	err error
}

var (
	_ store.Store  = (*FileStore)(nil)
	_ store.Lister = (*FileStore)(nil)
)

// change is one line of the file.
type change struct {
	Op        string       `json:"op"` // "put" or "delete"
	Address   string       `json:"address"`
	Scope     store.Scope  `json:"scope,omitempty"` // absent in files written before scopes: ScopeAll
	Reason    store.Reason `json:"reason,omitempty"`
	Detail    string       `json:"detail,omitempty"`
	Source    string       `json:"source,omitempty"`
	CreatedAt time.Time    `json:"created_at,omitzero"`
	ExpiresAt time.Time    `json:"expires_at,omitzero"`
}

// Open opens the store kept in the file at path, creating the file if it
// does not exist, and replays it. A last line without its newline that
// does not read as a change is the trace of a write that never returned,
// so it is cut off; any other line that cannot be read makes Open fail
// with an error wrapping ErrCorrupt, and the file is left as it is.
func Open(path string) (*FileStore, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	m, size, unterminated, err := replay(f)
	s := &FileStore{f: f, size: size, m: m, scopes: make(map[string][]store.Scope)}
	for k := range m {
		if k.Scope != store.ScopeAll {
			s.scopes[k.Address] = append(s.scopes[k.Address], k.Scope)
		}
	}
	if err == nil {
		err = s.rewind()
	}
	if err == nil && unterminated {
		_, err = f.Write([]byte{'\n'})
		s.size++
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// replay reads the changes in r and returns the list they leave, the length
// of the lines that hold them, and whether the last of those lacks its
// newline.
func replay(r io.Reader) (m map[store.Key]store.Suppression, size int64, unterminated bool, err error) {
	m = make(map[store.Key]store.Suppression)
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, 0, false, err
		}
		if len(line) == 0 {
			return m, size, false, nil
		}
		c, derr := decode(line)
		if err == io.EOF {
			if derr == nil {
				apply(m, c)
				size += int64(len(line))
			}
			return m, size, derr == nil, nil
		}
		if derr != nil {
			return nil, 0, false, fmt.Errorf("%w %d: %v", ErrCorrupt, n, derr)
		}
		apply(m, c)
		size += int64(len(line))
	}
}

// apply makes the change c to m.
func apply(m map[store.Key]store.Suppression, c change) {
	k := store.Key{Address: c.Address, Scope: c.Scope}
	if c.Op == "delete" {
		delete(m, k)
		return
	}
	m[k] = store.Suppression{
		Address: c.Address, Scope: c.Scope, Reason: c.Reason, Detail: c.Detail, Source: c.Source,
		CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt,
	}
}

// decode reads one line, strictly: unknown fields, trailing data and
// unknown operations are errors.
func decode(line []byte) (change, error) {
	var c change
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, err
	}
	if dec.More() {
		return c, errors.New("more than one change on the line")
	}
	if c.Op != "put" && c.Op != "delete" {
		return c, fmt.Errorf("unknown op %q", c.Op)
	}
	if c.Address == "" {
		return c, errors.New("no address")
	}
	return c, nil
}

// Lookup returns the suppressions stored for addrs, in every scope. The
// scopes of an address are few, so it scans the map's keys of each
// address asked; a store with many scopes per address would index them.
func (s *FileStore) Lookup(ctx context.Context, addrs []string) ([]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var found []store.Suppression
	for i, a := range addrs {
		if slices.Contains(addrs[:i], a) {
			continue // asked twice, reported once
		}
		if v, ok := s.m[store.Key{Address: a}]; ok {
			found = append(found, v)
		}
		for _, sc := range s.scopes[a] {
			found = append(found, s.m[store.Key{Address: a, Scope: sc}])
		}
	}
	return found, nil
}

// Put stores v under v.Key() unless a stronger suppression is stored there
// (store.Replaces), and returns once the change is on disk.
func (s *FileStore) Put(ctx context.Context, v store.Suppression) (bool, error) {
	if v.Address == "" {
		return false, fmt.Errorf("%w: empty address", store.ErrInvalid)
	}
	for _, f := range []string{v.Address, string(v.Scope), string(v.Reason), v.Detail, v.Source} {
		if !utf8.ValidString(f) {
			return false, fmt.Errorf("%w: %q is not UTF-8, which JSON cannot hold", store.ErrInvalid, f)
		}
	}
	c := change{Op: "put", Address: v.Address, Scope: v.Scope, Reason: v.Reason, Detail: v.Detail, Source: v.Source, CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.m[v.Key()]; ok && !store.Replaces(v, cur) {
		return false, ctx.Err()
	}
	if err := s.append(ctx, c); err != nil {
		return false, err
	}
	s.set(v)
	return true, nil
}

// set stores v in the map and its scope in the index. The caller holds
// s.mu.
func (s *FileStore) set(v store.Suppression) {
	if _, ok := s.m[v.Key()]; !ok && v.Scope != store.ScopeAll {
		s.scopes[v.Address] = append(s.scopes[v.Address], v.Scope)
	}
	s.m[v.Key()] = v
}

// Delete removes the suppression stored under k, if any.
func (s *FileStore) Delete(ctx context.Context, k store.Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, ok := s.m[k]; !ok {
		return nil
	}
	if err := s.append(ctx, change{Op: "delete", Address: k.Address, Scope: k.Scope}); err != nil {
		return err
	}
	delete(s.m, k)
	if k.Scope != store.ScopeAll {
		s.scopes[k.Address] = slices.DeleteFunc(s.scopes[k.Address], func(sc store.Scope) bool { return sc == k.Scope })
		if len(s.scopes[k.Address]) == 0 {
			delete(s.scopes, k.Address)
		}
	}
	return nil
}

// append writes c as one line and syncs it. On failure it cuts the file
// back to its last complete line, so that a later append does not follow
// half a line. The caller holds s.mu.
func (s *FileStore) append(ctx context.Context, c change) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.f == nil {
		return errors.New("filestore: closed")
	}
	if s.err != nil {
		return s.err
	}
	line, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	line = append(line, '\n')
	_, err = s.f.Write(line)
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		err = fmt.Errorf("filestore: write: %w", err)
		if rerr := s.rewind(); rerr != nil {
			s.err = fmt.Errorf("filestore: a failed write left a partial line: %w", rerr)
			return errors.Join(err, s.err)
		}
		return err
	}
	s.size += int64(len(line))
	return nil
}

// rewind cuts the file back to its last complete line.
func (s *FileStore) rewind() error {
	if err := s.f.Truncate(s.size); err != nil {
		return err
	}
	_, err := s.f.Seek(s.size, io.SeekStart)
	return err
}

// List returns at most limit suppressions whose keys sort after after,
// in ascending order (store.Key.Less).
func (s *FileStore) List(ctx context.Context, after store.Key, limit int) ([]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var keys []store.Key
	for k := range s.m {
		if after.Less(k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b store.Key) int {
		if c := strings.Compare(a.Address, b.Address); c != 0 {
			return c
		}
		return strings.Compare(string(a.Scope), string(b.Scope))
	})
	page := make([]store.Suppression, 0, min(limit, len(keys)))
	for _, k := range keys[:min(limit, len(keys))] {
		page = append(page, s.m[k])
	}
	return page, nil
}

// Close closes the file. Further writes fail; Close may be called more
// than once.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
