package qdrant_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
	mq "github.com/jedisos/jedisos/memory/qdrant"
)

func TestMigrateEmbeddedToQdrantAndBack(t *testing.T) {
	ctx := ctxT(t)
	emb, err := memory.OpenEmbedded(memory.EmbeddedOptions{HNSWThreshold: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	prof := memory.Bank{ID: "mina", Name: "Mina", Background: "A designer in Seoul.", Disposition: memory.Disposition{Empathy: 5}, CreatedAt: t0}
	if err := emb.PutBank(ctx, prof); err != nil {
		t.Fatal(err)
	}
	src := corpus(t, emb, "mina", 300)
	corpus(t, emb, "other", 5)

	q, _ := open(t, func(c *mq.Config) { c.BatchSize = 64 })
	res, err := mq.Migrate(ctx, emb, q, "mina")
	if err != nil {
		t.Fatal(err)
	}
	if res.Memories != 300 || !res.Profile {
		t.Fatalf("Migrate = %+v, want 300 memories and the profile", res)
	}
	if n := count(t, q, "mina"); n != 300 {
		t.Fatalf("qdrant counts %d", n)
	}
	if n := count(t, q, "other"); n != 0 {
		t.Fatalf("another bank was copied: %d", n)
	}
	if b, err := q.Bank(ctx, "mina"); err != nil || b.Background != prof.Background || b.Disposition != prof.Disposition || !b.CreatedAt.Equal(t0) {
		t.Fatalf("profile in qdrant: %+v, %v", b, err)
	}
	got, err := q.Get(ctx, "mina", idsOf(src[:50]))
	if err != nil || len(got) != 50 {
		t.Fatalf("Get: %d, %v", len(got), err)
	}
	for i, m := range got {
		w := src[i]
		if m.Text != w.Text || !slices.Equal(m.Entities, w.Entities) || !m.OccurredStart.Equal(w.OccurredStart) ||
			!slices.Equal(m.Sparse.Indices, w.Sparse.Indices) || len(m.Vector) != memorytest.Dim {
			t.Fatalf("memory %d changed in migration:\n got  %+v\n want %+v", i, m, w)
		}
	}
	// the same search gives the same semantic ranking in both stores
	req := memory.SearchRequest{Bank: "mina", Limit: 20, Dense: memorytest.Vec(2, 3, 0.2), MinSimilarity: 0.2}
	a, err := emb.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := q.Search(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	x, y := memorytest.ArmOrder(a, memory.ArmSemantic), memorytest.ArmOrder(b, memory.ArmSemantic)
	slices.Sort(x)
	slices.Sort(y)
	if len(x) != 20 || !slices.Equal(x, y) {
		t.Fatalf("semantic hits differ:\n embedded %q\n qdrant   %q", x, y)
	}

	// and back, through Qdrant's Scan
	back := memory.NewEmbeddedStore()
	defer back.Close()
	res, err = mq.Migrate(ctx, q, back, "mina")
	if err != nil || res.Memories != 300 {
		t.Fatalf("Migrate back = %+v, %v", res, err)
	}
	if n := count(t, back, "mina"); n != 300 {
		t.Fatalf("embedded copy counts %d", n)
	}
}

// noDim hides EmbeddedStore's Dim method.
type noDim struct{ memory.Store }

func TestMigrateErrors(t *testing.T) {
	ctx := context.Background()
	q, srv := open(t)
	emb := memory.NewEmbeddedStore()
	defer emb.Close()
	corpus(t, emb, "b", 3)
	if _, err := mq.Migrate(ctx, emb, q, ""); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("empty bank: %v", err)
	}
	if _, err := mq.Migrate(ctx, noDim{emb}, q, "b"); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("unlistable source: %v", err)
	}
	srv.SetDown(true)
	_, err := mq.Migrate(ctx, emb, q, "b")
	var ue *mq.UpsertError
	if !errors.As(err, &ue) || len(ue.NotStored) != 3 {
		t.Fatalf("destination down: %v", err)
	}
	srv.Resume()
	if res, err := mq.Migrate(ctx, emb, q, "b"); err != nil || res.Memories != 3 {
		t.Fatalf("second run: %+v, %v", res, err)
	}
}
