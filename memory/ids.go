package memory

import (
	"strings"
	"unicode"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
)

// idNamespace is the UUIDv5 namespace of memory ids.
var idNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/jedisos/jedisos/memory"))

// NormalizeText is the form of a fact's text that decides its identity:
// Unicode NFKC, lower case, runs of white space collapsed to one space,
// leading and trailing space and final punctuation removed.
func NormalizeText(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimRightFunc(b.String(), func(r rune) bool {
		return r == '.' || r == '!' || r == '?' || r == '。' || unicode.IsSpace(r)
	})
}

// MemoryID returns the deterministic id of a fact: a UUIDv5 over the bank
// and the normalised text. Retaining the same fact twice in one bank
// yields the same id; the same text in two banks yields two ids.
func MemoryID(bank, text string) string {
	return uuid.NewSHA1(idNamespace, []byte(bank+"\x00"+NormalizeText(text))).String()
}

// SourceID returns the id of a retained content of bank: the facts
// extracted from it share it. Like [MemoryID] it normalises the text, so
// the same content retained twice has one source.
func SourceID(bank, content string) string {
	return MemoryID(bank, "\x00source\x00"+content)
}
