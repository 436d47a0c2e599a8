package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// row is one suppression as import reads it and export and list write it:
// the columns of the CSV files and the members of the JSON Lines.
type row struct {
	Address   string `json:"address"`
	Scope     string `json:"scope,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Detail    string `json:"detail,omitempty"`
	Source    string `json:"source,omitempty"`
	CreatedAt string `json:"created_at,omitempty"` // RFC 3339
	ExpiresAt string `json:"expires_at,omitempty"` // RFC 3339; empty: never
}

// columns are the CSV columns, in the order export writes them. Import
// needs address and takes the others in any order.
var columns = []string{"address", "scope", "reason", "detail", "source", "created_at", "expires_at"}

func (r *row) fields() []string {
	return []string{r.Address, r.Scope, r.Reason, r.Detail, r.Source, r.CreatedAt, r.ExpiresAt}
}

func (r *row) set(column, v string) {
	switch column {
	case "address":
		r.Address = v
	case "scope":
		r.Scope = v
	case "reason":
		r.Reason = v
	case "detail":
		r.Detail = v
	case "source":
		r.Source = v
	case "created_at":
		r.CreatedAt = v
	case "expires_at":
		r.ExpiresAt = v
	}
}

// Formats of import and export.
const (
	formatCSV   = "csv"
	formatJSONL = "jsonl"
)

// formatOf returns the format named by flag, or else by the file's
// extension; CSV for standard input.
func formatOf(flag, path string) (string, error) {
	switch strings.ToLower(flag) {
	case formatCSV, formatJSONL:
		return strings.ToLower(flag), nil
	case "":
	default:
		return "", usagef("--format %q: want csv or jsonl", flag)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return formatJSONL, nil
	}
	return formatCSV, nil
}

// readRows yields the rows of r, numbered from 1 (the CSV header is not a
// row). A malformed row ends the sequence with an error naming its line.
func readRows(r io.Reader, format string) iter.Seq2[row, error] {
	if format == formatJSONL {
		return readJSONL(r)
	}
	return readCSV(r)
}

func readCSV(r io.Reader) iter.Seq2[row, error] {
	return func(yield func(row, error) bool) {
		cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
		cr.ReuseRecord = true
		cr.FieldsPerRecord = -1
		header, err := cr.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			yield(row{}, fmt.Errorf("CSV header: %w", err))
			return
		}
		cols := make([]string, len(header))
		for i, h := range header {
			h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
			if !slices.Contains(columns, h) {
				yield(row{}, fmt.Errorf("CSV header: unknown column %q (want %s)", h, strings.Join(columns, ", ")))
				return
			}
			cols[i] = h
		}
		if !slices.Contains(cols, "address") {
			yield(row{}, errors.New("CSV header: no address column"))
			return
		}
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(row{}, err)
				return
			}
			var r row
			for i, v := range rec {
				if i < len(cols) {
					r.set(cols[i], strings.TrimSpace(v))
				}
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

func readJSONL(r io.Reader) iter.Seq2[row, error] {
	return func(yield func(row, error) bool) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			var r row
			if err := dec.Decode(&r); err != nil {
				yield(row{}, fmt.Errorf("line %d: %w", line, err))
				return
			}
			if !yield(r, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(row{}, err)
		}
	}
}

// rowWriter writes rows in one format.
type rowWriter struct {
	format string
	w      *bufio.Writer
	csv    *csv.Writer
	enc    *json.Encoder
}

func newRowWriter(w io.Writer, format string) (*rowWriter, error) {
	rw := &rowWriter{format: format, w: bufio.NewWriterSize(w, 1<<16)}
	if format == formatJSONL {
		rw.enc = json.NewEncoder(rw.w)
		rw.enc.SetEscapeHTML(false)
		return rw, nil
	}
	rw.csv = csv.NewWriter(rw.w)
	return rw, rw.csv.Write(columns)
}

func (rw *rowWriter) write(r row) error {
	if rw.enc != nil {
		return rw.enc.Encode(r)
	}
	return rw.csv.Write(r.fields())
}

func (rw *rowWriter) flush() error {
	if rw.csv != nil {
		rw.csv.Flush()
		if err := rw.csv.Error(); err != nil {
			return err
		}
	}
	return rw.w.Flush()
}

// parseTime reads a time of a row: RFC 3339, or a date (midnight UTC).
// Empty is the zero time.
func parseTime(what, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want RFC 3339 (2026-01-02T15:04:05Z) or a date (2026-01-02)", what, s)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
