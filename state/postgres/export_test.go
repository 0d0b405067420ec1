package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"
)

// OpenConfig opens a store on a pool configuration (for tests that count
// what the store sends).
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*Store, error) {
	return openConfig(ctx, cfg, cfg.ConnString())
}
