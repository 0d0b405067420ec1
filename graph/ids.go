package graph

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Checkpoint ids are version 7 UUIDs (RFC 9562): 48 bits of Unix
// milliseconds, then 12 bits that count up within one millisecond, then 62
// random bits. The counter makes the ids this process makes sort in the
// order they were made, as checkpoint ids must within a thread; the random
// bits keep ids made by different processes apart. Made here rather than
// by uuid.NewV7, which reads its random bits through an io.Reader and so
// allocates twice per id.
var idClock struct {
	sync.Mutex
	last int64 // milliseconds<<12 | counter of the last id
}

// newCheckpointID returns a new version 7 UUID as a string, and the time
// it carries.
func newCheckpointID(now time.Time) string {
	t := now.UnixMilli() << 12
	idClock.Lock()
	if t <= idClock.last {
		t = idClock.last + 1
	}
	idClock.last = t
	idClock.Unlock()
	var u uuid.UUID
	ms := uint64(t >> 12)
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = 0x70 | byte(t>>8)&0x0f
	u[7] = byte(t)
	binary.BigEndian.PutUint64(u[8:], rand.Uint64())
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

// appendExtra appends the JSON encoding of ex, as encoding/json writes it,
// without reflection for the fields every step sets.
func appendExtra(b []byte, ex extra) []byte {
	if ex.Origin != "" || len(ex.Break) > 0 {
		e := ex
		j, _ := json.Marshal(&e)
		return append(b, j...)
	}
	b = append(b, '{')
	open := len(b)
	sep := func() {
		if len(b) > open {
			b = append(b, ',')
		}
	}
	if len(ex.Joins) > 0 {
		b = append(b, `"j":[`...)
		for i, j := range ex.Joins {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, j, 10)
		}
		b = append(b, ']')
	}
	if ex.Since != 0 {
		sep()
		b = append(b, `"s":`...)
		b = strconv.AppendInt(b, int64(ex.Since), 10)
	}
	if ex.Full != 0 {
		sep()
		b = append(b, `"f":`...)
		b = strconv.AppendInt(b, int64(ex.Full), 10)
	}
	if ex.Upd {
		sep()
		b = append(b, `"u":true`...)
	}
	return append(b, '}')
}
