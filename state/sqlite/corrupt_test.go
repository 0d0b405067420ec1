package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

// fill writes threads t0..t2, each a chain of checkpoints (a snapshot, then
// deltas, some with next tasks) with task writes, interrupts and memos.
func fill(t *testing.T, s *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	at := time.Date(2026, 3, 4, 5, 6, 7, 8000, time.UTC)
	for th := range 3 {
		thread := fmt.Sprintf("t%d", th)
		parent := ""
		for i := range 6 {
			id := fmt.Sprintf("%s-c%d", thread, i)
			cp := state.Checkpoint{ThreadID: thread, ID: id, ParentID: parent, Step: i, Source: "loop", CreatedAt: at.Add(time.Duration(i) * time.Second), Extra: []byte(`{"s":1}`)}
			if i == 0 {
				cp.Source = "input"
				cp.Snapshot = []byte(fmt.Sprintf(`{"Messages":[{"Content":%q}]}`, text(r, 1500)))
			} else {
				cp.Delta = []byte(fmt.Sprintf(`{"append":{"Messages":[{"Content":%q}]}}`, text(r, 300)))
			}
			if i%2 == 0 {
				cp.Next = []state.Task{{Node: "reason"}, {Node: "tool", Input: []byte(`{"Q":"x"}`)}}
			}
			if err := s.Put(ctx, cp); err != nil {
				t.Fatal(err)
			}
			for task := range 2 {
				w := state.TaskWrites{Task: task, Node: fmt.Sprintf("n%d", task), Writes: []byte(fmt.Sprintf(`{"set":{"A":%q}}`, text(r, 200))), CreatedAt: at}
				if task == 1 {
					w.Interrupts = []state.Interrupt{{ID: "i" + id, Node: "n1", Payload: []byte(`"approve?"`)}}
					w.Memos = []state.Memo{{Key: "n1@" + id, Value: []byte(`{"receipt":42}`)}}
				}
				if err := s.PutWrites(ctx, thread, id, w); err != nil {
					t.Fatal(err)
				}
			}
			parent = id
		}
	}
}

// read is one read of the store and what it returned.
type read struct {
	name string
	val  any
	err  error
}

// readAll performs every read a program can do on the filled store.
func readAll(s *sqlite.Store) []read {
	ctx := context.Background()
	var out []read
	for th := range 3 {
		thread := fmt.Sprintf("t%d", th)
		cp, err := s.Get(ctx, thread, "")
		out = append(out, read{"latest of " + thread, cp, err})
		l, err := s.List(ctx, thread, state.ListOptions{})
		out = append(out, read{"list of " + thread, l, err})
		for i := range 6 {
			id := fmt.Sprintf("%s-c%d", thread, i)
			cp, err := s.Get(ctx, thread, id)
			out = append(out, read{"get " + id, cp, err})
			ws, err := s.Writes(ctx, thread, id)
			out = append(out, read{"writes of " + id, ws, err})
		}
	}
	return out
}

