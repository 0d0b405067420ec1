package memory

import (
	"strings"
	"unicode/utf8"
)

// Korean stemming for the keyword arm. Korean attaches particles (조사:
// 는, 가, 에서, 으로) to nouns and endings (어미: 었어요, 했잖아, 였지) to
// verb stems inside one space-delimited word, so bigrams over whole words
// make endings into terms ("있었", "었잖", "였지") that match memories
// sharing nothing but grammar. [KoreanStem] removes them with a fixed,
// documented rule set before the bigrams are taken:
//
//  1. A word that is itself only a particle, an ending or a function word
//     ("로" after "Netflix", "이야" after "4471", "뭐", "알려줘") yields
//     no term.
//  2. Up to three suffixes are removed from the end, longest first: first
//     verb endings (copula and 하다 forms included: 이에요, 입니다, 했어요,
//     했잖아, 할 거야 as 할), then noun particles (에서, 으로, 이랑, 은,
//     가, 의), then the familiar-name and honorific suffixes (이네, 네, 님,
//     이). A suffix of one syllable is removed only when two syllables
//     remain; a longer one when one remains. No ending is removed from a
//     word that a longer particle ends: "서울까지" loses 까지, not the
//     ending 지.
//  3. What is left is the stem; bigrams are taken of it (a one-syllable
//     stem is its own term).
//
// The rule set is not a morphological analyser (no maintained pure-Go
// Korean analyser with a dictionary exists as a library): it strips the
// common spoken and written forms consistently at retain and at recall
// time, which is what matching needs.
func KoreanStem(word string) string {
	if koStopWords[word] || koFunction[word] {
		return ""
	}
	w := word
	n := utf8.RuneCountInString(w)
	for k, list := range [][]string{koEndings, koParticles, koNameSuffixes} {
		s, sn := longestSuffix(w, n, list)
		if k == 0 && s != "" {
			// An ending is not taken when a longer particle ends the
			// word: "서울까지" ends in the particle 까지, not the
			// ending 지, as "친구보다" in 보다 and "주말마다" in 마다.
			if _, pn := longestSuffix(w, n, koParticles); pn > sn {
				s, sn = "", 0
			}
		}
		if s != "" {
			w, n = w[:len(w)-len(s)], n-sn
		}
	}
	if koStopWords[w] {
		return ""
	}
	return w
}

// longestSuffix returns the first suffix of list (longest first) that ends
// w, a word of n runes, and may be removed from it: a suffix of one
// syllable only when two syllables remain, a longer one when one remains,
// and only where its allomorph fits the syllable before it. It returns ""
// and 0 when none may.
func longestSuffix(w string, n int, list []string) (string, int) {
	for _, s := range list {
		if !strings.HasSuffix(w, s) {
			continue
		}
		sn := utf8.RuneCountInString(s)
		left := n - sn
		if !(left >= 2 || (left == 1 && sn >= 2)) {
			continue
		}
		if !allomorphFits(w[:len(w)-len(s)], s) {
			continue
		}
		return s, sn
	}
	return "", 0
}

// Particles that follow only a final consonant (은, 이, 을, 과, 으로, ...)
// and those that follow only a vowel (는, 가, 를, 와, 로, ...): a noun
// ending in 과 or 이 ("정형외과", "고양이") keeps that syllable when the
// syllable before it does not fit the particle.
var (
	afterConsonant = map[string]bool{"은": true, "이": true, "을": true, "과": true, "으로": true, "이랑": true, "이나": true,
		"이야": true, "이며": true, "이라도": true, "으로는": true, "으로도": true, "이랑은": true, "과는": true, "과의": true, "이네": true}
	afterVowel = map[string]bool{"는": true, "가": true, "를": true, "와": true, "로": true, "랑": true, "나": true, "야": true,
		"와는": true, "와의": true, "로는": true, "로도": true, "라도": true, "네": true}
)

