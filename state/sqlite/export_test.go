package sqlite

import "github.com/jedisos/jedisos/state/internal/rowsum"

// MetaSum is the checksum of a meta row, for tests that write one.
func MetaSum(key string, value int64) int64 { return rowsum.Meta(key, value) }
