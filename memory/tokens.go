package memory

import (
	"sync"

	"github.com/tiktoken-go/tokenizer"
)

// TokenCounter counts the tokens of a text, for trimming recall results
// to a budget.
type TokenCounter interface {
	CountTokens(text string) int
}

// TokenCounterFunc adapts a function to [TokenCounter].
type TokenCounterFunc func(string) int

// CountTokens implements [TokenCounter].
func (f TokenCounterFunc) CountTokens(s string) int { return f(s) }

var cl100k = sync.OnceValues(func() (tokenizer.Codec, error) { return tokenizer.Get(tokenizer.Cl100kBase) })

// CL100K counts tokens with the cl100k_base encoding, offline. Text it
// cannot encode counts as one token per 3 bytes.
var CL100K TokenCounter = TokenCounterFunc(func(s string) int {
	c, err := cl100k()
	if err == nil {
		if n, err := c.Count(s); err == nil {
			return n
		}
	}
	return (len(s) + 2) / 3
})
