package sesguard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// jsonDecoder is a small pull decoder for the JSON that SNS and SES send.
//
// encoding/json decodes a 2 KB SNS-wrapped bounce in about 47 µs, most of it
// spent on reflection and on decoding the envelope and then its Message
// string in a second pass. This decoder walks the bytes once per layer,
// calls back for each object key so that the caller decodes exactly the
// fields it models and skips the rest, and allocates only the strings it
// returns.
//
// It accepts exactly RFC 8259 JSON and decodes strings as encoding/json
// does: escapes resolved, surrogate pairs joined, and invalid UTF-8 or a
// lone surrogate replaced by U+FFFD. Its fuzz test holds it to that.
type jsonDecoder struct {
	data  []byte
	pos   int
	depth int
	key   []byte // scratch for keys that contain escapes, and for skipping

	// arena holds the bytes of every string str returns. Strings are cut
	// from it with unsafe.String and it is only ever appended to, so a
	// string's bytes are never written again; a notification's strings
	// then cost one allocation instead of one each.
	arena []byte
}

// maxJSONDepth bounds nesting, so hostile input cannot exhaust the stack.
const maxJSONDepth = 200

// errJSON is wrapped by every syntax error of the decoder.
var errJSON = errors.New("invalid JSON")

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errJSON, d.pos, fmt.Sprintf(format, args...))
}

func (d *jsonDecoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next significant byte, or 0 at the end of the input.
// Compact JSON, as SES writes it, has no whitespace between tokens: that
// case returns at once.
func (d *jsonDecoder) peek() byte {
	if d.pos < len(d.data) && d.data[d.pos] > ' ' {
		return d.data[d.pos]
	}
	d.ws()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

// end reports an error unless only whitespace is left.
func (d *jsonDecoder) end() error {
	if d.ws(); d.pos < len(d.data) {
		return d.errorf("unexpected data after the top-level value")
	}
	return nil
}

// object decodes an object, calling fn for each key with the decoder
// positioned at the key's value; fn must consume that value. The key slice
// is valid only during the call.
func (d *jsonDecoder) object(fn func(key []byte) error) error {
	if d.peek() != '{' {
		return d.errorf("expected an object")
	}
	if d.depth++; d.depth > maxJSONDepth {
		return d.errorf("nesting deeper than %d", maxJSONDepth)
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.errorf("expected a string key")
		}
		key, err := d.rawKey()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.errorf("expected ':' after a key")
		}
		d.pos++
		if err := fn(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return nil
		default:
			return d.errorf("expected ',' or '}' in an object")
		}
	}
}

// array decodes an array, calling fn with the decoder positioned at each
// element; fn must consume it.
func (d *jsonDecoder) array(fn func() error) error {
	if d.peek() != '[' {
		return d.errorf("expected an array")
	}
	if d.depth++; d.depth > maxJSONDepth {
		return d.errorf("nesting deeper than %d", maxJSONDepth)
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return nil
		default:
			return d.errorf("expected ',' or ']' in an array")
		}
	}
}

// null consumes a JSON null and reports whether there was one.
func (d *jsonDecoder) null() bool {
	if d.peek() == 'n' && len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "null" {
		d.pos += 4
		return true
	}
	return false
}

// str decodes a string value.
func (d *jsonDecoder) str() (string, error) {
	b, err := d.strArena()
	if err != nil || len(b) == 0 {
		return "", err
	}
	return unsafe.String(&b[0], len(b)), nil
}

// strArena decodes a string value into the arena and returns its bytes,
// which are never written again. The arena is sized on first use to what
// is left of the input, which bounds the decoded length of every string
// in it (invalid UTF-8, which grows when replaced, just costs a second
// allocation).
func (d *jsonDecoder) strArena() ([]byte, error) {
	if d.arena == nil {
		// Eight more for strSlow's word stores.
		d.arena = make([]byte, 0, len(d.data)-d.pos+8)
	}
	start := len(d.arena)
	a, err := d.appendStr(d.arena)
	if err != nil {
		return nil, err
	}
	d.arena = a
	return a[start:len(a):len(a)], nil
}

