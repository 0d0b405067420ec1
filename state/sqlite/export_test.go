package sqlite

import (
	"database/sql"

	"github.com/jedisos/jedisos/state/internal/rowsum"
)

// MetaSum is the checksum of a meta row, for tests that write one.
func MetaSum(key string, value int64) int64 { return rowsum.Meta(key, value) }

// DB is the store's database handle, for tests that read pragmas.
func (s *Store) DB() *sql.DB { return s.db }

// HeadReads is how many times the store's write path has read a thread's
// head row (instead of knowing it from its own last commit).
func (s *Store) HeadReads() int {
	s.ws.mu.Lock()
	defer s.ws.mu.Unlock()
	if s.ws.w == nil {
		return 0
	}
	return s.ws.w.headReads
}
