package sestest

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"
)

// idSource makes the ids the server hands out: unique within the process,
// ordered within a server.
type idSource struct {
	prefix uint32
	seq    atomic.Uint64
}

func newIDSource() idSource {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return idSource{prefix: binary.BigEndian.Uint32(b[:])}
}

// messageID returns an id shaped like SES's: 0100<ms>-<8>-<4>-<4>-<4>-<12>-000000.
func (g *idSource) messageID(t time.Time) string {
	n := g.seq.Add(1)
	return fmt.Sprintf("0100%012x-%08x-%04x-%04x-%04x-%012x-000000",
		uint64(t.UnixMilli())&0xffffffffffff, g.prefix, uint16(n>>48), uint16(n>>32), uint16(n>>16), n&0xffffffffffff)
}

// uuid returns a version-4-shaped UUID, as SNS uses for MessageId.
func (g *idSource) uuid() string {
	n := g.seq.Add(1)
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", g.prefix, uint16(n>>48), uint16(n>>36)&0xfff, uint16(n>>24)&0xfff, n&0xffffffffffff)
}

// token returns a random hex string of n bytes, for subscription tokens and
// certificate file names.
func token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