// strOrNull decodes a string or null; present is false for null.
func (d *jsonDecoder) strOrNull() (s string, present bool, err error) {
	if d.null() {
		return "", false, nil
	}
	s, err = d.str()
	return s, err == nil, err
}

// plainByte marks the bytes that stand for themselves inside a JSON string
// and need no attention: everything but '"', '\\', control characters
// and the bytes of multi-byte UTF-8 sequences, which must be validated.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendStr decodes a string value and appends its bytes to dst.
func (d *jsonDecoder) appendStr(dst []byte) ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.errorf("expected a string")
	}
	d.pos++
	return d.strSlow(dst)
}

// SWAR constants: a byte of ones, and the high bit of every byte.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// specialBytes returns w with the high bit set in each byte that is not
// plain: >= 0x80, < 0x20, '"' or '\\'. A borrow can set the bit in a
// later byte too, but never in one before the first special byte, so the
// lowest set bit marks exactly the first.
func specialBytes(w uint64) uint64 {
	q := w ^ ('"' * ones)
	b := w ^ ('\\' * ones)
	return (w | (w - 0x20*ones) | (q-ones)&^q | (b-ones)&^b) & highs
}

// plainRun returns the index of the first byte at or after i that is not
// plain, testing eight bytes at a time.
func (d *jsonDecoder) plainRun(i int) int {
	data := d.data
	for ; i+8 <= len(data); i += 8 {
		if special := specialBytes(binary.LittleEndian.Uint64(data[i:])); special != 0 {
			return i + bits.TrailingZeros64(special)/8
		}
	}
	for i < len(data) && plainByte[data[i]] {
		i++
	}
	return i
}

// strSlow decodes the rest of a string, from d.pos up to and including its
// closing quote, appending to buf.
//
// This loop is where most of the time of parsing goes, so it copies plain
// bytes eight at a time: it stores a whole word of input and then keeps
// only its plain prefix, which needs eight bytes of spare capacity.
func (d *jsonDecoder) strSlow(buf []byte) ([]byte, error) {
	data := d.data
	i := d.pos
	for i < len(data) {
		if i+8 <= len(data) {
			if cap(buf)-len(buf) < 8 {
				buf = slices.Grow(buf, 8+len(data)-i)
			}
			w := binary.LittleEndian.Uint64(data[i:])
			n := 8
			if special := specialBytes(w); special != 0 {
				n = bits.TrailingZeros64(special) / 8
			}
			l := len(buf)
			binary.LittleEndian.PutUint64(buf[l:l+8], w)
			buf = buf[:l+n]
			i += n
			if n == 8 {
				continue
			}
		} else if c := data[i]; plainByte[c] {
			buf = append(buf, c)
			i++
			continue
		}
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return buf, nil
		case c == '\\':
			if i+1 < len(data) {
				// The escapes of JSON inside JSON, inline.
				if e := data[i+1]; e == '"' || e == '\\' || e == '/' {
					buf = append(buf, e)
					i += 2
					continue
				}
			}
			d.pos = i
			var err error
			if buf, err = d.escape(buf); err != nil {
				return nil, err
			}
			i = d.pos
		case c < 0x20:
			d.pos = i
			return nil, d.errorf("control character in a string")
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, data[i:i+size]...)
			}
			i += size
		}
	}
	d.pos = i
	return nil, d.errorf("unterminated string")
}

