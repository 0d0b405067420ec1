// Package timecol converts times to and from the integer "created" columns
// of the SQL checkpoint stores: nanoseconds since 1970 in UTC, with the zero
// time.Time (out of that range) kept as math.MinInt64.
package timecol

import (
	"math"
	"time"
)

// Zero is the column value that stands for the zero time.Time.
const Zero = math.MinInt64

// UnixNano returns the column value of t.
func UnixNano(t time.Time) int64 {
	if t.IsZero() {
		return Zero
	}
	return t.UnixNano()
}

// FromUnixNano returns the time a column value stands for, in UTC.
func FromUnixNano(n int64) time.Time {
	if n == Zero {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
