package memory

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Fact is one self-contained statement an [Extractor] found in content.
type Fact struct {
	// Text is the fact as one sentence.
	Text string `json:"text"`
	// Kind is the memory network; empty means the retain default.
	Kind Kind `json:"kind,omitempty"`
	// Entities are the people, places and things the fact mentions.
	Entities []string `json:"entities,omitempty"`
	// OccurredStart and OccurredEnd bound when it happened (zero: unknown).
	OccurredStart time.Time `json:"occurred_start,omitzero"`
	OccurredEnd   time.Time `json:"occurred_end,omitzero"`
	// Confidence is in [0, 1] for opinions.
	Confidence float64 `json:"confidence,omitempty"`
	// CausedBy lists the indices of earlier facts of the same extraction
	// that caused this one.
	CausedBy []int `json:"caused_by,omitempty"`
}

// ExtractRequest is the input of an [Extractor].
type ExtractRequest struct {
	// Content is the text to extract facts from.
	Content string
	// Context describes where the content came from.
	Context string
	// Now is when the content was said or written; relative dates in it
	// ("yesterday", "어제") resolve against it.
	Now time.Time
	// Entities are names the caller already knows; any found in the
	// content are attached to the facts mentioning them.
	Entities []string
	// NoEntityDetection asks the extractor not to detect entities of its
	// own (the engine's Config.NoEntityDetection); extractors that are
	// told entities by a model may ignore it.
	NoEntityDetection bool
}

// Extractor turns content into facts. [OfflineExtractor] and
// [LLMExtractor] implement it.
type Extractor interface {
	Extract(ctx context.Context, req ExtractRequest) ([]Fact, error)
}

// OfflineExtractor is a deterministic extractor for English and Korean
// that needs no model: it splits sentences, drops questions, detects
// entities (capitalised names in Latin text; Hangul nouns followed by a
// subject, topic, companion or place particle such as 는, 가, 와, 에서) and
// dates ([ParseTimeWindow] relative to the request's Now), and marks
// sentences of belief ("I think", "probably", "생각", "것 같") as opinions
// with confidence 0.6.
type OfflineExtractor struct{}

var _ Extractor = OfflineExtractor{}

// Extract implements [Extractor].
func (OfflineExtractor) Extract(ctx context.Context, req ExtractRequest) ([]Fact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	var facts []Fact
	for i, s := range SplitSentences(req.Content) {
		if i%256 == 255 { // a long content stops soon after its deadline
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if strings.HasSuffix(s, "?") || strings.HasSuffix(s, "？") {
			continue
		}
		f := Fact{Text: s}
		if !req.NoEntityDetection {
			f.Entities = DetectEntities(s, req.Entities)
		}
		if w, _, ok := parseTime(s, now); ok {
			f.OccurredStart, f.OccurredEnd = w.Start, w.End
		}
		if opinionRE.MatchString(strings.ToLower(s)) {
			f.Kind, f.Confidence = KindOpinion, 0.6
		}
		facts = append(facts, f)
	}
	return facts, nil
}

var opinionRE = regexp.MustCompile(`\bi (?:think|believe|feel|guess|suspect)\b|\bin my (?:opinion|view)\b|\bprobably\b|생각|것 같|듯하`)

var abbreviations = map[string]bool{"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "prof": true,
	"e.g": true, "i.e": true, "vs": true, "etc": true, "inc": true, "jr": true, "sr": true}

// SplitSentences splits text at sentence-final punctuation (. ! ? and the
// full-width forms) followed by space or the end, and at line breaks. It
// keeps the punctuation, trims space, and does not split after common
// abbreviations ("Dr.", "e.g.") or inside numbers ("3.5").
func SplitSentences(text string) []string {
	var out []string
	start := 0
	emit := func(end int) {
		if s := strings.TrimSpace(text[start:end]); s != "" {
			out = append(out, s)
		}
		start = end
	}
	for i := 0; i < len(text); {
		r, sz := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '\n':
			emit(i)
			start = i + sz
		case '.', '!', '?', '。', '！', '？':
			j := i + sz
			for j < len(text) {
				c, csz := utf8.DecodeRuneInString(text[j:])
				if !strings.ContainsRune(".!?\"')”’", c) {
					break
				}
				j += csz
			}
			next, _ := utf8.DecodeRuneInString(text[j:])
			if j < len(text) && !unicode.IsSpace(next) && r != '。' && r != '！' && r != '？' {
				break
			}
			if r == '.' {
				w := lastWord(text[start:i])
				if abbreviations[strings.ToLower(w)] || (utf8.RuneCountInString(w) == 1 && unicode.IsUpper([]rune(w)[0])) {
					break
				}
			}
			emit(j)
			i = j
			continue
		}
		i += sz
	}
	emit(len(text))
	return out
}

