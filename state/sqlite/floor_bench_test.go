package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

// The benchmarks below measure what a step's save cannot cost less than on
// the machine at hand, to set BenchmarkSQLiteStep1KB beside: the smallest
// commit through the same driver and settings, and the system calls that
// put one page into the write-ahead log.

// BenchmarkSQLiteCommitFloor1KB commits one 1 KB row into one table per
// op, in a transaction that takes the write lock at BEGIN, through a
// prepared statement, on the settings Open uses by default (write-ahead
// log, synchronous NORMAL): the least a durable step can cost here.
func BenchmarkSQLiteCommitFloor1KB(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "floor.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE rows (k INTEGER PRIMARY KEY, v BLOB NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	ins, err := db.PrepareContext(ctx, `INSERT INTO rows (k, v) VALUES (?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	defer ins.Close()
	v := make([]byte, 1024)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.StmtContext(ctx, ins).ExecContext(ctx, i, v); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWALFrameWrite is the system calls of one page appended to a
// write-ahead log, as SQLite writes it: a 24-byte frame header, then the
// 4 KB page, each by its own pwrite, into a file that wraps at 1,000
// frames (the log's default checkpoint size). A commit writes one frame
// per page it changed: a step of a 1 KB state changes about nine.
func BenchmarkWALFrameWrite(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "wal"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	hdr, page := make([]byte, 24), make([]byte, 4096)
	const frame = 24 + 4096
	off := int64(0)
	for b.Loop() {
		if _, err := f.WriteAt(hdr, off); err != nil {
			b.Fatal(err)
		}
		if _, err := f.WriteAt(page, off+24); err != nil {
			b.Fatal(err)
		}
		if off += frame; off >= 1000*frame {
			off = 0
		}
	}
}