// escape decodes the escape sequence at d.pos.
func (d *jsonDecoder) escape(buf []byte) ([]byte, error) {
	if d.pos+1 >= len(d.data) {
		return nil, d.errorf("unterminated escape")
	}
	c := d.data[d.pos+1]
	d.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, ok := d.hex4(d.pos)
		if !ok {
			return nil, d.errorf("invalid \\u escape")
		}
		d.pos += 4
		if utf16.IsSurrogate(r) {
			if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
				if r2, ok := d.hex4(d.pos + 2); ok {
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						d.pos += 6
						return utf8.AppendRune(buf, pair), nil
					}
				}
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(buf, r), nil
	}
	return nil, d.errorf("invalid escape \\%c", c)
}

func (d *jsonDecoder) hex4(at int) (rune, bool) {
	if at+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[at : at+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// rawKey decodes an object key. Keys are plain ASCII in practice, so the
// common case returns a sub-slice of the input; a key with escapes is
// decoded into the decoder's scratch buffer.
func (d *jsonDecoder) rawKey() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.errorf("expected a string key")
	}
	start := d.pos + 1
	if i := d.plainRun(start); i < len(d.data) && d.data[i] == '"' {
		d.pos = i + 1
		return d.data[start:i], nil
	}
	d.pos = start
	b, err := d.strSlow(d.key[:0])
	if err == nil {
		d.key = b
	}
	return b, err
}

// boolean decodes true or false.
func (d *jsonDecoder) boolean() (bool, error) {
	switch d.peek() {
	case 't':
		if len(d.data)-d.pos >= 4 && string(d.data[d.pos:d.pos+4]) == "true" {
			d.pos += 4
			return true, nil
		}
	case 'f':
		if len(d.data)-d.pos >= 5 && string(d.data[d.pos:d.pos+5]) == "false" {
			d.pos += 5
			return false, nil
		}
	}
	return false, d.errorf("expected true or false")
}

// number consumes a number and returns its text.
func (d *jsonDecoder) number() ([]byte, error) {
	d.ws()
	start := d.pos
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(d.data) && d.data[d.pos] == '0':
		d.pos++
	case d.digits() == 0:
		return nil, d.errorf("expected a number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if d.digits() == 0 {
			return nil, d.errorf("expected a digit after '.'")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if d.digits() == 0 {
			return nil, d.errorf("expected a digit in an exponent")
		}
	}
	return d.data[start:d.pos], nil
}

func (d *jsonDecoder) digits() int {
	n := 0
	for d.pos < len(d.data) && '0' <= d.data[d.pos] && d.data[d.pos] <= '9' {
		d.pos++
		n++
	}
	return n
}

// float decodes a number as a float64.
func (d *jsonDecoder) float() (float64, error) {
	b, err := d.number()
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, d.errorf("number %s out of range", b)
	}
	return f, nil
}

// skip consumes any value, checking its syntax.
func (d *jsonDecoder) skip() error {
	switch c := d.peek(); c {
	case '{':
		return d.object(func([]byte) error { return d.skip() })
	case '[':
		return d.array(d.skip)
	case '"':
		b, err := d.appendStr(d.key[:0])
		if err == nil {
			d.key = b
		}
		return err
	case 't', 'f':
		_, err := d.boolean()
		return err
	case 'n':
		if d.null() {
			return nil
		}
		return d.errorf("expected null")
	case 0:
		return d.errorf("unexpected end of input")
	default:
		_, err := d.number()
		return err
	}
}

// strings decodes an array of strings; null is an empty array.
func (d *jsonDecoder) strings() ([]string, error) {
	if d.null() {
		return nil, nil
	}
	var out []string
	err := d.array(func() error {
		s, err := d.str()
		out = append(out, s)
		return err
	})
	return out, err
}

// stringLists decodes an object of string arrays, the shape of SES tags.
func (d *jsonDecoder) stringLists() (map[string][]string, error) {
	if d.null() {
		return nil, nil
	}
	out := map[string][]string{}
	err := d.object(func(key []byte) error {
		k := string(key) // before the value reuses the key's buffer
		v, err := d.strings()
		out[k] = v
		return err
	})
	return out, err
}
