package verify

// Byte classes for the syntax scanners.
const (
	cAtext  uint8 = 1 << iota // atext (RFC 5322 §3.2.3): may appear in a dot-string atom
	cLower                    // a-z
	cUpper                    // A-Z
	cDigit                    // 0-9
	cHyphen                   // "-"
)

// byteClass classifies every byte; bytes of no class (controls, specials,
// space, DEL and everything from 0x80) are zero. It is a composite literal
// so that it is laid out at compile time and costs nothing at start-up.
var byteClass = [256]uint8{
	'!': cAtext, '#': cAtext, '$': cAtext, '%': cAtext, '&': cAtext, '\'': cAtext, '*': cAtext,
	'+': cAtext, '-': cAtext | cHyphen, '/': cAtext, '0': cAtext | cDigit, '1': cAtext | cDigit,
	'2': cAtext | cDigit, '3': cAtext | cDigit, '4': cAtext | cDigit, '5': cAtext | cDigit,
	'6': cAtext | cDigit, '7': cAtext | cDigit, '8': cAtext | cDigit, '9': cAtext | cDigit, '=': cAtext,
	'?': cAtext, 'A': cAtext | cUpper, 'B': cAtext | cUpper, 'C': cAtext | cUpper, 'D': cAtext | cUpper,
	'E': cAtext | cUpper, 'F': cAtext | cUpper, 'G': cAtext | cUpper, 'H': cAtext | cUpper,
	'I': cAtext | cUpper, 'J': cAtext | cUpper, 'K': cAtext | cUpper, 'L': cAtext | cUpper,
	'M': cAtext | cUpper, 'N': cAtext | cUpper, 'O': cAtext | cUpper, 'P': cAtext | cUpper,
	'Q': cAtext | cUpper, 'R': cAtext | cUpper, 'S': cAtext | cUpper, 'T': cAtext | cUpper,
	'U': cAtext | cUpper, 'V': cAtext | cUpper, 'W': cAtext | cUpper, 'X': cAtext | cUpper,
	'Y': cAtext | cUpper, 'Z': cAtext | cUpper, '^': cAtext, '_': cAtext, '`': cAtext, 'a': cAtext | cLower,
	'b': cAtext | cLower, 'c': cAtext | cLower, 'd': cAtext | cLower, 'e': cAtext | cLower,
	'f': cAtext | cLower, 'g': cAtext | cLower, 'h': cAtext | cLower, 'i': cAtext | cLower,
	'j': cAtext | cLower, 'k': cAtext | cLower, 'l': cAtext | cLower, 'm': cAtext | cLower,
	'n': cAtext | cLower, 'o': cAtext | cLower, 'p': cAtext | cLower, 'q': cAtext | cLower,
	'r': cAtext | cLower, 's': cAtext | cLower, 't': cAtext | cLower, 'u': cAtext | cLower,
	'v': cAtext | cLower, 'w': cAtext | cLower, 'x': cAtext | cLower, 'y': cAtext | cLower,
	'z': cAtext | cLower, '{': cAtext, '|': cAtext, '}': cAtext, '~': cAtext,
}
