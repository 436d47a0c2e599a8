package memstore

// Each shard keeps a small Bloom filter of its addresses, so that a lookup
// of an address that is not suppressed — by far the common case when
// sending — usually costs a read of one cache-resident word instead of a
// probe into a large map, whose random accesses go to main memory once the
// store holds many entries.
//
// The filter is blocked: both of an address's bits are in one 64-bit word,
// so a check touches one word. It is sized at filterBits bits per address
// (about 1.5% false positives) and rebuilt from the map when the shard
// outgrows it, or when deletions have left many stale bits behind. A false
// positive only costs the map probe the filter would have saved.

const (
	filterBits     = 16 // bits per address
	minFilterWords = 8
)

// filterBitsOf returns the word index (before masking) and the two bits of
// hash h. The low bits of h pick the shard, so the filter uses higher ones.
func filterBitsOf(h uint64) (word uint64, bits uint64) {
	return h >> 18, 1<<((h>>6)&63) | 1<<((h>>12)&63)
}

// mayContain reports whether an address of hash h may be in the shard. The
// caller holds sh.mu.
func (sh *shard) mayContain(h uint64) bool {
	if len(sh.filter) == 0 {
		return false
	}
	w, bits := filterBitsOf(h)
	return sh.filter[w&uint64(len(sh.filter)-1)]&bits == bits
}

// filterAdd records an added address of hash h, growing the filter when the
// shard outgrows it. The caller holds sh.mu for writing.
func (sh *shard) filterAdd(h uint64, s *Store) {
	if len(sh.m)*filterBits > len(sh.filter)*64 {
		sh.rebuildFilter(s)
		return
	}
	w, bits := filterBitsOf(h)
	sh.filter[w&uint64(len(sh.filter)-1)] |= bits
}

// filterRemoved records that n addresses left the shard, rebuilding the
// filter once the stale bits they leave could outnumber the live ones. The
// caller holds sh.mu for writing.
func (sh *shard) filterRemoved(n int, s *Store) {
	sh.stale += n
	if sh.stale > len(sh.m)+minFilterWords*64/filterBits {
		sh.rebuildFilter(s)
	}
}

// rebuildFilter sizes the filter for twice the shard's entries and sets the
// bits of every address in it. The caller holds sh.mu for writing.
func (sh *shard) rebuildFilter(s *Store) {
	words := minFilterWords
	for words*64 < 2*len(sh.m)*filterBits {
		words *= 2
	}
	if cap(sh.filter) >= words && len(sh.filter) == words {
		clear(sh.filter)
	} else {
		sh.filter = make([]uint64, words)
	}
	mask := uint64(words - 1)
	for a := range sh.m {
		w, bits := filterBitsOf(s.hash(a))
		sh.filter[w&mask] |= bits
	}
	sh.stale = 0
}
