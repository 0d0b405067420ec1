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
// read back whole and its checksum matches, so a process killed mid-write
// leaves at most a torn final record, which the next open discards.
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
	path string
	f    *os.File
	sync bool
	buf  []byte
}

func openLog(path string, sync bool, apply func(logRecord) error) (*logFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("memory: open store file: %w", err)
	}
	lf := &logFile{path: path, f: f, sync: sync}
	if err := lf.load(apply); err != nil {
		f.Close()
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
	if size == 0 {
		if _, err := l.f.Write([]byte(logMagic)); err != nil {
			return fmt.Errorf("memory: write store header: %w", err)
		}
		return l.syncFile()
	}
	r := bufio.NewReaderSize(l.f, 1<<20)
	head := make([]byte, len(logMagic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != logMagic {
		return fmt.Errorf("%w: %s: not a memory store file (bad header)", ErrCorrupt, l.path)
	}
	off := int64(len(logMagic))
	var hdr [8]byte
	for {
		good := off
		_, err := io.ReadFull(r, hdr[:])
		if err == io.EOF {
			break
		}
		if err != nil { // torn header at the tail
			return l.truncate(good)
		}
		ln := binary.LittleEndian.Uint32(hdr[0:4])
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		if int64(ln) > maxRecord || good+8+int64(ln) > size {
			if good+8+int64(ln) > size && int64(ln) <= maxRecord {
				return l.truncate(good)
			}
			return fmt.Errorf("%w: %s: record at offset %d has impossible length %d", ErrCorrupt, l.path, good, ln)
		}
		payload := make([]byte, ln)
		if _, err := io.ReadFull(r, payload); err != nil {
			return l.truncate(good)
		}
		off = good + 8 + int64(ln)
		if crc32.Checksum(payload, crcTable) != sum {
			if off == size { // the last record was torn mid-write
				return l.truncate(good)
			}
			return fmt.Errorf("%w: %s: checksum mismatch in record at offset %d (more records follow, refusing to drop them)", ErrCorrupt, l.path, good)
		}
		rec, err := decodeRecord(payload)
		if err != nil {
			return fmt.Errorf("%w: %s: record at offset %d: %v", ErrCorrupt, l.path, good, err)
		}
		if err := apply(rec); err != nil {
			return fmt.Errorf("%w: %s: record at offset %d: %v", ErrCorrupt, l.path, good, err)
		}
	}
	_, err = l.f.Seek(0, io.SeekEnd)
	return err
}

// truncate drops the torn tail starting at off.
func (l *logFile) truncate(off int64) error {
	if err := l.f.Truncate(off); err != nil {
		return fmt.Errorf("memory: drop torn record at offset %d: %w", off, err)
	}
	if _, err := l.f.Seek(off, io.SeekStart); err != nil {
		return err
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
	p, err := encodeRecord(r)
	if err != nil {
		return fmt.Errorf("memory: encode record: %w", err)
	}
	if len(p) > maxRecord {
		return fmt.Errorf("%w: record of %d bytes exceeds the %d byte limit; upsert fewer memories at once", ErrInvalid, len(p), maxRecord)
	}
	off, err := l.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("memory: store file position: %w", err)
	}
	l.buf = frame(l.buf[:0], p)
	if _, err := l.f.Write(l.buf); err != nil {
		_ = l.f.Truncate(off)
		_, _ = l.f.Seek(off, io.SeekStart)
		return fmt.Errorf("memory: write store file: %w", err)
	}
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
	old := l.f
	l.f = tmp
	old.Close()
	_, err = l.f.Seek(0, io.SeekEnd)
	return err
}

func (l *logFile) close() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("memory: close store file: %w", err)
	}
	return nil
}
