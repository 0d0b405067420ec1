package memory_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
)

// TestRetainRejectsInvalidUTF8: content or options that are not UTF-8
// are refused before extraction, naming the item and field; nothing is
// stored.
func TestRetainRejectsInvalidUTF8(t *testing.T) {
	ctx := context.Background()
	ext := &countingExtractor{}
	e, _ := memory.New(memory.Config{Extractor: ext})
	defer e.Close()
	const bad = "Mina lives in S\xffoul."
	cases := []struct {
		bank, content string
		opts          memory.RetainOptions
		want          string
	}{
		{"u", bad, memory.RetainOptions{}, "retain item 1: content is not valid UTF-8 (byte 0xff at offset 15)"},
		{"u", "ok.", memory.RetainOptions{Context: bad}, "retain item 1: context"},
		{"u", "ok.", memory.RetainOptions{DocumentID: bad}, "retain item 1: document id"},
		{"u", "ok.", memory.RetainOptions{Metadata: map[string]string{"src": bad}}, `retain item 1: metadata["src"]`},
		{"u", "ok.", memory.RetainOptions{Metadata: map[string]string{bad: "x"}}, "retain item 1: metadata key"},
		{"u", "ok.", memory.RetainOptions{Entities: []string{"Mina", bad}}, "retain item 1: entities[1]"},
		{"u", "ok.", memory.RetainOptions{Tags: []string{bad}}, "retain item 1: tags[0]"},
		{"u\xc3", "ok.", memory.RetainOptions{}, "retain: bank is not valid UTF-8"},
	}
	for _, c := range cases {
		_, err := e.RetainBatch(ctx, c.bank, []memory.RetainItem{{Content: "Fine."}, {Content: c.content, Options: c.opts}})
		if !errors.Is(err, memory.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want ErrInvalid containing %q", err, c.want)
		}
	}
	if n, _ := e.Store().Count(ctx, "u", memory.Filter{}); n != 0 || ext.calls > 0 {
		t.Fatalf("%d memories stored, extractor called %d times; want neither", n, ext.calls)
	}
}

// TestEmbeddedFileKeepsStringsExactly: non-ASCII text, NUL and control
// characters survive the store file byte for byte; a memory that is not
// UTF-8 is never written, so the file never rewrites one.
func TestEmbeddedFileKeepsStringsExactly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mem.db")
	s := openFile(t, path)
	odd := "민수 🍜 \ufffd nul\x00 bell\x07 \u2028 e\u0301"
	m := memorytest.Mem("b", odd, memorytest.Vec(0, 1, 0))
	m.Metadata = map[string]string{odd: odd}
	m.Entities = []string{odd}
	if err := s.Upsert(ctx, []memory.Memory{m}); err != nil {
		t.Fatal(err)
	}
	bad := memorytest.Mem("b", "bad \xe9", memorytest.Vec(0, 1, 0))
	if err := s.Upsert(ctx, []memory.Memory{bad}); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("invalid UTF-8 upsert: %v", err)
	}
	_ = s.Close()
	s = openFile(t, path)
	defer s.Close()
	got, _ := s.Get(ctx, "b", []string{m.ID, bad.ID})
	if len(got) != 1 || got[0].Text != odd || got[0].Metadata[odd] != odd || got[0].Entities[0] != odd {
		t.Fatalf("after reopen: %d memories: %+v", len(got), got)
	}
}