func lastWord(s string) string {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	k := strings.LastIndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '(' })
	return s[k+1:]
}

// notEntity lists capitalised words that start sentences or name times
// rather than entities.
var notEntity = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`i i'm i've i'd i'll we you he she they it my our your his her their its the a an
	this that these those there here what when where why how who which yes no ok okay hi hello hey thanks thank please
	yesterday today tomorrow tonight last next this morning evening afternoon night week month year weekend
	monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
	september october november december also then after before during since later earlier recently lately
	sure well oh so but and or if because although though while however maybe perhaps probably
	on in at for from to with by about into onto over under around near between per via
	tell show give find remind let make get please can could would will should did does do is are was were
	have has had any every some all each both either neither one two three first next finally meanwhile
	anyway actually honestly really just still already again also too not never always sometimes often`) {
		m[w] = true
	}
	return m
}()

// Hangul particles after which the preceding noun is taken as an entity,
// longest first. Each is removed only where its form fits the noun (과,
// 이, 은, 으로 after a final consonant; 와, 가, 는, 로 after a vowel), so
// "정형외과" and "한사랑내과는" keep their last syllable.
var entityParticles = sortedByLen("께서", "에게", "한테", "에서", "이랑", "으로", "은", "는", "이", "가", "와", "과", "랑", "로", "의",
	"에서는", "에서도", "에게는", "한테는", "이랑은", "하고", "이네")

var notEntityKo = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`나 저 너 우리 저희 그 그녀 이것 그것 저것 여기 거기 저기 오늘 어제 내일 그제 그저께 지난주 이번주 다음주
	지난달 이번달 다음달 작년 올해 내년 주말 아침 저녁 점심 오후 오전 사람 시간 때 것 거 뭐 무엇 누구 근처 주변 근방 사이 동안 이번 지난 다음 정말 아주 너무 같이 함께
	요즘 요새 진짜 완전 엄청 그냥 다시 그리고 근데 그런데 그래서 하지만 제가 내가 니가 네가 누가 뭔가 어디 언제 얼마 이거 저거 그거 여기서 거기서
	매일 매주 주말마다 항상 가끔 자주 처음 마지막 예정 계획 생각 기분 느낌 정도 이야기 얘기 관련 대해 때문 덕분 이후 이전 다음번 지난번 저번 이번엔`) {
		m[w] = true
	}
	return m
}()

// koreanEntity returns the noun of a Hangul word marked by an entity
// particle, with the familiar-name suffixes removed ("수진이가",
// "수진이네", "수진이랑" -> "수진"; "팀장님이" -> "팀장님"), or "" when the
// word carries no entity particle or its stem looks like a verb (ends in
// 다, 하, 되, or has a past-tense syllable: "질색하는", "올라갔다가").
func koreanEntity(w string) string {
	for _, p := range entityParticles {
		if !strings.HasSuffix(w, p) {
			continue
		}
		stem := strings.TrimSuffix(w, p)
		if utf8.RuneCountInString(stem) < 2 || !allomorphFits(stem, p) {
			continue
		}
		stem = koreanName(stem)
		n := utf8.RuneCountInString(stem)
		if n < 2 || n > 8 || notEntityKo[stem] || verbLike(stem) {
			return ""
		}
		for _, r := range stem {
			if r < 0xAC00 || r > 0xD7A3 {
				return ""
			}
		}
		return stem
	}
	return ""
}

