package memory

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// LockedError reports a store file another [EmbeddedStore], in this
// process or another, holds open. It matches [ErrLocked].
type LockedError struct {
	// Path is the store file.
	Path string
	// PID is the process holding the store open for writing, 0 when not
	// known (a read-only opener, or the holder has not yet written it).
	PID int
	// ReadOnly reports that this opener asked for read-only access, which
	// only a writer denies.
	ReadOnly bool
}

// Error names the file and, where known, the holder's pid.
func (e *LockedError) Error() string {
	who := "another opener (pid unknown, possibly read-only openers)"
	switch {
	case e.PID != 0 && e.PID == os.Getpid():
		who = fmt.Sprintf("another EmbeddedStore of this process (pid %d)", e.PID)
	case e.PID != 0:
		who = fmt.Sprintf("process %d", e.PID)
	}
	return fmt.Sprintf("memory: store file %s is locked by %s (lock file %s); close that store first, or open with EmbeddedOptions.ReadOnly when no writer holds it",
		e.Path, who, lockPath(e.Path))
}

// Is reports whether target is [ErrLocked].
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// errWouldBlock is what tryLock returns when another open file holds a
// conflicting lock.
var errWouldBlock = errors.New("lock held elsewhere")

func lockPath(path string) string { return path + ".lock" }

// storeLock is the lock of one open store: an advisory lock (flock on
// Unix, LockFileEx on Windows) on the sidecar file <path>.lock, which is
// never renamed or removed, so compaction (which renames a new store file
// over the old) keeps it. An exclusive holder writes its pid into it.
type storeLock struct {
	f      *os.File
	shared bool
}

// acquireLock takes the lock for the store file path without waiting: an
// exclusive lock for a writer, a shared one for a read-only opener.
func acquireLock(path string, shared bool) (*storeLock, error) {
	lp := lockPath(path)
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil && shared {
		f, err = os.Open(lp) // a read-only directory with a lock file in it
	}
	if err != nil {
		return nil, fmt.Errorf("memory: open lock file: %w", err)
	}
	if err := tryLock(f, shared); err != nil {
		if errors.Is(err, errWouldBlock) {
			pid := readPID(f)
			f.Close()
			return nil, &LockedError{Path: path, PID: pid, ReadOnly: shared}
		}
		f.Close()
		return nil, fmt.Errorf("memory: lock %s: %w", lp, err)
	}
	// Holding the lock means no writer is alive, so a pid in the file is
	// stale: a writer records its own, a reader clears it (best effort:
	// the file may not be writable).
	_ = f.Truncate(0)
	if !shared {
		if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
			unlock(f)
			f.Close()
			return nil, fmt.Errorf("memory: write lock file %s: %w", lp, err)
		}
	}
	return &storeLock{f: f, shared: shared}, nil
}

// release clears the pid (so a later blocked opener is not told of a
// process that has gone) and drops the lock.
func (l *storeLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	if !l.shared {
		_ = l.f.Truncate(0)
	}
	unlock(l.f)
	err := l.f.Close()
	l.f = nil
	return err
}

func readPID(f *os.File) int {
	var buf [32]byte
	n, _ := f.ReadAt(buf[:], 0)
	pid, err := strconv.Atoi(string(bytes.TrimSpace(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
