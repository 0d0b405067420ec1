package memory

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokenize splits text into the terms the keyword arm indexes. It is the
// one tokenizer every store uses, so a term produced here at retain time
// matches the same term produced at recall time:
//
//   - Latin and other space-delimited scripts: lower-cased words, English
//     stop words dropped, a light suffix stemmer ("meetings" -> "meeting",
//     "visited" -> "visit"); possessive "'s" removed. Numbers are kept.
//   - Hangul words first lose their particles and endings ([KoreanStem]:
//     "서울에서" -> "서울", "운동했어요" -> "운동", "수진이네" -> "수진");
//     a word that is only a particle or ending ("Netflix로": "로") or a
//     function word ("뭐", "알려줘") yields nothing.
//   - Text is read in Unicode NFKC first, the form a memory's identity
//     is decided in ([NormalizeText]): decomposed Hangul gives the terms of
//     the composed syllables, full-width "ＡＷＳ" those of "AWS".
//   - Then Hangul, Han, Hiragana and Katakana runs give overlapping
//     character bigrams (a single character stays a unigram), so
//     "도서관에서" yields "도서", "서관" and a query for "도서관" matches it.
func Tokenize(text string) []string {
	return AppendTokens(nil, text)
}

// AppendTokens appends the terms of text to dst and returns the extended
// slice; it is Tokenize without the allocation of a new slice.
func AppendTokens(dst []string, text string) []string {
	text = foldForm(text)
	i := 0
	for i < len(text) {
		r, sz := utf8.DecodeRuneInString(text[i:])
		switch {
		case isCJK(r):
			j := i
			for j < len(text) {
				r2, sz2 := utf8.DecodeRuneInString(text[j:])
				if !isCJK(r2) {
					break
				}
				j += sz2
			}
			run := text[i:j]
			if r >= 0xAC00 && r <= 0xD7A3 {
				// a Hangul word: its stem, without particles and endings
				if isKoFunction(run) {
					run = ""
				} else {
					run = KoreanStem(run)
				}
			}
			if run != "" {
				dst = appendBigrams(dst, run)
			}
			i = j
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			j := i
			for j < len(text) {
				r2, sz2 := utf8.DecodeRuneInString(text[j:])
				if isCJK(r2) || !(unicode.IsLetter(r2) || unicode.IsDigit(r2) || unicode.Is(unicode.Mn, r2)) {
					// keep apostrophes inside words ("don't", "Mina's")
					if (r2 == '\'' || r2 == '’') && j+sz2 < len(text) {
						r3, _ := utf8.DecodeRuneInString(text[j+sz2:])
						if unicode.IsLetter(r3) && !isCJK(r3) {
							j += sz2
							continue
						}
					}
					break
				}
				j += sz2
			}
			if w := normalizeWord(text[i:j]); w != "" {
				dst = append(dst, w)
			}
			i = j
		default:
			i += sz
		}
	}
	return dst
}

func isCJK(r rune) bool {
	switch {
	case r >= 0xAC00 && r <= 0xD7A3: // Hangul syllables
		return true
	case r >= 0x1100 && r <= 0x11FF, r >= 0x3130 && r <= 0x318F: // Hangul jamo
		return true
	case r >= 0x3040 && r <= 0x30FF: // Hiragana, Katakana
		return true
	case r < 0x2E80:
		return false
	}
	return unicode.Is(unicode.Han, r)
}

func appendBigrams(dst []string, run string) []string {
	n := utf8.RuneCountInString(run)
	if n == 1 {
		return append(dst, run)
	}
	// positions of rune starts
	var starts [64]int
	pos := starts[:0]
	for k := range run {
		pos = append(pos, k)
	}
	pos = append(pos, len(run))
	for k := 0; k+2 < len(pos); k++ {
		dst = append(dst, run[pos[k]:pos[k+2]])
	}
	return dst
}

func normalizeWord(w string) string {
	ascii := true
	for k := 0; k < len(w); k++ {
		if w[k] >= utf8.RuneSelf || (w[k] >= 'A' && w[k] <= 'Z') {
			ascii = false
			break
		}
	}
	if !ascii {
		w = strings.ToLower(w)
		w = strings.ReplaceAll(w, "’", "'")
	}
	if k := strings.IndexByte(w, '\''); k >= 0 {
		switch w[k:] {
		case "'s", "'":
			w = w[:k]
		default:
			w = strings.ReplaceAll(w, "'", "")
		}
	}
	if _, stop := stopWords[w]; stop || w == "" {
		return ""
	}
	return stem(w)
}

// stem is a small, deterministic English suffix stripper. It need not be
// linguistically perfect; it must map the usual inflections of a word to
// one term, and it must never change: stored sparse vectors depend on it.
func stem(w string) string {
	n := len(w)
	if n <= 3 || !isASCIILower(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && n > 4:
		return w[:n-3] + "y"
	case strings.HasSuffix(w, "sses"):
		return w[:n-2]
	case strings.HasSuffix(w, "ing") && n > 5:
		return undouble(w[:n-3])
	case strings.HasSuffix(w, "ed") && n > 4 && !strings.HasSuffix(w, "eed"):
		return undouble(w[:n-2])
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:n-1]
	}
	return w
}

func undouble(w string) string {
	n := len(w)
	if n >= 2 && w[n-1] == w[n-2] && w[n-1] != 'l' && w[n-1] != 's' && w[n-1] != 'z' && !isVowel(w[n-1]) {
		return w[:n-1]
	}
	return w
}

func isVowel(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }

func isASCIILower(w string) bool {
	for k := 0; k < len(w); k++ {
		if w[k] < 'a' || w[k] > 'z' {
			return false
		}
	}
	return true
}

var stopWords = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range strings.Fields(`a an the and or but if then so of to in on at by for with from into about
	as is are was were be been being am do does did done have has had having i me my mine we us our ours you your
	yours he him his she her hers it its they them their theirs this that these those there here what which who whom
	whose when where why how not no nor all any some each both more most other such only own same than too very can
	will would should could may might must shall just also up down out over under again once s t don't didn't isn't
	wasn't let's`) {
		m[w] = struct{}{}
	}
	return m
}()
