package memory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/memory"
	"golang.org/x/text/unicode/norm"
)

// Hangul typed on some systems (macOS file names, copied text) arrives
// decomposed (NFD: conjoining jamo). NormalizeText applies NFKC, so an NFD
// fact and its NFC form are the same memory (one MemoryID); a question in
// either form must then find it.
func TestKoEnHangulNFDQueryFindsNFCMemory(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	nfd := norm.NFD.String("광화문에서 누가 일해?")
	if nfd == "광화문에서 누가 일해?" {
		t.Fatal("NFD form equals NFC")
	}
	if got, want := memory.Tokenize(nfd), memory.Tokenize("광화문에서 누가 일해?"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Tokenize(NFD) = %q, Tokenize(NFC) = %q; want the same terms", got, want)
	}
	r := s.recall(t, nfd, memory.RecallOptions{MaxResults: 3})
	wantTop(t, s, "NFD 광화문에서 누가 일해?", r, "k40")
}

// Retaining the NFD form of a stored NFC fact replaces it (same id); the
// NFC question that found it before must still find it.
func TestKoEnHangulNFDRetainKeepsNFCFindable(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	ctx := context.Background()
	r := s.recall(t, "광화문", memory.RecallOptions{MaxResults: 3})
	wantTop(t, s, "광화문 (before)", r, "k40")
	res, err := s.e.Retain(ctx, koEnBank, norm.NFD.String(itemText("k40")), memory.RetainOptions{Timestamp: koEnNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Memories[0].ID != s.ids["k40"][0] {
		t.Fatalf("NFD retain got id %s, want the NFC fact's %s", res.Memories[0].ID, s.ids["k40"][0])
	}
	r = s.recall(t, "광화문", memory.RecallOptions{MaxResults: 3})
	wantTop(t, s, "광화문 (after NFD retain)", r, "k40")
	if len(r.Hits) > 0 {
		if ents := r.Hits[0].Memory.Entities; len(ents) == 0 || ents[0] != "지훈" {
			t.Errorf("entities after NFD retain %q, want 지훈 first", ents)
		}
	}
}

// Full-width Latin letters (ＡＷＳ, common from Korean IMEs) are the same
// text as ASCII under the NFKC that decides a fact's identity; an ASCII
// question names the same thing.
func TestKoEnFullWidthLatin(t *testing.T) {
	if memory.NormalizeText("ＡＷＳ 청구서") != memory.NormalizeText("AWS 청구서") {
		t.Fatalf("NormalizeText differs for full-width and ASCII")
	}
	if got := memory.Tokenize("ＡＷＳ １２만원"); strings.Join(got, " ") != "aws 12 만원" {
		t.Errorf("Tokenize(ＡＷＳ １２만원) = %q, want [aws 12 만원]", got)
	}
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	r := s.recall(t, "AWS bill", memory.RecallOptions{MaxResults: 3})
	wantTop(t, s, "AWS bill", r, "k29")
}

// Emoji are kept byte for byte and are not terms; a question of emoji
// only is not an error and finds nothing by keyword.
func TestKoEnEmoji(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	if got := s.facts["k28"][0].Text; got != "점심으로 을지로에서 평양냉면을 먹었다 🍜" {
		t.Errorf("stored text %q", got)
	}
	if got := memory.Tokenize("🍜 냉면 🍜"); strings.Join(got, " ") != "냉면" {
		t.Errorf("Tokenize = %q", got)
	}
	r := s.recall(t, "🍜", memory.RecallOptions{MaxResults: 3})
	if len(r.Hits) != 0 {
		t.Errorf("emoji-only query: %d hits, want 0\n%s", len(r.Hits), s.describe(r.Hits))
	}
	r = s.recall(t, "냉면 🍜", memory.RecallOptions{MaxResults: 3})
	wantTop(t, s, "냉면 🍜", r, "k28")
	if len(r.Hits) > 0 && r.Hits[0].Text != itemText("k28") {
		t.Errorf("hit text %q", r.Hits[0].Text)
	}
	// an emoji-only memory is stored and comes back exactly
	e := s.e
	res, err := e.Retain(context.Background(), "emoji", "🎉🎂", memory.RetainOptions{Timestamp: koEnNow})
	if err != nil {
		t.Fatalf("emoji-only retain: %v", err)
	}
	if len(res.Memories) != 1 || res.Memories[0].Text != "🎉🎂" {
		t.Errorf("emoji-only retain stored %+v", res.Memories)
	}
	// invalid UTF-8 is refused naming the field
	_, err = e.Retain(context.Background(), "emoji", "냉면\xff", memory.RetainOptions{})
	if !errors.Is(err, memory.ErrInvalid) || !strings.Contains(err.Error(), "content") {
		t.Errorf("invalid UTF-8 content: %v", err)
	}
	// an invalid UTF-8 query is refused as such content is
	_, err = e.Recall(context.Background(), "emoji", "냉면\xff", memory.RecallOptions{})
	if !errors.Is(err, memory.ErrInvalid) || !strings.Contains(err.Error(), "query is not valid UTF-8") || !strings.Contains(err.Error(), "offset 6") {
		t.Errorf("invalid UTF-8 query: %v", err)
	}
}
