package qdranttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

func numPoints(from, to int) []*qdrant.PointStruct {
	var pts []*qdrant.PointStruct
	for i := from; i <= to; i++ {
		pts = append(pts, &qdrant.PointStruct{Id: qdrant.NewIDNum(uint64(i)),
			Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(float32(i), 1, 0, 0)}),
			Payload: qdrant.NewValueMap(map[string]any{"i": int64(i)})})
	}
	return pts
}

func TestFailNextThenSucceed(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	must(t, srv.FailNext(qdrant.Points_Upsert_FullMethodName, 2, codes.Unavailable))

	var codesSeen []codes.Code
	for attempt := 0; attempt < 5; attempt++ {
		_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Points: numPoints(1, 3)})
		if err == nil {
			break
		}
		codesSeen = append(codesSeen, codeOf(err))
	}
	if len(codesSeen) != 2 || codesSeen[0] != codes.Unavailable || codesSeen[1] != codes.Unavailable {
		t.Fatalf("failures seen: %v, want two Unavailable", codesSeen)
	}
	if n := srv.Calls(qdrant.Points_Upsert_FullMethodName); n != 3 {
		t.Fatalf("upsert calls %d, want 3", n)
	}
	n, err := c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"})
	must(t, err)
	if n != 3 {
		t.Fatalf("count %d, want 3", n)
	}

	// Other methods are unaffected; DeadlineExceeded works the same way.
	must(t, srv.FailNext(qdrant.Points_Query_FullMethodName, 1, codes.DeadlineExceeded))
	_, err = c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"})
	must(t, err)
	_, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "m"})
	wantCode(t, err, codes.DeadlineExceeded, "injected")
	_, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "m"})
	must(t, err)

	// Clearing a pending fault.
	must(t, srv.FailNext(qdrant.Points_Query_FullMethodName, 3, codes.Internal))
	must(t, srv.FailNext(qdrant.Points_Query_FullMethodName, 0, codes.Internal))
	_, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "m"})
	must(t, err)

	err = srv.FailNext("Upsert", 1, codes.Unavailable)
	if !errors.Is(err, ErrUnknownMethod) || !strings.Contains(err.Error(), `"Upsert"`) {
		t.Fatalf("unknown method: %v", err)
	}
	if err := srv.FailNext(qdrant.Points_Upsert_FullMethodName, 1, codes.OK); err == nil {
		t.Fatal("code OK should be rejected")
	}
}

func TestStopMidBatch(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	srv.StopAfterPoints(2)
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Points: numPoints(10, 14)})
	wantCode(t, err, codes.Unavailable, "after 2 of 5 points")
	// The server is down now.
	_, err = c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"})
	wantCode(t, err, codes.Unavailable, "server is down")
	_, err = c.HealthCheck(ctx(t))
	wantCode(t, err, codes.Unavailable)

	srv.Resume()
	res, err := c.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "m"})
	must(t, err)
	eqIDs(t, "applied before the stop", rids(res), []uint64{10, 11})

	// A stop later than the batch applies everything but still never
	// acknowledges it.
	srv.StopAfterPoints(100)
	_, err = c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Points: numPoints(20, 21)})
	wantCode(t, err, codes.Unavailable, "after applying all 2 points")
	srv.Resume()
	n, err := c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"})
	must(t, err)
	if n != 4 {
		t.Fatalf("count %d, want 4", n)
	}

	srv.SetDown(true)
	_, err = c.ListCollections(ctx(t))
	wantCode(t, err, codes.Unavailable)
	srv.SetDown(false)
	_, err = c.ListCollections(ctx(t))
	must(t, err)
}