// koreanName removes the suffixes Korean adds to a given name: 이 after a
// final consonant ("수진이" is 수진), 네 ("수진이네": 수진's family or
// place). The result keeps at least two syllables.
func koreanName(stem string) string {
	for _, suf := range []string{"이네", "네"} {
		if s := strings.TrimSuffix(stem, suf); s != stem && utf8.RuneCountInString(s) >= 2 && allomorphFits(s, suf) {
			stem = s
			break
		}
	}
	if s := strings.TrimSuffix(stem, "이"); s != stem && utf8.RuneCountInString(s) == 2 && allomorphFits(s, "이") {
		// only two-syllable names: "고양이", "아이" keep theirs
		stem = s
	}
	return stem
}

// verbLike reports a Hangul stem that is a verb or adjective form rather
// than a noun.
func verbLike(stem string) bool {
	last, _ := utf8.DecodeLastRuneInString(stem)
	switch last {
	case '다', '하', '되', '해', '했', '된', '한', '할', '고', '며', '면', '서', '게', '지', '요', '죠', '까', '니', '데':
		return true
	}
	for _, r := range stem {
		if r >= 0xAC00 && r <= 0xD7A3 && (r-0xAC00)%28 == 20 && r != '있' { // ㅆ: 갔, 했, 었
			return true
		}
	}
	return false
}

// englishVerbs are verb forms that start notes and diary lines ("Finished
// the report.", "Went hiking.") and so are capitalised without being names.
var englishVerbs = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`went got had made took bought saw met ran ate gave told found left sent put kept sold wrote read
	drove flew came spent paid won lost began brought caught felt heard held knew led meant slept stood taught thought understood
	moved signed booked called visited finished started watched played grabbed cooked cleaned fixed joined hosted attended tried
	go get buy book call visit finish start watch play grab cook clean fix join host attend try pick send write read drive fly
	remember note plan plans planned schedule scheduled remind move sign pay check order ordered checked sort sorted change changed
	borrowed borrow planted plant presented present volunteered volunteer repaired repair fixed baked bake hiked hike`) {
		m[w] = true
	}
	return m
}()

// sentenceVerb reports whether a capitalised word at the start of a
// sentence is a verb form: a listed verb, or an -ed / -ing form whose stem
// has at least four letters ("Finished", "Running"; not "Jared").
func sentenceVerb(lower string) bool {
	if englishVerbs[lower] {
		return true
	}
	if !isASCIILower(lower) {
		return false
	}
	switch {
	case strings.HasSuffix(lower, "ed") && len(lower)-2 >= 4:
		return true
	case strings.HasSuffix(lower, "ing") && len(lower)-3 >= 4:
		return true
	}
	return false
}