func allomorphFits(stem, suffix string) bool {
	r, _ := utf8.DecodeLastRuneInString(stem)
	if r < 0xAC00 || r > 0xD7A3 {
		return true
	}
	final := (r - 0xAC00) % 28
	switch {
	case afterConsonant[suffix]:
		return final != 0
	case afterVowel[suffix]:
		return final == 0 || (final == 8 && strings.HasPrefix(suffix, "로")) // 로 also after ㄹ
	}
	return true
}

// isKoFunction reports whether a whole Hangul word is only a particle or
// an ending (as after a Latin word or a number).
func isKoFunction(w string) bool {
	return koFunction[w] || koStopWords[w]
}

func sortedByLen(ws ...string) []string {
	// longest first, stable within a length
	out := append([]string(nil), ws...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && utf8.RuneCountInString(out[j]) > utf8.RuneCountInString(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

var koEndings = sortedByLen(strings.Fields(`
	었었어요 았었어요 였었어요 했었어요 었었어 았었어 였었어 했었어 었었다 았었다 했었다 었었지 했었지
	었습니다 았습니다 였습니다 했습니다 습니다 합니다 입니다 됩니다 십니다 세요 셨어요 셨어 셨다 으세요
	었어요 았어요 였어요 했어요 어요 아요 해요 여요 에요 예요 이에요 이예요 이었어요 이었어 이었다 이었지
	었잖아요 았잖아요 했잖아요 었잖아 았잖아 였잖아 했잖아 잖아요 잖아
	었는데 았는데 했는데 는데요 는데 은데 인데 었지만 았지만 했지만 지만
	었어 았어 였어 했어 었다 았다 였다 했다 었지 았지 였지 했지 었네 았네 했네 었대 았대 했대 대요 래요
	었더라 았더라 했더라 더라 었던 았던 했던 었고 았고 했고 었으니 았으니
	할거야 할거예요 할게요 할게 할래 할까 하자 합시다 하기로 하려고 했으면 하면 해서 하고 하는 하다 한다 해 했
	거예요 거에요 거야 거다 건데 겁니다 예정이에요 예정입니다 예정이다 예정
	어서 아서 니까 으니까 으면 면서 려고 으려고 도록 게요 지요 죠 군요 네요 구나 거든요 거든
	이다 이야 이지 이고 이라 이래 이래요 이라고 라고 다고 냐고 자고 이고요 고요
	는다 ㄴ다 어 아 지 고 며 면 다 요 네
`)...)

var koParticles = sortedByLen(strings.Fields(`
	에서는 에서도 에서의 에게서 한테서 으로는 으로도 로는 로도 이랑은 하고는 까지는 부터는 에게는 한테는 에는 에도 와는 과는 와의 과의 이라도 라도
	에서 에게 한테 께서 께 으로 이랑 하고 까지 부터 마다 처럼 보다 같이 만큼 이나 이며 조차 밖에
	은 는 이 가 을 를 의 에 와 과 도 만 로 랑 나 야 아
`)...)

var koNameSuffixes = sortedByLen(strings.Fields(`이네 네 님 씨 이`)...)

var koFunction = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range [][]string{koEndings, koParticles, koNameSuffixes} {
		for _, w := range l {
			m[w] = true
		}
	}
	return m
}()

// koStopWords are whole words and stems that carry no topic.
var koStopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`뭐 뭘 무엇 무슨 어디 언제 누구 누가 어떻 어떤 어때 어땠 왜 얼마나 몇 나 내 저 제 너 우리 저희 그 이 저것 그것 이것
	것 거 게 수 때 좀 더 잘 또 요즘 요새 진짜 정말 너무 아주 완전 엄청 그냥 다시 같이 함께 그리고 근데 그런데 그래서 하지만
	알려줘 알려 알려주세요 알려줄래 말해줘 해줘 해주세요 있어 있어요 있었어 있었지 있었어요 있다 있나 없어 없다 뭐야 뭐였지 뭐였더라 뭐예요
	뭐지 했지 했어 했어요 했더라 했었지 해 했 하 어때 어때요 어땠어 있 없 관련 관련해서 대해 대해서 에대해`) {
		m[w] = true
	}
	return m
}()
