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
// optional ability, store.Lister.
//
// Only one process may have a file open at a time. A FileStore is safe for
// concurrent use by multiple goroutines.
type FileStore struct {
	mu   sync.RWMutex
	f    *os.File
	size int64 // bytes of the file that hold complete lines
	m    map[string]store.Suppression
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
	s := &FileStore{f: f, size: size, m: m}
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
func replay(r io.Reader) (m map[string]store.Suppression, size int64, unterminated bool, err error) {
	m = make(map[string]store.Suppression)
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
func apply(m map[string]store.Suppression, c change) {
	if c.Op == "delete" {
		delete(m, c.Address)
		return
	}
	m[c.Address] = store.Suppression{
		Address: c.Address, Reason: c.Reason, Detail: c.Detail, Source: c.Source,
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

// Lookup returns the suppressions stored for addrs.
func (s *FileStore) Lookup(ctx context.Context, addrs []string) (map[string]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var found map[string]store.Suppression
	for _, a := range addrs {
		if v, ok := s.m[a]; ok {
			if found == nil {
				found = make(map[string]store.Suppression)
			}
			found[a] = v
		}
	}
	return found, nil
}

// Put inserts or replaces the suppression for v.Address, and returns once
// the change is on disk.
func (s *FileStore) Put(ctx context.Context, v store.Suppression) error {
	if v.Address == "" {
		return fmt.Errorf("%w: empty address", store.ErrInvalid)
	}
	for _, f := range []string{v.Address, string(v.Reason), v.Detail, v.Source} {
		if !utf8.ValidString(f) {
			return fmt.Errorf("%w: %q is not UTF-8, which JSON cannot hold", store.ErrInvalid, f)
		}
	}
	c := change{Op: "put", Address: v.Address, Reason: v.Reason, Detail: v.Detail, Source: v.Source, CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.append(ctx, c); err != nil {
		return err
	}
	s.m[v.Address] = v
	return nil
}

// Delete removes the suppression for addr, if any.
func (s *FileStore) Delete(ctx context.Context, addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, ok := s.m[addr]; !ok {
		return nil
	}
	if err := s.append(ctx, change{Op: "delete", Address: addr}); err != nil {
		return err
	}
	delete(s.m, addr)
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

// List returns at most limit suppressions whose addresses sort after
// after, in ascending byte order.
func (s *FileStore) List(ctx context.Context, after string, limit int) ([]store.Suppression, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var addrs []string
	for a := range s.m {
		if a > after {
			addrs = append(addrs, a)
		}
	}
	slices.SortFunc(addrs, strings.Compare)
	page := make([]store.Suppression, 0, min(limit, len(addrs)))
	for _, a := range addrs[:min(limit, len(addrs))] {
		page = append(page, s.m[a])
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
