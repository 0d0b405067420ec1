package graph

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/google/uuid"
)

// Checkpoint ids are version 7 UUIDs (RFC 9562): 48 bits of Unix
// milliseconds, then 12 bits that count up within one millisecond, then 62
// random bits. The counter makes the ids this process makes sort in the
// order they were made, as checkpoint ids must within a thread; the random
// bits keep ids made by different processes apart. Made here rather than
// by uuid.NewV7, which reads its random bits through an io.Reader and so
// allocates twice per id; the text is uuid.UUID's, checked in its tests.
var idClock struct {
	sync.Mutex
	last int64 // milliseconds<<12 | counter of the last id
}

// newCheckpointID returns a new version 7 UUID for the time now, as a
// string made in buf (the unused tail of a chunk of ids; a new chunk when it
// is too short), and what remains of buf.
func newCheckpointID(now time.Time, buf []byte) (string, []byte) {
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
	const n = 36
	if len(buf) < n {
		buf = make([]byte, 16*n)
	}
	b := buf[:n:n]
	// uuid.UUID's text: 8-4-4-4-12 hex digits
	a := (*[n]byte)(b)
	// unrolled, so each write is to a constant place
	a[0], a[1] = hexPairs[u[0]][0], hexPairs[u[0]][1]
	a[2], a[3] = hexPairs[u[1]][0], hexPairs[u[1]][1]
	a[4], a[5] = hexPairs[u[2]][0], hexPairs[u[2]][1]
	a[6], a[7] = hexPairs[u[3]][0], hexPairs[u[3]][1]
	a[9], a[10] = hexPairs[u[4]][0], hexPairs[u[4]][1]
	a[11], a[12] = hexPairs[u[5]][0], hexPairs[u[5]][1]
	a[14], a[15] = hexPairs[u[6]][0], hexPairs[u[6]][1]
	a[16], a[17] = hexPairs[u[7]][0], hexPairs[u[7]][1]
	a[19], a[20] = hexPairs[u[8]][0], hexPairs[u[8]][1]
	a[21], a[22] = hexPairs[u[9]][0], hexPairs[u[9]][1]
	a[24], a[25] = hexPairs[u[10]][0], hexPairs[u[10]][1]
	a[26], a[27] = hexPairs[u[11]][0], hexPairs[u[11]][1]
	a[28], a[29] = hexPairs[u[12]][0], hexPairs[u[12]][1]
	a[30], a[31] = hexPairs[u[13]][0], hexPairs[u[13]][1]
	a[32], a[33] = hexPairs[u[14]][0], hexPairs[u[14]][1]
	a[34], a[35] = hexPairs[u[15]][0], hexPairs[u[15]][1]
	a[8], a[13], a[18], a[23] = '-', '-', '-', '-'
	// The chunk's bytes are never written again: a string over them is
	// immutable.
	return unsafe.String(&b[0], n), buf[n:]
}

// hexPairs holds each byte's two lower-case hex digits.
var hexPairs = func() (t [256][2]byte) {
	const digits = "0123456789abcdef"
	for i := range t {
		t[i] = [2]byte{digits[i>>4], digits[i&0x0f]}
	}
	return t
}()

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
