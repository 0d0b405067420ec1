package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// segOf maps every position to a distinct slot, segment k holding
// 16<<k elements in order.
func TestSegOf(t *testing.T) {
	var s segs[int32]
	for i := int32(0); i < 5000; i++ {
		if got := s.push(i * 3); got != i {
			t.Fatalf("push %d returned position %d", i, got)
		}
	}
	for k, seg := range s.segs {
		if len(seg) != 16<<k {
			t.Fatalf("segment %d holds %d, want %d", k, len(seg), 16<<k)
		}
	}
	for i := int32(0); i < 5000; i++ {
		if got := *s.at(i); got != i*3 {
			t.Fatalf("at(%d) = %d, want %d", i, got, i*3)
		}
	}
	if k, off := segOf(15); k != 0 || off != 15 {
		t.Fatalf("segOf(15) = %d, %d", k, off)
	}
	if k, off := segOf(16); k != 1 || off != 0 {
		t.Fatalf("segOf(16) = %d, %d", k, off)
	}
	if k, off := segOf(47); k != 1 || off != 31 {
		t.Fatalf("segOf(47) = %d, %d", k, off)
	}
	if k, off := segOf(48); k != 2 || off != 0 {
		t.Fatalf("segOf(48) = %d, %d", k, off)
	}
}

// Ids that do not grow (a caller's own, or a clock that stepped back)
// are still checked for duplicates, and every checkpoint and its writes
// can be read by id, also by readers racing to build the index.
func TestMemoryIdsInAnyOrder(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	ids := []string{"m", "c", "x", "a", "q"}
	prev := ""
	for i, id := range ids {
		cp := Checkpoint{ThreadID: "t", ID: id, ParentID: prev, Step: i, Snapshot: []byte(fmt.Sprintf(`{"n":%d}`, i))}
		var err error
		if prev == "" {
			err = m.Put(ctx, cp)
		} else {
			err = m.PutStep(ctx, prev, []TaskWrites{{Task: 0, Node: "n", Writes: []byte(id)}}, cp)
		}
		if err != nil {
			t.Fatalf("save %q: %v", id, err)
		}
		prev = id
	}
	for _, dup := range []string{"m", "c", "a", "q"} {
		err := m.Put(ctx, Checkpoint{ThreadID: "t", ID: dup, ParentID: "q"})
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate id %q saved again: %v", dup, err)
		}
	}
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, id := range ids {
				cp, err := m.Get(ctx, "t", id)
				if err != nil || cp.ID != id || cp.Step != i || cp.ThreadID != "t" || string(cp.Snapshot) != fmt.Sprintf(`{"n":%d}`, i) {
					t.Errorf("Get %q: %+v, %v", id, cp, err)
				}
			}
			for i, id := range ids[:len(ids)-1] {
				ws, err := m.Writes(ctx, "t", id)
				if err != nil || len(ws) != 1 || string(ws[0].Writes) != ids[i+1] {
					t.Errorf("Writes %q: %+v, %v", id, ws, err)
				}
			}
		}()
	}
	wg.Wait()
	list, err := m.List(ctx, "t", ListOptions{Before: "x"})
	if err != nil || len(list) != 2 || list[0].ID != "c" || list[1].ID != "m" || list[0].ThreadID != "t" {
		t.Fatalf("List before x: %+v, %v", list, err)
	}
	// writes for an older checkpoint, found through the index
	if err := m.PutWrites(ctx, "t", "c", TaskWrites{Task: 1, Node: "late", Writes: []byte("L")}); err != nil {
		t.Fatal(err)
	}
	ws, err := m.Writes(ctx, "t", "c")
	if err != nil || len(ws) != 2 || ws[1].Node != "late" {
		t.Fatalf("writes of c: %+v, %v", ws, err)
	}
	if err := m.PutWrites(ctx, "t", "nope", TaskWrites{Task: 0}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("writes for a missing checkpoint: %v", err)
	}
}

