//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package memory

import "os"

// tryLock takes no lock: this platform has none the store uses (Plan 9,
// WebAssembly, Solaris, AIX, ...), so the caller must make sure only one
// store opens a file.
func tryLock(f *os.File, shared bool) error { return nil }

func unlock(f *os.File) {}