func TestCallCounters(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Points: numPoints(1, 5)})
	must(t, err)
	srv.ResetCalls()
	if srv.TotalCalls() != 0 {
		t.Fatalf("total after reset %d", srv.TotalCalls())
	}
	// One hybrid recall: one Query round trip.
	_, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "m",
		Prefetch: []*qdrant.PrefetchQuery{densePF(10, nil), sparsePF(10, nil)}, Query: qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(61))})})
	must(t, err)
	_, err = c.GetCollectionInfo(ctx(t), "m")
	must(t, err)
	counts := srv.CallCounts()
	if counts[qdrant.Points_Query_FullMethodName] != 1 || counts[qdrant.Collections_Get_FullMethodName] != 1 || len(counts) != 2 || srv.TotalCalls() != 2 {
		t.Fatalf("counts %v", counts)
	}
	if len(Methods()) < 40 {
		t.Fatalf("Methods() lists only %d methods", len(Methods()))
	}
}

func TestAPIKey(t *testing.T) {
	const key = "s3cret-key-value"
	srv := Start(t, WithAPIKey(key))
	bad := []string{"", "wrong-key-123"}
	for _, k := range bad {
		cfg := srv.Config()
		cfg.APIKey = k
		c, err := qdrant.NewClient(cfg)
		must(t, err)
		_, err = c.ListCollections(ctx(t))
		_ = c.Close()
		wantCode(t, err, codes.Unauthenticated)
		if k != "" && strings.Contains(err.Error(), k) || strings.Contains(err.Error(), key) {
			t.Fatalf("error leaks a key: %v", err)
		}
	}
	cfg := srv.Config()
	cfg.APIKey = key
	c, err := qdrant.NewClient(cfg)
	must(t, err)
	defer c.Close()
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	if srv.Calls(qdrant.Collections_List_FullMethodName) != 2 {
		t.Fatalf("rejected calls are counted too: got %d", srv.Calls(qdrant.Collections_List_FullMethodName))
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	const workers, per = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*3)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				id := w*per + i + 1
				if _, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Points: numPoints(id, id)}); err != nil {
					errs <- fmt.Errorf("upsert %d: %w", id, err)
					return
				}
				if _, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "m", Query: qdrant.NewQueryDense([]float32{1, 1, 0, 0}), Using: qdrant.PtrOf("dense")}); err != nil {
					errs <- fmt.Errorf("query: %w", err)
					return
				}
				if _, err := c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"}); err != nil {
					errs <- fmt.Errorf("count: %w", err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n, err := c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"})
	must(t, err)
	if n != workers*per {
		t.Fatalf("count %d, want %d", n, workers*per)
	}
	if got := srv.Calls(qdrant.Points_Upsert_FullMethodName); got != workers*per {
		t.Fatalf("upsert calls %d, want %d", got, workers*per)
	}
}

func TestRecordRequests(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	_, err := c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"})
	must(t, err)
	if got := srv.Requests(qdrant.Points_Count_FullMethodName); len(got) != 0 {
		t.Fatalf("recorded %d requests while off", len(got))
	}
	srv.RecordRequests(true)
	req := &qdrant.QueryPoints{CollectionName: "m",
		Prefetch: []*qdrant.PrefetchQuery{densePF(7, nil), sparsePF(9, nil)}, Query: qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(61))})}
	_, err = c.Query(ctx(t), req)
	must(t, err)
	got := srv.Requests(qdrant.Points_Query_FullMethodName)
	if len(got) != 1 || !proto.Equal(got[0], req) {
		t.Fatalf("recorded %v, want %v", got, req)
	}
	srv.ResetRequests()
	srv.RecordRequests(false)
	if len(srv.Requests(qdrant.Points_Query_FullMethodName)) != 0 {
		t.Fatal("ResetRequests kept requests")
	}
}

func TestDelay(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	must(t, srv.SetDelay(qdrant.Points_Count_FullMethodName, time.Minute))
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Count(short, &qdrant.CountPoints{CollectionName: "m"})
	wantCode(t, err, codes.DeadlineExceeded)
	// Other methods are not delayed; removing the delay restores Count.
	_, err = c.ListCollections(ctx(t))
	must(t, err)
	must(t, srv.SetDelay(qdrant.Points_Count_FullMethodName, 0))
	_, err = c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"})
	must(t, err)
	if err := srv.SetDelay("Count", time.Second); !errors.Is(err, ErrUnknownMethod) {
		t.Fatalf("unknown method: %v", err)
	}
}
