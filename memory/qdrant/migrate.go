package qdrant

import (
	"context"
	"errors"
	"fmt"

	"github.com/jedisos/jedisos/memory"
)

// Scanner is implemented by stores that can list every memory of a bank
// ([Store] does, with Qdrant's scroll). fn receives pages of memories with
// their vectors.
type Scanner interface {
	Scan(ctx context.Context, bank string, fn func([]memory.Memory) error) error
}

// MigrateResult reports what [Migrate] copied.
type MigrateResult struct {
	// Memories is the number of memories copied.
	Memories int
	// Profile is true when the bank's profile was copied too.
	Profile bool
}

// migratePage is how many memories Migrate reads and writes at a time.
const migratePage = 256

// Migrate copies one bank (its profile and every memory, with vectors and
// ids unchanged) from one store to another, for example from the embedded
// store to Qdrant. Memories already in the destination are replaced;
// nothing is deleted from either store, so an interrupted migration can
// simply be run again.
//
// The source is listed with its Scan method when it has one ([Scanner]);
// otherwise it must report its dimension with a Dim() int method (as
// memory.EmbeddedStore does) and is listed through an exhaustive semantic
// search. The copy is checked: the destination must then count at least
// as many memories in the bank as were copied.
func Migrate(ctx context.Context, from, to memory.Store, bank string) (MigrateResult, error) {
	var res MigrateResult
	if from == nil || to == nil {
		return res, fmt.Errorf("%w: migrate: source and destination stores are required", memory.ErrInvalid)
	}
	if bank == "" {
		return res, fmt.Errorf("%w: migrate: bank is empty", memory.ErrInvalid)
	}
	b, err := from.Bank(ctx, bank)
	switch {
	case err == nil:
		if err := to.PutBank(ctx, b); err != nil {
			return res, fmt.Errorf("migrate bank %q: profile: %w", bank, err)
		}
		res.Profile = true
	case !errors.Is(err, memory.ErrNotFound):
		return res, fmt.Errorf("migrate bank %q: read profile: %w", bank, err)
	}
	put := func(ms []memory.Memory) error {
		for i := range ms {
			if ms[i].Sparse.Len() == 0 {
				ms[i].Sparse = memory.DefaultBM25.Document(ms[i].Text)
			}
		}
		if err := to.Upsert(ctx, ms); err != nil {
			return fmt.Errorf("migrate bank %q: write after %d memories: %w", bank, res.Memories, err)
		}
		res.Memories += len(ms)
		return nil
	}
	if sc, ok := from.(Scanner); ok {
		if err := sc.Scan(ctx, bank, put); err != nil {
			return res, err
		}
	} else if err := scanBySearch(ctx, from, bank, put); err != nil {
		return res, err
	}
	n, err := to.Count(ctx, bank, memory.Filter{})
	if err != nil {
		return res, fmt.Errorf("migrate bank %q: verify: %w", bank, err)
	}
	if n < res.Memories {
		return res, fmt.Errorf("migrate bank %q: destination counts %d memories after %d were copied", bank, n, res.Memories)
	}
	return res, nil
}

// scanBySearch lists a bank through one semantic search that keeps every
// memory (similarity floor below -1), then reads them back with vectors.
func scanBySearch(ctx context.Context, from memory.Store, bank string, fn func([]memory.Memory) error) error {
	d, ok := from.(interface{ Dim() int })
	if !ok {
		return fmt.Errorf("%w: migrate: source store %T can neither Scan nor report its dimension (Dim)", memory.ErrInvalid, from)
	}
	total, err := from.Count(ctx, bank, memory.Filter{})
	if err != nil {
		return fmt.Errorf("migrate bank %q: count source: %w", bank, err)
	}
	if total == 0 || d.Dim() == 0 {
		return nil
	}
	probe := make([]float32, d.Dim())
	probe[0] = 1
	res, err := from.Search(ctx, memory.SearchRequest{Bank: bank, Limit: total, Dense: probe, MinSimilarity: -2})
	if err != nil {
		return fmt.Errorf("migrate bank %q: list source: %w", bank, err)
	}
	if len(res.Candidates) != total {
		return fmt.Errorf("migrate bank %q: listing found %d of the %d memories the source counts", bank, len(res.Candidates), total)
	}
	ids := make([]string, len(res.Candidates))
	for i, c := range res.Candidates {
		ids[i] = c.Memory.ID
	}
	for start := 0; start < len(ids); start += migratePage {
		chunk := ids[start:min(start+migratePage, len(ids))]
		ms, err := from.Get(ctx, bank, chunk)
		if err != nil {
			return fmt.Errorf("migrate bank %q: read source: %w", bank, err)
		}
		if len(ms) != len(chunk) {
			return fmt.Errorf("migrate bank %q: source returned %d of %d memories (changed during migration?)", bank, len(ms), len(chunk))
		}
		if err := fn(ms); err != nil {
			return err
		}
	}
	return nil
}
