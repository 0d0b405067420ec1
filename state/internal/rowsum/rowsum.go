// Package rowsum computes the checksums the SQL checkpoint stores keep with
// every checkpoint row and every task-writes row, so a damaged row is
// reported as corrupt instead of being read back as a different state.
//
// The checksum is CRC-32C (Castagnoli) over an unambiguous encoding of the
// row: a format byte, then every column in a fixed order, each string or
// blob as a presence byte (NULL and empty differ), its length as a uvarint
// and its bytes, each integer as 8 bytes big-endian. CRC-32C is chosen over
// a cryptographic hash because the threat is accidental damage (bit rot,
// torn or misdirected writes, a bad copy), not an adversary: anyone who can
// rewrite the file can recompute any unkeyed hash. It detects every error of
// up to 32 consecutive bits and misses random damage with a chance of 2^-32
// per row, is hardware accelerated (tens of GB/s), and fits an INTEGER
// column.
package rowsum

import (
	"encoding/binary"
	"hash"
	"hash/crc32"
)

var table = crc32.MakeTable(crc32.Castagnoli)

// format is the first byte hashed; a change of the encoding changes it.
const format = 1

type sum struct {
	h   hash.Hash32
	buf [binary.MaxVarintLen64 + 1]byte
}

func newSum(kind byte) *sum {
	s := &sum{h: crc32.New(table)}
	s.buf[0], s.buf[1] = format, kind
	s.h.Write(s.buf[:2])
	return s
}

func (s *sum) bytes(b []byte, present bool) {
	if !present {
		s.buf[0] = 0
		s.h.Write(s.buf[:1])
		return
	}
	s.buf[0] = 1
	n := binary.PutUvarint(s.buf[1:], uint64(len(b)))
	s.h.Write(s.buf[:1+n])
	s.h.Write(b)
}

func (s *sum) blob(b []byte) { s.bytes(b, b != nil) }

func (s *sum) str(v string) { s.bytes([]byte(v), true) }

func (s *sum) int(n int64) {
	binary.BigEndian.PutUint64(s.buf[:8], uint64(n))
	s.h.Write(s.buf[:8])
}

// Checkpoint is the checksum of one checkpoint row: n is its position in
// the thread's history (1 for the first), next the encoded task list and
// created the creation time as the store keeps it.
func Checkpoint(thread, id string, n int64, parent string, step int64, source string, created int64, snapshot, delta, next, extra []byte) int64 {
	s := newSum('c')
	s.str(thread)
	s.str(id)
	s.int(n)
	s.str(parent)
	s.int(step)
	s.str(source)
	s.int(created)
	s.blob(snapshot)
	s.blob(delta)
	s.blob(next)
	s.blob(extra)
	return int64(s.h.Sum32())
}

// Writes is the checksum of one task-writes row; interrupts, resumed and
// memos are their encoded lists.
func Writes(thread, checkpoint string, task int64, node string, writes, interrupts, resumed []byte, created int64, memos []byte, running bool) int64 {
	s := newSum('w')
	s.str(thread)
	s.str(checkpoint)
	s.int(task)
	s.str(node)
	s.blob(writes)
	s.blob(interrupts)
	s.blob(resumed)
	s.int(created)
	s.blob(memos)
	r := int64(0)
	if running {
		r = 1
	}
	s.int(r)
	return int64(s.h.Sum32())
}

// Meta is the checksum of one row of a store's metadata table.
func Meta(key string, value int64) int64 {
	s := newSum('m')
	s.str(key)
	s.int(value)
	return int64(s.h.Sum32())
}

// Head is the checksum of a thread's head row: its latest checkpoint and
// the number of checkpoints it has.
func Head(thread, head string, n int64) int64 {
	s := newSum('h')
	s.str(thread)
	s.str(head)
	s.int(n)
	return int64(s.h.Sum32())
}

// Written is the checksum of the row counting the task-writes rows of one
// checkpoint.
func Written(thread, checkpoint string, tasks int64) int64 {
	s := newSum('n')
	s.str(thread)
	s.str(checkpoint)
	s.int(tasks)
	return int64(s.h.Sum32())
}
