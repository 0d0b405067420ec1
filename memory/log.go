package memory

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
)

// The store file is a header followed by records:
//
//	[4 bytes little-endian payload length][4 bytes CRC-32C of payload][payload]
//
// The payload is one JSON logRecord. Dense vectors are stored as base64 of
// little-endian float32 bytes. A record is only acted on once it has been
// read back whole and its checksum matches. Each record is written with one
// write call, so a process killed mid-write leaves at most a prefix of the
// final record: a record whose length points past the end of the file,
// which is not itself whole and has no whole record after it. The next
// open discards it. Anything else that does not check out is corruption,
// reported and left untouched.
const logMagic = "JEDISOS-MEMORY-1\n"

const (
	opPutBank    = "bank"
	opDeleteBank = "drop-bank"
	opUpsert     = "upsert"
	opDelete     = "delete"
)

// maxRecord bounds a record's length so a damaged length field is caught
// instead of allocating gigabytes.
const maxRecord = 1 << 30

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type logRecord struct {
	Op       string       `json:"op"`
	Bank     *Bank        `json:"bank,omitempty"`
	ID       string       `json:"id,omitempty"`
	IDs      []string     `json:"ids,omitempty"`
	Memories []Memory     `json:"-"`
	Disk     []diskMemory `json:"memories,omitempty"`
}

type diskMemory struct {
	Memory
	Vec []byte `json:"vec"`
}

type logFile struct {
	path     string
	f        *os.File
	lock     *storeLock
	sync     bool
	readOnly bool
	size     int64 // bytes of whole records, where the next one goes
	buf      []byte
}

// openLog locks the store file (see acquireLock), opens it for appending
// (read-only: for reading) and replays it through apply.
func openLog(path string, sync, readOnly bool, apply func(logRecord) error) (*logFile, error) {
	lk, err := acquireLock(path, readOnly)
	if err != nil {
		return nil, err
	}
	flag := os.O_RDWR | os.O_CREATE | os.O_APPEND
	if readOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0o600)
	if err != nil {
		lk.release()
		return nil, fmt.Errorf("memory: open store file: %w", err)
	}
	lf := &logFile{path: path, f: f, lock: lk, sync: sync, readOnly: readOnly}
	if err := lf.load(apply); err != nil {
		f.Close()
		lk.release()
		return nil, err
	}
	return lf, nil
}

func (l *logFile) load(apply func(logRecord) error) error {
	st, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("memory: stat store file: %w", err)
	}
	size := st.Size()
	head := make([]byte, len(logMagic))
	n, _ := io.ReadFull(l.f, head)
	if size < int64(len(logMagic)) && string(head[:n]) == logMagic[:n] && int64(n) == size {
		// A new file, or one whose creator was killed while writing the
		// header: nothing was ever stored in it.
		if l.readOnly {
			return nil
		}
		if err := l.f.Truncate(0); err != nil {
			return fmt.Errorf("memory: write store header: %w", err)
		}
		if _, err := l.f.Write([]byte(logMagic)); err != nil {
			return fmt.Errorf("memory: write store header: %w", err)
		}
		l.size = int64(len(logMagic))
		return l.syncFile()
	}
	if string(head[:n]) != logMagic {
		return fmt.Errorf("%w: %s: not a memory store file (bad header at offset 0)", ErrCorrupt, l.path)
	}
	r := bufio.NewReaderSize(l.f, int(min(1<<20, size)))
	off := int64(len(logMagic))
	var hdr [8]byte
	for off < size {
		if size-off < 8 { // a header cut short: nothing can follow it
			return l.dropTail(off, size)
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return fmt.Errorf("memory: read store file at offset %d: %w", off, err)
		}
		ln := int64(binary.LittleEndian.Uint32(hdr[0:4]))
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		if ln > maxRecord || off+8+ln > size {
			// Either the final record was cut short by a killed writer,
			// or this length field is damaged. Only the first leaves no
			// whole record after it.
			next, err := l.findRecord(off, size)
			if err != nil {
				return err
			}
			if next < 0 {
				// A last record that is whole (the rest of the file has
				// its checksum) has a damaged length, not a torn write.
				whole, err := l.checksumAt(off+8, size-off-8, sum)
				if err != nil {
					return err
				}
				if whole {
					return fmt.Errorf("%w: %s: record at offset %d has length %d, past the end of the file, but the %d bytes to the end are whole and match its checksum; the length field is damaged, refusing to drop the record",
						ErrCorrupt, l.path, off, ln, size-off-8)
				}
			}
			if next < 0 && ln <= maxRecord {
				return l.dropTail(off, size)
			}
			if next < 0 {
				return fmt.Errorf("%w: %s: record at offset %d has impossible length %d", ErrCorrupt, l.path, off, ln)
			}
			return fmt.Errorf("%w: %s: record at offset %d has length %d, past the end of the file (%d bytes), but a whole record follows at offset %d; the length field is damaged, refusing to drop what follows",
				ErrCorrupt, l.path, off, ln, size, next)
		}
		payload := make([]byte, ln)
		if _, err := io.ReadFull(r, payload); err != nil {
			return fmt.Errorf("memory: read store file at offset %d: %w", off+8, err)
		}
		if crc32.Checksum(payload, crcTable) != sum {
			what := "more records follow, refusing to drop them"
			if off+8+ln == size {
				what = "it is the last record and complete, so it was damaged after it was written, not cut short by a crash"
			}
			return fmt.Errorf("%w: %s: checksum mismatch in record at offset %d (%s)", ErrCorrupt, l.path, off, what)
		}
		rec, err := decodeRecord(payload)
		if err != nil {
			return fmt.Errorf("%w: %s: record at offset %d: %v", ErrCorrupt, l.path, off, err)
		}
		if err := apply(rec); err != nil {
			return fmt.Errorf("%w: %s: record at offset %d: %v", ErrCorrupt, l.path, off, err)
		}
		off += 8 + ln
	}
	l.size = size
	return nil
}

