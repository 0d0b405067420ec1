package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

// A run under DurabilityAsync, whose background saves reach the store in
// batches, leaves the history a sync run leaves: the same checkpoints, in
// the same order, with the same writes.
func TestAsyncHistoryMatchesSync(t *testing.T) {
	ctx := context.Background()
	const steps = 60
	run := func(mode graph.Durability) *sqlite.Store {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), mode.String()+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		target := steps
		c := editLoop(t, s, mode, &target, func(b *Blob) { b.Data = fmt.Sprintf("%0512d", b.Steps) })
		out, err := c.Invoke(ctx, Blob{}, graph.Thread("t"))
		if err != nil || out.Steps != steps {
			t.Fatalf("%s run: %+v, %v", mode, out.Steps, err)
		}
		return s
	}
	want, got := run(graph.DurabilitySync), run(graph.DurabilityAsync)
	wl, err := want.List(ctx, "t", state.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gl, err := got.List(ctx, "t", state.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(wl) != steps+1 || len(gl) != len(wl) {
		t.Fatalf("%d checkpoints after the async run, %d after the sync one; want %d", len(gl), len(wl), steps+1)
	}
	for i := range wl {
		w, g := wl[i], gl[i]
		if w.Step != g.Step || w.Source != g.Source || !bytes.Equal(w.Snapshot, g.Snapshot) || !bytes.Equal(w.Delta, g.Delta) ||
			!bytes.Equal(w.Extra, g.Extra) || fmt.Sprint(w.Next) != fmt.Sprint(g.Next) {
			t.Fatalf("checkpoint %d: %+v, want %+v", i, g, w)
		}
		ww, err := want.Writes(ctx, "t", w.ID)
		if err != nil {
			t.Fatal(err)
		}
		gw, err := got.Writes(ctx, "t", g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ww) != len(gw) {
			t.Fatalf("checkpoint %d: %d task writes, want %d", i, len(gw), len(ww))
		}
		for j := range ww {
			if ww[j].Node != gw[j].Node || !bytes.Equal(ww[j].Writes, gw[j].Writes) {
				t.Fatalf("checkpoint %d: writes %+v, want %+v", i, gw[j], ww[j])
			}
		}
	}
}