// Every byte field reads back as saved (nil stays nil, empty stays
// empty) across arena chunks and values that get chunks of their own.
func TestMemoryArenaRoundTrip(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	r := rand.New(rand.NewPCG(1, 2))
	val := func() []byte {
		switch r.IntN(5) {
		case 0:
			return nil
		case 1:
			return []byte{}
		case 2:
			return bytes.Repeat([]byte{byte('a' + r.IntN(26))}, 2000+r.IntN(6000))
		}
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	var saved []Checkpoint
	var savedW []TaskWrites
	prev := ""
	for i := 0; i < 300; i++ {
		cp := Checkpoint{ThreadID: "t", ID: fmt.Sprintf("%04d", i), ParentID: prev, Step: i, Source: "loop",
			CreatedAt: time.Unix(1700000000+int64(i), int64(i)*1000).In(time.FixedZone("KST", 9*3600)),
			Snapshot:  val(), Delta: val(), Extra: val()}
		for j := r.IntN(4); j > 0; j-- {
			cp.Next = append(cp.Next, Task{Node: fmt.Sprintf("n%d", j), Input: val()})
		}
		var ws []TaskWrites
		if prev != "" {
			ws = []TaskWrites{{Task: i % 3, Node: "w", Writes: val(), CreatedAt: cp.CreatedAt}}
		}
		if err := m.PutStep(ctx, prev, ws, cp); err != nil {
			t.Fatal(err)
		}
		saved = append(saved, cp)
		savedW = append(savedW, ws...)
		prev = cp.ID
	}
	same := func(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }
	for i, want := range saved {
		got, err := m.Get(ctx, "t", want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != want.ID || got.ParentID != want.ParentID || got.Step != want.Step || got.Source != want.Source ||
			!got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location() != time.UTC ||
			!same(got.Snapshot, want.Snapshot) || !same(got.Delta, want.Delta) || !same(got.Extra, want.Extra) || len(got.Next) != len(want.Next) {
			t.Fatalf("checkpoint %d reads back different", i)
		}
		for j := range want.Next {
			if got.Next[j].Node != want.Next[j].Node || !same(got.Next[j].Input, want.Next[j].Input) {
				t.Fatalf("checkpoint %d task %d reads back different", i, j)
			}
		}
		if i > 0 {
			ws, err := m.Writes(ctx, "t", saved[i-1].ID)
			w := savedW[i-1]
			if err != nil || len(ws) != 1 || ws[0].Task != w.Task || !same(ws[0].Writes, w.Writes) || !ws[0].CreatedAt.Equal(w.CreatedAt) {
				t.Fatalf("writes of checkpoint %d read back different: %v", i-1, err)
			}
		}
	}
}

// The store's not-found errors match ErrNotFound and name what is missing.
func TestMemoryNotFoundMessages(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	if err := m.Put(ctx, Checkpoint{ThreadID: "t", ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	_, errThread := m.Get(ctx, "nope", "")
	_, errCP := m.Get(ctx, "t", "c9")
	_, errList := m.List(ctx, "t", ListOptions{Before: "c8"})
	cases := []struct {
		err  error
		want string
	}{
		{errThread, `state: memory store: thread "nope": state: checkpoint not found`},
		{errCP, `state: memory store: checkpoint "c9" of thread "t": state: checkpoint not found`},
		{errList, `state: memory store: checkpoint "c8" of thread "t": state: checkpoint not found`},
		{m.PutWrites(ctx, "nope", "c1", TaskWrites{}), `state: memory store: writes for thread "nope": state: checkpoint not found`},
		{m.PutWrites(ctx, "t", "c7", TaskWrites{}), `state: memory store: writes for checkpoint "c7" of thread "t": state: checkpoint not found`},
		{m.PutStep(ctx, "c6", []TaskWrites{{}}, Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1"}), `state: memory store: writes for checkpoint "c6" of thread "t": state: checkpoint not found`},
	}
	for i, c := range cases {
		if !errors.Is(c.err, ErrNotFound) || c.err.Error() != c.want {
			t.Errorf("case %d: %v, want %q", i, c.err, c.want)
		}
	}
}
