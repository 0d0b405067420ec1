package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

// Note is a state with text, a map and binary data.
type Note struct {
	Lines []Line `reduce:"append"`
	Tags  map[string]string
	Raw   []byte
}

// Line is one line of a Note.
type Line struct {
	Who  string
	Text string
}

// TestInvalidUTF8ThroughGraph runs a checkpointed graph whose node writes a
// string that is not valid UTF-8. The run fails with an error matching
// state.ErrInvalidUTF8 that names the field; the thread keeps the state it
// had; valid non-ASCII text and arbitrary bytes in a []byte field come back
// exactly.
func TestInvalidUTF8ThroughGraph(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "utf8.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var write Line
	var tags map[string]string
	g := graph.New[Note]()
	g.AddNode("write", func(_ context.Context, s Note) (Note, error) {
		s.Lines = append(s.Lines, write)
		if tags != nil {
			s.Tags = tags
		}
		return s, nil
	})
	g.AddEdge(graph.START, "write").AddEdge("write", graph.END)
	c, err := g.Compile(graph.WithCheckpointer(store))
	if err != nil {
		t.Fatal(err)
	}
	binary := []byte{0xff, 0xfe, 0x00, 0x80, 'a'}
	write = Line{Who: "사용자", Text: "안녕하세요 \u2028 \ufffd ok"}
	if _, err := c.Invoke(ctx, Note{Raw: binary}, graph.Thread("n")); err != nil {
		t.Fatal(err)
	}
	snap, err := c.State(ctx, "n")
	if err != nil || len(snap.State.Lines) != 1 || snap.State.Lines[0] != write || string(snap.State.Raw) != string(binary) {
		t.Fatalf("valid text and bytes: %+v, %v", snap.State, err)
	}

	for _, tc := range []struct {
		name string
		line Line
		tags map[string]string
		want string
	}{
		{"appended field", Line{Who: "bot", Text: "caf\xe9"}, nil, "Note.Lines[1].Text has byte 0xe9 at offset 3 of 4"},
		{"map value", Line{Who: "bot", Text: "fine"}, map[string]string{"lang": "k\xffo"}, `Note.Tags["lang"] has byte 0xff at offset 1 of 3`},
		{"map key", Line{Who: "bot", Text: "fine"}, map[string]string{"\xc3": "x"}, "Note.Tags (a map key) has byte 0xc3 at offset 0 of 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write, tags = tc.line, tc.tags
			_, err := c.Invoke(ctx, Note{}, graph.Thread("n"))
			t.Log(err)
			if !errors.Is(err, state.ErrInvalidUTF8) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run with invalid UTF-8: %v; want ErrInvalidUTF8 naming %q", err, tc.want)
			}
			// What was saved before is unchanged; the bad string was not
			// stored in any form.
			snap, err := c.State(ctx, "n")
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range snap.State.Lines {
				if strings.ContainsRune(l.Text, '\ufffd') && l.Text != "안녕하세요 \u2028 \ufffd ok" {
					t.Fatalf("a changed string was saved: %q", l.Text)
				}
			}
			if len(snap.State.Tags) != 0 {
				t.Fatalf("invalid map saved: %q", snap.State.Tags)
			}
		})
	}
	// An invalid input to a run is refused the same way.
	_, err = c.Invoke(ctx, Note{Lines: []Line{{Who: "\x80"}}}, graph.Thread("other"))
	if !errors.Is(err, state.ErrInvalidUTF8) || !strings.Contains(err.Error(), "Who") {
		t.Fatalf("invalid input: %v", err)
	}
}
