package memory_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/memory"
)

const magic = "JEDISOS-MEMORY-1\n"

// frames returns the offset of every record of a store file.
func frames(t *testing.T, data []byte) []int {
	t.Helper()
	var offs []int
	for off := len(magic); off < len(data); {
		offs = append(offs, off)
		off += 8 + int(binary.LittleEndian.Uint32(data[off:]))
	}
	return offs
}

// build32 writes a store file of 32 records, one upsert of one memory each.
func build32(t *testing.T, path string) []byte {
	t.Helper()
	s, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	upsertN(t, s, "a", 0, 32)
	_ = s.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(frames(t, data)); n != 32 {
		t.Fatalf("file has %d records, want 32", n)
	}
	return data
}

// outcome opens path holding data and classifies what the open did:
// "corrupt" (ErrCorrupt, file unchanged) or "kept N" (opened, N memories,
// file now a prefix of data ending on a record boundary).
func outcome(t *testing.T, path string, data []byte, offs []int) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path, NoSync: true})
	after, rerr := os.ReadFile(path)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		if !errors.Is(err, memory.ErrCorrupt) {
			t.Fatalf("open: %v, want ErrCorrupt or success", err)
		}
		if !bytes.Equal(after, data) {
			t.Fatalf("open failed with %v but changed the file (%d -> %d bytes)", err, len(data), len(after))
		}
		if !strings.Contains(err.Error(), "offset") {
			t.Fatalf("corruption error %q names no offset", err)
		}
		return "corrupt"
	}
	n := count(t, s, "a")
	_ = s.Close()
	if n > len(offs) || len(after) != boundary(offs, len(data), n) || !bytes.Equal(after, data[:len(after)]) {
		t.Fatalf("open kept %d memories and left %d bytes: not the first %d whole records", n, len(after), n)
	}
	return fmt.Sprintf("kept %d", n)
}

func boundary(offs []int, size, n int) int {
	if n < len(offs) {
		return offs[n]
	}
	return size
}

// TestEmbeddedCorruptionKeepsIntactRecords damages a 32-record file in
// every way a single bit can, and cuts it at every offset of its last
// records. Damage is ErrCorrupt with the file untouched (a whole last
// record with a damaged length included); only a record cut short (what
// a crash mid-write leaves) is dropped, and every record before it is
// kept.
func TestEmbeddedCorruptionKeepsIntactRecords(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mem.db")
	data := build32(t, path)
	offs := frames(t, data)
	last := len(offs) - 1
	flip := func(pos, bit int) []byte {
		d := bytes.Clone(data)
		d[pos] ^= 1 << bit
		return d
	}
	tally := map[string]map[string]int{}
	note := func(class, res string) {
		if tally[class] == nil {
			tally[class] = map[string]int{}
		}
		tally[class][res]++
	}

	// Every bit of every length field.
	for r, off := range offs {
		for bit := 0; bit < 32; bit++ {
			res := outcome(t, path, flip(off+bit/8, bit%8), offs)
			if res != "corrupt" {
				t.Fatalf("record %d (of %d) length bit %d: %s, want ErrCorrupt: the record is whole", r, last+1, bit, res)
			}
			note("length field", res)
		}
	}
	// The lowest and highest bit of each checksum byte (CRC-32C detects
	// every single-bit error; this checks the loader acts on it).
	for _, off := range offs {
		for _, bit := range []int{0, 7, 8, 15, 16, 23, 24, 31} {
			if res := outcome(t, path, flip(off+4+bit/8, bit%8), offs); res != "corrupt" {
				t.Fatalf("checksum field of record at %d, bit %d: %s, want ErrCorrupt", off, bit, res)
			} else {
				note("checksum field", res)
			}
		}
	}
	// Single-bit flips at 300 random payload positions and every bit of
	// the header.
	rng := rand.New(rand.NewPCG(17, 4))
	for range 300 {
		r := rng.IntN(len(offs))
		end := boundary(offs, len(data), r+1)
		pos := offs[r] + 8 + rng.IntN(end-offs[r]-8)
		if res := outcome(t, path, flip(pos, rng.IntN(8)), offs); res != "corrupt" {
			t.Fatalf("payload byte %d of record %d: %s, want ErrCorrupt", pos, r, res)
		} else {
			note("payload", res)
		}
	}
	for pos := range len(magic) {
		for bit := range 8 {
			note("header", outcome(t, path, flip(pos, bit), offs))
		}
	}
	if tally["header"]["corrupt"] != 8*len(magic) {
		t.Fatalf("header flips: %v, want all ErrCorrupt", tally["header"])
	}
	// Torn tails: the file cut at every offset inside its last record and
	// every third offset of the two before.
	for cut := offs[last-2] + 1; cut < len(data); cut++ {
		if cut < offs[last] && cut%3 != 0 {
			continue
		}
		whole := 0
		for whole < len(offs) && boundary(offs, len(data), whole+1) <= cut {
			whole++
		}
		res := outcome(t, path, data[:cut], offs)
		if res != fmt.Sprintf("kept %d", whole) {
			t.Fatalf("file cut at %d: %s, want kept %d", cut, res, whole)
		}
		note("cut", res)
	}
	for _, class := range []string{"length field", "checksum field", "payload", "header", "cut"} {
		t.Logf("%-14s %v", class, tally[class])
	}
}

// TestEmbeddedCompleteLastRecordBadChecksum: a last record that is whole
// but fails its checksum was damaged, not torn; it is reported, not
// dropped.
func TestEmbeddedCompleteLastRecordBadChecksum(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mem.db")
	data := build32(t, path)
	data[len(data)-2] ^= 0x01
	_ = os.WriteFile(path, data, 0o600)
	_, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	if !errors.Is(err, memory.ErrCorrupt) || !strings.Contains(err.Error(), "last record") {
		t.Fatalf("err = %v, want ErrCorrupt about the last record", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
		t.Fatal("file changed")
	}
}

// TestEmbeddedReadOnlySkipsTornTail: a read-only open ignores a torn tail
// and leaves it for the next writer to truncate.
func TestEmbeddedReadOnlySkipsTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mem.db")
	data := build32(t, path)
	offs := frames(t, data)
	torn := data[:offs[31]+5]
	_ = os.WriteFile(path, torn, 0o600)
	r, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, r, "a"); n != 31 {
		t.Fatalf("read-only open of a torn file: %d memories, want 31", n)
	}
	_ = r.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(after, torn) {
		t.Fatal("read-only open changed the file")
	}
	w := openFile(t, path)
	_ = w.Close()
	if st, _ := os.Stat(path); st.Size() != int64(offs[31]) {
		t.Fatalf("writer left %d bytes, want the torn tail cut at %d", st.Size(), offs[31])
	}
}

// TestEmbeddedTornHeader: a file cut inside its header (the creator was
// killed) opens as an empty store.
func TestEmbeddedTornHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mem.db")
	_ = os.WriteFile(path, []byte(magic[:7]), 0o600)
	s := openFile(t, path)
	upsertN(t, s, "a", 0, 2)
	_ = s.Close()
	s = openFile(t, path)
	defer s.Close()
	if n := count(t, s, "a"); n != 2 {
		t.Fatalf("%d memories, want 2", n)
	}
}