// DetectEntities returns the entities of one sentence: runs of
// capitalised Latin words (not sentence-start function words, times or
// pronouns), Hangul nouns marked by an entity particle, and every name of
// known found in the text (case-insensitive). Order: first appearance;
// duplicates (case-insensitive) removed. The text is read in Unicode NFKC
// (as [Tokenize] reads it), so the entities of decomposed Hangul or
// full-width Latin text are those of its composed or ASCII form.
func DetectEntities(text string, known []string) []string {
	text = foldForm(text)
	var out []string
	add := func(e string) {
		e = strings.TrimSpace(e)
		if e == "" {
			return
		}
		k := EntityKey(e)
		for _, o := range out {
			if EntityKey(o) == k {
				return
			}
		}
		out = append(out, e)
	}
	lower := strings.ToLower(text)
	for _, k := range known {
		if k = strings.TrimSpace(k); k != "" && strings.Contains(lower, strings.ToLower(k)) {
			add(k)
		}
	}
	// words, each marked when it starts a sentence (text start, after . !
	// ? : or a line break)
	type word struct {
		w     string
		start bool
	}
	var words []word
	start := true
	for i := 0; i < len(text); {
		r, sz := utf8.DecodeRuneInString(text[i:])
		sep := unicode.IsSpace(r) || (unicode.IsPunct(r) && r != '\'' && r != '’' && r != '-' && r != '&')
		if sep {
			if strings.ContainsRune(".!?:\n。！？", r) {
				start = true
			}
			i += sz
			continue
		}
		j := i
		for j < len(text) {
			r2, sz2 := utf8.DecodeRuneInString(text[j:])
			if unicode.IsSpace(r2) || (unicode.IsPunct(r2) && r2 != '\'' && r2 != '’' && r2 != '-' && r2 != '&') {
				break
			}
			j += sz2
		}
		w := text[i:j]
		// "Netflix로", "Naver에서": a Latin word with a Korean particle
		if k := strings.IndexFunc(w, isCJK); k > 0 && !isCJK([]rune(w)[0]) {
			if suf := w[k:]; isKoFunction(suf) || slices.Contains(entityParticles, suf) {
				words = append(words, word{w[:k], start}, word{"", false})
				start = false
				i = j
				continue
			}
		}
		words = append(words, word{w, start})
		start = false
		i = j
	}
	var run []string
	flush := func() {
		if len(run) > 0 {
			add(strings.Join(run, " "))
			run = run[:0]
		}
	}
	for wi, wd := range words {
		w := wd.w
		w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
		w = strings.Trim(w, "'’-")
		if w == "" {
			flush()
			continue
		}
		r, _ := utf8.DecodeRuneInString(w)
		switch {
		case isCJK(r):
			flush()
			if e := koreanEntity(w); e != "" {
				add(e)
			}
			// "도윤 팀장님이", "하린 언니": the word before a title is a name
			if wi > 0 && koreanTitle(w) {
				if p := words[wi-1].w; utf8.RuneCountInString(p) >= 2 && utf8.RuneCountInString(p) <= 4 && isHangulWord(p) &&
					!notEntityKo[p] && koreanEntity(p) == "" && !verbLike(p) {
					add(p)
				}
			}
		case unicode.IsUpper(r) && wd.start && sentenceVerb(strings.ToLower(w)):
			flush()
		case unicode.IsUpper(r) && !notEntity[strings.ToLower(w)]:
			run = append(run, w)
		case len(run) > 0 && (w == "of" || w == "de"):
			run = append(run, w)
		default:
			// a trailing connector ("Bank of") is not part of the name
			for len(run) > 0 && (run[len(run)-1] == "of" || run[len(run)-1] == "de") {
				run = run[:len(run)-1]
			}
			flush()
		}
	}
	for len(run) > 0 && (run[len(run)-1] == "of" || run[len(run)-1] == "de") {
		run = run[:len(run)-1]
	}
	flush()
	return out
}

var koreanTitles = sortedByLen("팀장님", "팀장", "선배", "선배님", "언니", "오빠", "누나", "형", "씨", "님", "선생님", "교수님", "대표님",
	"과장님", "부장님", "사장님", "실장님", "이사님", "원장님", "작가님")

// koreanTitle reports a title word, with or without a particle.
func koreanTitle(w string) bool {
	for _, t := range koreanTitles {
		if w == t {
			return true
		}
		if rest, ok := strings.CutPrefix(w, t); ok && (isKoFunction(rest) || slices.Contains(entityParticles, rest)) {
			return true
		}
	}
	return false
}

func isHangulWord(w string) bool {
	for _, r := range w {
		if r < 0xAC00 || r > 0xD7A3 {
			return false
		}
	}
	return w != ""
}
