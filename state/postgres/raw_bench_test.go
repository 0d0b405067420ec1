package postgres_test

import (
	"context"
	"testing"

	"github.com/jedisos/jedisos/state/postgres"
)

// BenchmarkPostgresRoundTrip measures the floor under the store's figures
// on this machine: a SELECT 1, and a one-row insert committed with and
// without waiting for the WAL flush.
func BenchmarkPostgresRoundTrip(b *testing.B) {
	ctx := context.Background()
	store, err := postgres.Open(ctx, need(b))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	b.Run("select1", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := store.Pool().QueryRow(ctx, "SELECT 1").Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
	store.Pool().Exec(ctx, "CREATE TABLE IF NOT EXISTS rt (n BIGINT)")
	for _, sc := range []string{"on", "off"} {
		b.Run("insert-commit-sync-"+sc, func(b *testing.B) {
			for b.Loop() {
				if _, err := store.Pool().Exec(ctx, "SET synchronous_commit = "+sc+"; INSERT INTO rt VALUES (1)"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