// findRecord returns the offset of the first whole record with a valid
// checksum that starts after off, or -1 when there is none. Payloads are
// JSON objects and JSON text never holds the bytes a frame header starts
// with for any length up to 16 MiB, so a match is a real record.
func (l *logFile) findRecord(off, size int64) (int64, error) {
	const window = 1 << 20
	buf := make([]byte, min(window+9, size-off))
	for base := off + 1; base+10 <= size; base += window {
		n, err := l.f.ReadAt(buf[:min(int64(len(buf)), size-base)], base)
		if err != nil && err != io.EOF {
			return -1, fmt.Errorf("memory: read store file at offset %d: %w", base, err)
		}
		for i := 0; i < window && i+9 <= n; i++ {
			if buf[i+8] != '{' {
				continue
			}
			at := base + int64(i)
			ln := int64(binary.LittleEndian.Uint32(buf[i:]))
			if ln < 2 || ln > maxRecord || at+8+ln > size {
				continue
			}
			ok, err := l.checksumAt(at+8, ln, binary.LittleEndian.Uint32(buf[i+4:]))
			if err != nil {
				return -1, err
			}
			if ok {
				return at, nil
			}
		}
	}
	return -1, nil
}

// checksumAt reports whether the ln bytes at off end a JSON object and
// have the checksum sum.
func (l *logFile) checksumAt(off, ln int64, sum uint32) (bool, error) {
	var last [1]byte
	if _, err := l.f.ReadAt(last[:], off+ln-1); err != nil {
		return false, fmt.Errorf("memory: read store file at offset %d: %w", off+ln-1, err)
	}
	if last[0] != '}' {
		return false, nil
	}
	h := crc32.New(crcTable)
	if _, err := io.Copy(h, io.NewSectionReader(l.f, off, ln)); err != nil {
		return false, fmt.Errorf("memory: read store file at offset %d: %w", off, err)
	}
	return h.Sum32() == sum, nil
}

// dropTail discards the torn final record starting at off: the file is
// truncated there, or, when opened read-only, the tail is ignored.
func (l *logFile) dropTail(off, size int64) error {
	l.size = off
	if l.readOnly {
		return nil
	}
	if err := l.f.Truncate(off); err != nil {
		return fmt.Errorf("memory: drop torn record at offset %d (%d bytes): %w", off, size-off, err)
	}
	return l.syncFile()
}

