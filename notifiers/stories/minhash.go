package stories

import (
	"encoding/binary"
	"errors"
	"strings"

	"github.com/watchfloor/watchfloor/engine"
)

// The near-duplicate test: an article's text (title and body) is
// normalised as rules see it (engine.Normalize, lower-cased, split into
// words), cut into shingles of shingleWords consecutive words, and
// summarised by a MinHash signature of sigSize 32-bit minima. The share of
// equal minima between two signatures estimates the Jaccard similarity of
// their shingle sets. Signatures are split into bands of bandRows minima;
// two articles that agree on a whole band are candidates, and a candidate
// joins when its estimated similarity reaches the threshold.
const (
	shingleWords = 3
	sigSize      = 64
	bandRows     = 3
	bands        = sigSize / bandRows
	// minShingles is the fewest shingles a text needs for a signature:
	// a short text shares too little with anything to be told apart.
	minShingles = 20
)

// Signature is a MinHash signature of a text's shingles.
type Signature [sigSize]uint32

// Sign returns the signature of an article's title and body; ok is false
// when the text has fewer than minShingles shingles.
func Sign(title, body string) (sig Signature, ok bool) {
	w := words(engine.Normalize(title + "\n" + body))
	n := len(w) - shingleWords + 1
	if n < minShingles {
		return sig, false
	}
	for i := range sig {
		sig[i] = ^uint32(0)
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.Reset()
		for j := 0; j < shingleWords; j++ {
			b.WriteString(w[i+j])
			b.WriteByte(' ')
		}
		h1 := fnv64(b.String())
		h2 := mix(h1) | 1
		// The i-th hash function is h1 + i*h2 (Kirsch–Mitzenmacher):
		// independent enough for MinHash, one multiplication each.
		h := h1
		for k := range sig {
			if v := uint32(mix(h) >> 32); v < sig[k] {
				sig[k] = v
			}
			h += h2
		}
	}
	return sig, true
}

// Similarity estimates the Jaccard similarity of the shingle sets of two
// signed texts: the share of equal minima.
func Similarity(a, b *Signature) float64 {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return float64(n) / sigSize
}

// bandKey is the key of band i of a signature.
func (s *Signature) bandKey(i int) uint64 {
	h := uint64(i+1) * 0x9e3779b97f4a7c15
	for _, v := range s[i*bandRows : (i+1)*bandRows] {
		h = mix(h ^ uint64(v))
	}
	return h
}

// MarshalBinary encodes the signature as sigSize little-endian uint32s.
func (s *Signature) MarshalBinary() ([]byte, error) {
	b := make([]byte, 4*sigSize)
	for i, v := range s {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (s *Signature) UnmarshalBinary(b []byte) error {
	if len(b) != 4*sigSize {
		return errors.New("stories: signature: wrong length")
	}
	for i := range s {
		s[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return nil
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix is SplitMix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// DefaultThreshold is the estimated Jaccard similarity of shingle sets at
// which an article joins a story by its text.
const DefaultThreshold = 0.5
