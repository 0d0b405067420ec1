package memory

import (
	"context"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/tmc/langchaingo/embeddings"
)

// Embedder is langchaingo's embeddings.Embedder: any of its providers
// (OpenAI, Ollama, Gemini, ...) can embed memories.
type Embedder = embeddings.Embedder

// OfflineEmbedder is a deterministic embedder that needs no network and no
// model files. It hashes features of the text into Dim signed buckets
// (the "hashing trick") and normalises the result:
//
//   - every [Tokenize] term (weight 1), so stems and Korean bigrams match;
//   - the character trigrams of each Latin word, padded with spaces
//     (weight 0.5), so spelling variants and inflections land close.
//
// It captures lexical and sub-word similarity, not meaning: "car" and
// "automobile" are unrelated to it. Plug a real embedder in for that.
type OfflineEmbedder struct {
	// Dim is the vector length; 0 means [OfflineDim].
	Dim int
}

// OfflineDim is the default vector length of [OfflineEmbedder]: the
// dimension to configure a vector store with (e.g. the Qdrant store's
// Config.Dimension) when the engine embeds with OfflineEmbedder{}.
const OfflineDim = 256

// Dimension returns the length of the vectors o produces.
func (o OfflineEmbedder) Dimension() int { return o.dim() }

var _ Embedder = OfflineEmbedder{}

// EmbedDocuments implements [Embedder].
func (o OfflineEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	var toks []string
	for i, t := range texts {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		v, err := o.embed(t, &toks)
		if err != nil {
			return nil, fmt.Errorf("offline embedder: text %d: %w", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// EmbedQuery implements [Embedder].
func (o OfflineEmbedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	var toks []string
	return o.embed(text, &toks)
}

func (o OfflineEmbedder) dim() int {
	if o.Dim <= 0 {
		return OfflineDim
	}
	return o.Dim
}

func (o OfflineEmbedder) embed(text string, toks *[]string) ([]float32, error) {
	d := o.dim()
	v := make([]float32, d)
	*toks = AppendTokens((*toks)[:0], text)
	for _, t := range *toks {
		addFeature(v, fnv64(t, 0x9e3779b97f4a7c15), 1)
		if t[0] < utf8.RuneSelf && len(t) > 3 {
			// trigrams of " word "
			padded := " " + t + " "
			for k := 0; k+3 <= len(padded); k++ {
				addFeature(v, fnv64(padded[k:k+3], 0x51afd7ed558ccd), 0.5)
			}
		}
	}
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		// no features (empty or punctuation only): a fixed unit vector so
		// the result is still a valid, deterministic embedding
		v[0] = 1
		return v, nil
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
	return v, nil
}

func addFeature(v []float32, h uint64, w float32) {
	i := int(h % uint64(len(v)))
	if h&(1<<63) != 0 {
		w = -w
	}
	v[i] += w
}

func fnv64(s string, seed uint64) uint64 {
	h := uint64(14695981039346656037) ^ seed
	for k := 0; k < len(s); k++ {
		h ^= uint64(s[k])
		h *= 1099511628211
	}
	// final avalanche so low bits (the bucket) depend on every byte
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}