func encodeRecord(r logRecord) ([]byte, error) {
	if len(r.Memories) > 0 {
		r.Disk = make([]diskMemory, len(r.Memories))
		for i := range r.Memories {
			m := r.Memories[i]
			vec := make([]byte, 4*len(m.Vector))
			for k, x := range m.Vector {
				binary.LittleEndian.PutUint32(vec[4*k:], math.Float32bits(x))
			}
			m.Vector = nil
			r.Disk[i] = diskMemory{Memory: m, Vec: vec}
		}
	}
	return json.Marshal(r)
}

func decodeRecord(p []byte) (logRecord, error) {
	var r logRecord
	if err := json.Unmarshal(p, &r); err != nil {
		return r, err
	}
	switch r.Op {
	case opPutBank:
		if r.Bank == nil {
			return r, errors.New("bank record without a bank")
		}
	case opUpsert:
		r.Memories = make([]Memory, len(r.Disk))
		for i := range r.Disk {
			d := &r.Disk[i]
			if len(d.Vec)%4 != 0 {
				return r, fmt.Errorf("memory %s: vector of %d bytes", d.ID, len(d.Vec))
			}
			m := d.Memory
			m.Vector = make([]float32, len(d.Vec)/4)
			for k := range m.Vector {
				m.Vector[k] = math.Float32frombits(binary.LittleEndian.Uint32(d.Vec[4*k:]))
			}
			if err := m.Validate(); err != nil {
				return r, err
			}
			r.Memories[i] = m
		}
		r.Disk = nil
	}
	return r, nil
}

func frame(dst, payload []byte) []byte {
	var hdr [8]byte
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(hdr[4:8], crc32.Checksum(payload, crcTable))
	dst = append(dst, hdr[:]...)
	return append(dst, payload...)
}

// append writes one record with a single write call and syncs it. On a
// failed write the file is cut back to where the record began, so the
// in-memory state (not yet changed by the caller) and the file agree.
func (l *logFile) append(r logRecord) error {
	if l.readOnly {
		return fmt.Errorf("%w: %s", ErrReadOnly, l.path)
	}
	p, err := encodeRecord(r)
	if err != nil {
		return fmt.Errorf("memory: encode record: %w", err)
	}
	if len(p) > maxRecord {
		return fmt.Errorf("%w: record of %d bytes exceeds the %d byte limit; upsert fewer memories at once", ErrInvalid, len(p), maxRecord)
	}
	l.buf = frame(l.buf[:0], p)
	if _, err := l.f.Write(l.buf); err != nil {
		_ = l.f.Truncate(l.size)
		return fmt.Errorf("memory: write store file: %w", err)
	}
	l.size += int64(len(l.buf))
	if cap(l.buf) > 1<<22 {
		l.buf = nil
	}
	return l.syncFile()
}

func (l *logFile) syncFile() error {
	if !l.sync {
		return nil
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("memory: sync store file: %w", err)
	}
	return nil
}

// rewrite replaces the file with one holding exactly recs: written to a
// temporary file in the same directory, synced, then renamed over.
func (l *logFile) rewrite(recs []logRecord) error {
	dir := filepath.Dir(l.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(l.path)+".compact-*")
	if err != nil {
		return fmt.Errorf("memory: compact: %w", err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("memory: compact: %w", err)
	}
	w := bufio.NewWriterSize(tmp, 1<<20)
	if _, err := w.WriteString(logMagic); err != nil {
		return fail(err)
	}
	var buf []byte
	for _, r := range recs {
		p, err := encodeRecord(r)
		if err != nil {
			return fail(err)
		}
		buf = frame(buf[:0], p)
		if _, err := w.Write(buf); err != nil {
			return fail(err)
		}
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), l.path); err != nil {
		return fail(err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	st, err := tmp.Stat()
	if err != nil {
		return fail(err)
	}
	// Appends go through a descriptor opened with O_APPEND; should that
	// open fail, the temporary file's own descriptor, at its end, serves.
	next := tmp
	if f, err := os.OpenFile(l.path, os.O_RDWR|os.O_APPEND, 0o600); err == nil {
		tmp.Close()
		next = f
	}
	old := l.f
	l.f, l.size = next, st.Size()
	old.Close()
	return nil
}

// close closes the file, then releases the lock.
func (l *logFile) close() error {
	err := l.f.Close()
	if lerr := l.lock.release(); err == nil && lerr != nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("memory: close store file: %w", err)
	}
	return nil
}
