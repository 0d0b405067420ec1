package memory

import (
	"slices"
	"testing"
)

// Closing quotes after the final punctuation belong to the sentence,
// curly ones (several bytes in UTF-8) as much as straight ones.
func TestSplitSentencesClosingQuotes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{`Mina said "I moved to Busan." Joon stayed.`, []string{`Mina said "I moved to Busan."`, "Joon stayed."}},
		{"Mina said “I moved to Busan.” Joon stayed.", []string{"Mina said “I moved to Busan.”", "Joon stayed."}},
		{"Joon asked ‘Why?’ Mina laughed!", []string{"Joon asked ‘Why?’", "Mina laughed!"}},
		{"It ended.”", []string{"It ended.”"}},
	} {
		if got := SplitSentences(c.in); !slices.Equal(got, c.want) {
			t.Errorf("SplitSentences(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
