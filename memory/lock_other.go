//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package memory

import "os"

// locking reports whether this platform locks store files: not here
// (Plan 9, WebAssembly, Solaris, AIX, ...), where the caller must make
// sure only one store opens a file.
const locking = false

func tryLock(f *os.File, shared bool) error { return nil }

func unlock(f *os.File) {}
