// Command qdrant copies a memory bank from the embedded store into Qdrant
// and recalls from Qdrant afterwards.
//
// With no arguments it runs offline against an in-process Qdrant gRPC
// server. Give -addr host:port (and QDRANT_API_KEY if the server needs
// one) to use a real Qdrant instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/jedisos/jedisos/internal/qdranttest"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/qdrant"
)

const dim = 128

func main() {
	addr := flag.String("addr", "", "host:port of a Qdrant gRPC endpoint (default: an in-process server)")
	collection := flag.String("collection", "jedisos_example", "Qdrant collection")
	flag.Parse()
	if err := run(*addr, *collection); err != nil {
		log.Fatal(err)
	}
}

func run(addr, collection string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	// 1. A bank in the embedded store, as an application has it today.
	local := memory.NewEmbeddedStore()
	defer local.Close()
	before, err := memory.New(memory.Config{Store: local, Embedder: memory.OfflineEmbedder{Dim: dim}, Now: clock})
	if err != nil {
		return err
	}
	if err := before.PutBank(ctx, memory.Bank{ID: "mina", Name: "Mina", Background: "A product designer who moved to Busan."}); err != nil {
		return err
	}
	for _, c := range []string{
		"Mina moved from Seoul to Busan in March.",
		"Mina adopted a cat named Bori last week.",
		"Mina's team ships the new app in July.",
		"민수는 지난달 부산으로 이사했다.",
		"Jun and Mina went hiking on Jeju island.",
	} {
		if _, err := before.Retain(ctx, "mina", c, memory.RetainOptions{}); err != nil {
			return err
		}
	}

	// 2. A Qdrant store: one line of configuration.
	cfg := qdrant.Config{Collection: collection, Dimension: dim, APIKey: os.Getenv("QDRANT_API_KEY")}
	if addr == "" {
		srv, err := qdranttest.New()
		if err != nil {
			return err
		}
		defer srv.Close()
		addr = srv.Addr()
		cfg.SkipCompatibilityCheck = true
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	cfg.Host = host
	if cfg.Port, err = strconv.Atoi(port); err != nil {
		return fmt.Errorf("-addr %q: bad port", addr)
	}
	remote, err := qdrant.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer remote.Close()

	// 3. Copy the bank.
	res, err := qdrant.Migrate(ctx, local, remote, "mina")
	if err != nil {
		return err
	}
	n, err := remote.Count(ctx, "mina", memory.Filter{})
	if err != nil {
		return err
	}
	fmt.Printf("migrated %d memories (profile: %t); Qdrant now holds %d\n", res.Memories, res.Profile, n)

	// 4. The engine on Qdrant recalls what the embedded one knew.
	after, err := memory.New(memory.Config{Store: remote, Embedder: memory.OfflineEmbedder{Dim: dim}, Now: clock})
	if err != nil {
		return err
	}
	b, err := after.Store().Bank(ctx, "mina")
	if err != nil {
		return err
	}
	fmt.Println("profile:", b.Background)
	for _, q := range []string{"What is the name of Mina's cat?", "부산 이사", "hiking on Jeju"} {
		trips := remote.RoundTrips()
		r, err := after.Recall(ctx, "mina", q, memory.RecallOptions{MaxResults: 1})
		if err != nil {
			return err
		}
		top := "(nothing)"
		if len(r.Hits) > 0 {
			top = r.Hits[0].Memory.Text
		}
		fmt.Printf("%q -> %s [%d round trips]\n", q, top, remote.RoundTrips()-trips)
	}
	return nil
}
