package sqlite

import (
	"database/sql"

	"github.com/jedisos/jedisos/state/internal/rowsum"
)

// MetaSum is the checksum of a meta row, for tests that write one.
func MetaSum(key string, value int64) int64 { return rowsum.Meta(key, value) }

// DB is the store's database handle, for tests that read pragmas.
func (s *Store) DB() *sql.DB { return s.db }
