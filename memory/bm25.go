package memory

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
)

// SparseVector is a sparse vector in the layout Qdrant uses: parallel
// index and value slices, indices strictly increasing.
type SparseVector struct {
	Indices []uint32  `json:"indices,omitempty"`
	Values  []float32 `json:"values,omitempty"`
}

// Len is the number of non-zero entries.
func (v SparseVector) Len() int { return len(v.Indices) }

// Validate checks that indices and values line up, indices increase and
// values are finite.
func (v SparseVector) Validate() error {
	if len(v.Indices) != len(v.Values) {
		return fmt.Errorf("%w: sparse vector has %d indices but %d values", ErrInvalid, len(v.Indices), len(v.Values))
	}
	for k, x := range v.Values {
		if !finite(x) {
			return fmt.Errorf("%w: sparse vector value at position %d is %v; values must be finite", ErrInvalid, k, x)
		}
	}
	for k := 1; k < len(v.Indices); k++ {
		if v.Indices[k] <= v.Indices[k-1] {
			return fmt.Errorf("%w: sparse vector indices not strictly increasing at position %d", ErrInvalid, k)
		}
	}
	return nil
}

// TermIndex maps a term to its sparse dimension: the 32-bit FNV-1a hash of
// the term's UTF-8 bytes. It is stable across processes and versions.
func TermIndex(term string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(term))
	return h.Sum32()
}

func termIndex(term string) uint32 {
	// inlined FNV-1a, identical to TermIndex without the allocation
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	for k := 0; k < len(term); k++ {
		h ^= uint32(term[k])
		h *= prime
	}
	return h
}

// BM25 holds the document-side BM25 parameters. A document's weight for a
// term is the saturated term frequency
//
//	tf * (K1 + 1) / (tf + K1 * (1 - B + B * len / AvgLen))
//
// with len the document's token count. The inverse document frequency is
// NOT part of the vector: the store applies it at query time
// (the embedded store computes it from its own counts; Qdrant does it with
// the sparse vector's IDF modifier), so adding a document never rewrites
// the others. A query's weights are 1 per distinct term.
type BM25 struct {
	// K1 is the term-frequency saturation, usually 1.2.
	K1 float64
	// B is the length normalisation, usually 0.75.
	B float64
	// AvgLen is the assumed average document length in tokens. It is a
	// constant rather than a corpus statistic so vectors never change
	// once written. Facts are single sentences: 16 fits them.
	AvgLen float64
}

// DefaultBM25 is the encoding every store and the engine use unless told
// otherwise.
var DefaultBM25 = BM25{K1: 1.2, B: 0.75, AvgLen: 16}

// Document encodes a document's text.
func (p BM25) Document(text string) SparseVector {
	return p.DocumentTokens(Tokenize(text))
}

// DocumentTokens encodes already tokenized text.
func (p BM25) DocumentTokens(tokens []string) SparseVector {
	if len(tokens) == 0 {
		return SparseVector{}
	}
	idx := make([]uint32, len(tokens))
	for k, t := range tokens {
		idx[k] = termIndex(t)
	}
	slices.Sort(idx)
	dl := float64(len(tokens))
	norm := p.K1 * (1 - p.B + p.B*dl/p.AvgLen)
	var v SparseVector
	for k := 0; k < len(idx); {
		j := k
		for j < len(idx) && idx[j] == idx[k] {
			j++
		}
		tf := float64(j - k)
		v.Indices = append(v.Indices, idx[k])
		v.Values = append(v.Values, float32(tf*(p.K1+1)/(tf+norm)))
		k = j
	}
	return v
}

// Query encodes a query: weight 1 for each distinct term.
func (p BM25) Query(text string) SparseVector {
	toks := Tokenize(text)
	idx := make([]uint32, len(toks))
	for k, t := range toks {
		idx[k] = termIndex(t)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	vals := make([]float32, len(idx))
	for k := range vals {
		vals[k] = 1
	}
	return SparseVector{Indices: idx, Values: vals}
}

// IDF is the inverse document frequency both stores apply: with n of N
// documents containing the term, ln(1 + (N - n + 0.5) / (n + 0.5)).
func IDF(n, total int) float64 {
	return math.Log(1 + (float64(total)-float64(n)+0.5)/(float64(n)+0.5))
}