// TestBitFlips flips one random bit of a checkpoint file per trial and
// checks that every read returns exactly what was saved or an error
// matching state.ErrCorrupt: never a different state.
func TestBitFlips(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.db")
	s, err := sqlite.Open(orig)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s)
	want := readAll(s)
	for _, r := range want {
		if r.err != nil {
			t.Fatalf("%s: %v", r.name, r.err)
		}
	}
	s.Close()
	data, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	trials := 150
	if testing.Short() {
		trials = 60
	}
	if n, err := strconv.Atoi(os.Getenv("JEDISOS_BITFLIPS")); err == nil {
		trials = n
	}
	rng := rand.New(rand.NewPCG(11, 12))
	var intact, atOpen, atRead, silent int
	for trial := range trials {
		bad := append([]byte(nil), data...)
		off := rng.IntN(len(bad))
		bit := byte(1) << rng.IntN(8)
		bad[off] ^= bit
		path := filepath.Join(dir, fmt.Sprintf("flip%d.db", trial))
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		where := fmt.Sprintf("trial %d (byte %d of %d, bit %#x, page %d)", trial, off, len(bad), bit, off/4096)
		s, err := sqlite.Open(path)
		if err != nil {
			if !errors.Is(err, state.ErrCorrupt) {
				t.Errorf("%s: open: error that does not match ErrCorrupt: %v", where, err)
			}
			atOpen++
			continue
		}
		got := readAll(s)
		s.Close()
		detected := false
		var wrong []string
		for i, g := range got {
			switch {
			case g.err != nil && errors.Is(g.err, state.ErrCorrupt):
				detected = true
			case g.err != nil:
				wrong = append(wrong, fmt.Sprintf("%s: error that does not match ErrCorrupt: %v", g.name, g.err))
			case !reflect.DeepEqual(g.val, want[i].val):
				wrong = append(wrong, fmt.Sprintf("%s: silently different (%s)", g.name, diff(g.val, want[i].val)))
			}
		}
		if len(wrong) > 0 {
			silent++
			t.Errorf("%s: %d of %d reads wrong, first: %s", where, len(wrong), len(got), wrong[0])
		}
		switch {
		case detected:
			atRead++
		case len(wrong) == 0:
			intact++
		}
	}
	t.Logf("%d single-bit flips in a %d-byte file: %d detected at open, %d detected by a read, %d left every read intact, %d gave a read a wrong answer", trials, len(data), atOpen, atRead, intact, silent)
}

// diff describes how a read differs from what was saved.
func diff(got, want any) string {
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	if gv.Kind() == reflect.Slice {
		if gv.Len() != wv.Len() {
			return fmt.Sprintf("%d items, want %d", gv.Len(), wv.Len())
		}
		for i := range gv.Len() {
			if !reflect.DeepEqual(gv.Index(i).Interface(), wv.Index(i).Interface()) {
				return fmt.Sprintf("item %d differs", i)
			}
		}
	}
	return "value differs"
}

// TestOpenDamagedFile opens files that are not databases or whose header
// is damaged: each error matches state.ErrCorrupt and names the file.
func TestOpenDamagedFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	s, err := sqlite.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, s)
	s.Close()
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	header := append([]byte(nil), data...)
	copy(header, "SQLite format 4\x00") // the magic string
	pageSize := append([]byte(nil), data...)
	pageSize[16], pageSize[17] = 0x03, 0x00 // page size 768: not a power of two
	cases := map[string][]byte{
		"text":      []byte("these are not the pages you are looking for\n"),
		"zeros":     make([]byte, 8192),
		"magic":     header,
		"page size": pageSize,
		"truncated": data[:len(data)/2],
		"random 4 KB": func() []byte {
			b := make([]byte, 4096)
			r := rand.New(rand.NewPCG(1, 1))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		}(),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".db")
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{false, true} {
				var opts []sqlite.Option
				if ro {
					opts = append(opts, sqlite.ReadOnly())
				}
				s, err := sqlite.Open(path, opts...)
				if err == nil {
					// Damage past the header shows at the first read.
					_, err = s.Get(context.Background(), "t", "")
					if err == nil {
						_, err = s.Writes(context.Background(), "t", "c1")
					}
					s.Close()
				}
				if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), path) {
					t.Errorf("read-only %v: %v; want an error matching state.ErrCorrupt naming %s", ro, err, path)
				}
			}
		})
	}
}

// TestNewerSchemaRefused opens a file whose meta table says it was written
// by a newer version: Open refuses it, naming both versions, and leaves it
// as it was.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, s)
	s.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	// The meta rows carry checksums: write a consistent newer version.
	if _, err := raw.Exec(`UPDATE meta SET value = 9, sum = ? WHERE key = 'version'`, sqlite.MetaSum("version", 9)); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	before, _ := os.ReadFile(path)
	for _, opts := range [][]sqlite.Option{nil, {sqlite.ReadOnly()}} {
		_, err := sqlite.Open(path, opts...)
		if err == nil || !strings.Contains(err.Error(), "version 9") || !strings.Contains(err.Error(), fmt.Sprintf("version %d", sqlite.SchemaVersion)) {
			t.Fatalf("newer file: %v", err)
		}
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("refusing a newer file changed it")
	}
}
