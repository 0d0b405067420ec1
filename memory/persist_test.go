package memory_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
)

func openFile(t *testing.T, path string) *memory.EmbeddedStore {
	t.Helper()
	s, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	if err != nil {
		t.Fatalf("OpenEmbedded: %v", err)
	}
	return s
}

func fill(t *testing.T, s memory.Store, bank string, n int) []memory.Memory {
	t.Helper()
	var ms []memory.Memory
	for i := 0; i < n; i++ {
		m := memorytest.Mem(bank, fmt.Sprintf("Fact number %d about Seoul.", i), memorytest.Vec(i, i+1, 0.3))
		m.Entities = []string{"Seoul"}
		m.OccurredStart = now.Add(time.Duration(i) * time.Hour)
		ms = append(ms, m)
	}
	if err := s.Upsert(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	return ms
}

func snapshot(t *testing.T, s memory.Store, bank string) []string {
	t.Helper()
	res, err := s.Search(context.Background(), memory.SearchRequest{Bank: bank, Limit: 1000, Dense: memorytest.Vec(0, 1, 0),
		Sparse: memory.DefaultBM25.Query("fact Seoul"), Entities: []string{"Seoul"}, Window: &memory.TimeRange{}})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range res.Candidates {
		out = append(out, fmt.Sprintf("%s %v", c.Memory.Text, c.Ranks))
	}
	slices.Sort(out)
	return out
}

func TestEmbeddedPersistsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mem.db")
	s := openFile(t, path)
	if err := s.PutBank(ctx, memory.Bank{ID: "a", Background: "bg", Disposition: memory.Disposition{Empathy: 5}}); err != nil {
		t.Fatal(err)
	}
	ms := fill(t, s, "a", 20)
	fill(t, s, "b", 3)
	if err := s.Delete(ctx, "a", []string{ms[3].ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBank(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s, "a")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Count(ctx, "a", memory.Filter{}); !errors.Is(err, memory.ErrClosed) {
		t.Fatalf("use after close: %v", err)
	}
	s = openFile(t, path)
	defer s.Close()
	if got := snapshot(t, s, "a"); !slices.Equal(got, before) {
		t.Fatalf("after reopen:\n%q\nbefore:\n%q", got, before)
	}
	if n, _ := s.Count(ctx, "a", memory.Filter{}); n != 19 {
		t.Fatalf("count %d, want 19", n)
	}
	if n, _ := s.Count(ctx, "b", memory.Filter{}); n != 0 {
		t.Fatalf("deleted bank has %d", n)
	}
	if b, err := s.Bank(ctx, "a"); err != nil || b.Background != "bg" || b.Disposition.Empathy != 5 {
		t.Fatalf("bank: %+v %v", b, err)
	}
	got, _ := s.Get(ctx, "a", []string{ms[5].ID})
	if len(got) != 1 || !got[0].OccurredStart.Equal(ms[5].OccurredStart) || got[0].Sparse.Len() != ms[5].Sparse.Len() {
		t.Fatalf("reloaded memory %+v", got)
	}
}

func TestEmbeddedDropsTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mem.db")
	s := openFile(t, path)
	fill(t, s, "a", 5)
	_ = s.Close()
	good, _ := os.Stat(path)

	// A second store writes a record; we keep only part of it, as if the
	// process had been killed in the middle of the write.
	full := filepath.Join(t.TempDir(), "full.db")
	data, _ := os.ReadFile(path)
	_ = os.WriteFile(full, data, 0o600)
	s2 := openFile(t, full)
	fill(t, s2, "a", 8)
	_ = s2.Close()
	all, _ := os.ReadFile(full)
	for _, cut := range []int{3, 8, 40, len(all) - int(good.Size()) - 1} {
		torn := append(append([]byte(nil), data...), all[len(data):len(data)+cut]...)
		if err := os.WriteFile(path, torn, 0o600); err != nil {
			t.Fatal(err)
		}
		s = openFile(t, path)
		if n, _ := s.Count(context.Background(), "a", memory.Filter{}); n != 5 {
			t.Fatalf("cut %d: count %d, want the 5 whole memories", cut, n)
		}
		fill(t, s, "b", 1) // writing after recovery works
		_ = s.Close()
		s = openFile(t, path)
		if n, _ := s.Count(context.Background(), "b", memory.Filter{}); n != 1 {
			t.Fatalf("cut %d: write after recovery lost", cut)
		}
		_ = s.Close()
	}
}

func TestEmbeddedRefusesCorruptFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mem.db")
	s := openFile(t, path)
	fill(t, s, "a", 3)
	fill(t, s, "a", 4)
	_ = s.Close()
	data, _ := os.ReadFile(path)
	bad := append([]byte(nil), data...)
	bad[len("JEDISOS-MEMORY-1\n")+8+20] ^= 0xff // inside the first record
	_ = os.WriteFile(path, bad, 0o600)
	_, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	if !errors.Is(err, memory.ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	after, _ := os.ReadFile(path)
	if !slices.Equal(after, bad) {
		t.Fatal("a refused file was modified")
	}
	other := filepath.Join(dir, "other.db")
	_ = os.WriteFile(other, []byte("not a store"), 0o600)
	if _, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: other}); !errors.Is(err, memory.ErrCorrupt) {
		t.Fatalf("bad header: %v", err)
	}
}

