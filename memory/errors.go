package memory

import (
	"errors"
	"fmt"
)

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
	// ErrLimit marks input beyond one of the documented limits; the error
	// is a [*LimitError] naming the limit.
	ErrLimit = errors.New("memory: limit exceeded")
	// ErrReadOnly is returned by writes to a store opened read-only.
	ErrReadOnly = errors.New("memory: store opened read-only")
)

// LimitError reports input beyond one of the engine's limits (see
// [Config]). It matches [ErrLimit].
type LimitError struct {
	// Op is the operation refused ("retain").
	Op string
	// Limit names the setting ("Config.MaxRetainBytes").
	Limit string
	// Max is the limit's value; Got is what the input needed, as far as
	// it was counted before the limit was passed.
	Max, Got int
	// Unit says what was counted ("bytes of content", "facts").
	Unit string
}

// Error names the limit, its value and what was asked for.
func (e *LimitError) Error() string {
	return fmt.Sprintf("memory: %s: %d %s exceeds %s = %d; split the input into smaller calls or raise %s",
		e.Op, e.Got, e.Unit, e.Limit, e.Max, e.Limit)
}

// Is reports whether target is [ErrLimit].
func (e *LimitError) Is(target error) bool { return target == ErrLimit }
