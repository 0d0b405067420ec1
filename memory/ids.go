package memory

import (
	"strings"
	"unicode"
	"unicode/utf8"

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

// foldForm returns s in Unicode NFKC, the form [NormalizeText] gives a
// fact's identity, so what decides a memory's terms, entities and dates
// agrees with what decides its id: decomposed Hangul (as macOS and some
// copied text carry it) reads as the composed syllables, full-width Latin
// letters and digits as ASCII. Text already in NFKC, as plain ASCII and
// composed Hangul are, is returned as it is, without a copy.
func foldForm(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			if norm.NFKC.IsNormalString(s) {
				return s
			}
			return norm.NFKC.String(s)
		}
	}
	return s
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
