package memory

import "errors"

// Sentinel errors; every error the package returns wraps one of them where
// it applies, so callers can test with errors.Is.
var (
	// ErrInvalid marks bad input: an empty bank, an unknown kind, a
	// malformed filter. The message names the field.
	ErrInvalid = errors.New("memory: invalid input")
	// ErrNotFound marks a bank or memory that does not exist.
	ErrNotFound = errors.New("memory: not found")
	// ErrClosed is returned by a store used after Close.
	ErrClosed = errors.New("memory: store closed")
	// ErrDimension marks a vector whose length differs from the bank's.
	ErrDimension = errors.New("memory: vector dimension mismatch")
	// ErrCorrupt marks a store file whose contents cannot be read back.
	ErrCorrupt = errors.New("memory: store file corrupt")
	// ErrExtract marks a failure to turn content into facts.
	ErrExtract = errors.New("memory: extraction failed")
	// ErrLocked marks a store file another EmbeddedStore holds open; the
	// error is a [*LockedError] naming the file and the holder's pid.
	ErrLocked = errors.New("memory: store file locked")
	// ErrReadOnly is returned by writes to a store opened read-only.
	ErrReadOnly = errors.New("memory: store opened read-only")
)
