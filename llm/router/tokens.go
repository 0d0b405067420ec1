package router

import (
	"encoding/json"
	"hash/maphash"
	"strings"
	"sync"

	"github.com/tiktoken-go/tokenizer"

	"github.com/jedisos/jedisos/llm"
)

// Token counting for pre-call checks and tpm limits: an offline BPE
// tokenizer, loaded once per encoding and shared.
var (
	encMu    sync.Mutex
	encCache = map[string]tokenizer.Codec{}
)

// Counts of recently seen texts, keyed by a hash of the encoding and the
// text: an agent resends its whole conversation on every turn, and only the
// new messages need tokenizing. The cache is cleared when it grows past
// maxCounted entries.
var (
	countSeed  = maphash.MakeSeed()
	countMu    sync.Mutex
	countCache = map[uint64]int{}
)

const maxCounted = 1 << 14

func codecFor(name string) tokenizer.Codec {
	encMu.Lock()
	defer encMu.Unlock()
	if c, ok := encCache[name]; ok {
		return c
	}
	c, err := tokenizer.Get(tokenizer.Encoding(name))
	if err != nil {
		c = nil
	}
	encCache[name] = c
	return c
}

// encodingFor picks o200k_base for the OpenAI model families that use it
// and cl100k_base for everything else (a close estimate for other
// providers' tokenizers).
func encodingFor(model string) string {
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	for _, p := range []string{"gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "chatgpt-4o", "o1", "o3", "o4"} {
		if strings.HasPrefix(m, p) {
			return string(tokenizer.O200kBase)
		}
	}
	return string(tokenizer.Cl100kBase)
}

// countTokens estimates the prompt tokens of req as OpenAI counts chat
// messages: the text of every message plus 3 tokens of framing per
// message and 3 for the reply's priming. Tool definitions are counted
// by their names, descriptions and parameter schemas.
func countTokens(encoding string, req *llm.Request) int {
	c := codecFor(encoding)
	count := func(s string) int {
		if s == "" {
			return 0
		}
		if c == nil {
			return (len(s) + 3) / 4
		}
		var h maphash.Hash
		h.SetSeed(countSeed)
		h.WriteString(encoding)
		h.WriteByte(0)
		h.WriteString(s)
		key := h.Sum64()
		countMu.Lock()
		n, ok := countCache[key]
		countMu.Unlock()
		if ok {
			return n
		}
		n, err := c.Count(s)
		if err != nil {
			n = (len(s) + 3) / 4
		}
		countMu.Lock()
		if len(countCache) >= maxCounted {
			clear(countCache)
		}
		countCache[key] = n
		countMu.Unlock()
		return n
	}
	n := 3
	for _, m := range req.Messages {
		n += 3 + count(string(m.Role)) + count(m.Content) + count(m.Name) + count(m.ToolCallID)
		for _, tc := range m.ToolCalls {
			n += count(tc.Name) + count(tc.Arguments) + 3
		}
	}
	for _, t := range req.Tools {
		if t.Function != nil {
			n += count(t.Function.Name) + count(t.Function.Description) + 8
			if t.Function.Parameters != nil {
				n += count(schemaText(t.Function.Parameters))
			}
		}
	}
	return n
}

func schemaText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