func TestEmbeddedCompact(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mem.db")
	s := openFile(t, path)
	_ = s.PutBank(ctx, memory.Bank{ID: "a", Name: "A"})
	for i := 0; i < 10; i++ { // rewrite the same facts ten times
		fill(t, s, "a", 30)
	}
	ms := fill(t, s, "a", 30)
	_ = s.Delete(ctx, "a", []string{ms[0].ID})
	before := snapshot(t, s, "a")
	st1, _ := os.Stat(path)
	if err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(path)
	if st2.Size()*5 > st1.Size() {
		t.Errorf("compacted %d -> %d bytes, want at least 5x smaller", st1.Size(), st2.Size())
	}
	fill(t, s, "c", 1) // the compacted file takes appends
	_ = s.Close()
	s = openFile(t, path)
	defer s.Close()
	if got := snapshot(t, s, "a"); !slices.Equal(got, before) {
		t.Fatalf("after compact+reopen differs")
	}
	if b, err := s.Bank(ctx, "a"); err != nil || b.Name != "A" {
		t.Fatalf("bank after compact: %+v %v", b, err)
	}
	if n, _ := s.Count(ctx, "c", memory.Filter{}); n != 1 {
		t.Fatalf("append after compact lost")
	}
}

// TestEmbeddedSurvivesKill runs a writer in a child process, kills it
// with SIGKILL mid-stream, and reopens the file: every batch is either
// whole or absent.
func TestEmbeddedSurvivesKill(t *testing.T) {
	if p := os.Getenv("JEDISOS_MEMORY_CRASH_WRITER"); p != "" {
		s, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: p})
		if err != nil {
			os.Exit(3)
		}
		for i := 0; ; i++ {
			var batch []memory.Memory
			for j := 0; j < 10; j++ {
				batch = append(batch, memorytest.Mem("a", fmt.Sprintf("batch %d item %d", i, j), memorytest.Vec(i, j, 0.5)))
			}
			if err := s.Upsert(context.Background(), batch); err != nil {
				os.Exit(4)
			}
		}
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "mem.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestEmbeddedSurvivesKill$")
	cmd.Env = append(os.Environ(), "JEDISOS_MEMORY_CRASH_WRITER="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := os.Stat(path)
		if err == nil && st.Size() > 200_000 {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatal("writer made no progress")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	s := openFile(t, path)
	defer s.Close()
	n, err := s.Count(context.Background(), "a", memory.Filter{})
	if err != nil || n == 0 || n%10 != 0 {
		t.Fatalf("after kill: %d memories (%v), want a positive multiple of 10", n, err)
	}
	t.Logf("%d whole batches survived the kill", n/10)
}
