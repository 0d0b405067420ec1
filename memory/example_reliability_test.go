package memory_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jedisos/jedisos/memory"
)

// A store file has one writer at a time: a second open fails at once
// with a LockedError naming the file and the process holding it.
func ExampleLockedError() {
	dir, _ := os.MkdirTemp("", "memory-lock")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mem.db")

	first, _ := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	_, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	var le *memory.LockedError
	fmt.Println(errors.Is(err, memory.ErrLocked), errors.As(err, &le) && le.PID == os.Getpid())

	_ = first.Close()
	second, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	fmt.Println(err)
	_ = second.Close()
	// Output:
	// true true
	// <nil>
}

// Read-only stores share a file under a shared lock and refuse writes.
func ExampleEmbeddedOptions_readOnly() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "memory-ro")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mem.db")
	w, _ := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	_ = w.PutBank(ctx, memory.Bank{ID: "mina", Name: "Mina"})
	_ = w.Close()

	r1, _ := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path, ReadOnly: true})
	r2, _ := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path, ReadOnly: true})
	defer r1.Close()
	defer r2.Close()
	b, _ := r2.Bank(ctx, "mina")
	fmt.Println(b.Name)
	fmt.Println(errors.Is(r1.PutBank(ctx, memory.Bank{ID: "jun"}), memory.ErrReadOnly))
	_, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	fmt.Println(errors.Is(err, memory.ErrLocked))
	// Output:
	// Mina
	// true
	// true
}

// Retain bounds its work; content over the limit is refused, naming it.
func ExampleLimitError() {
	e, _ := memory.New(memory.Config{MaxRetainBytes: 64})
	defer e.Close()
	_, err := e.Retain(context.Background(), "mina", strings.Repeat("Mina likes tea. ", 5), memory.RetainOptions{})
	var le *memory.LimitError
	fmt.Println(errors.Is(err, memory.ErrLimit), errors.As(err, &le) && le.Limit == "Config.MaxRetainBytes")
	fmt.Println(err)
	// Output:
	// true true
	// memory: retain: 80 bytes of content exceeds Config.MaxRetainBytes = 64; split the input into smaller calls or raise Config.MaxRetainBytes
}

// Strings that are not valid UTF-8 are refused, never rewritten.
func ExampleMemory_Validate() {
	e, _ := memory.New(memory.Config{})
	defer e.Close()
	_, err := e.Retain(context.Background(), "mina", "Mina moved to S\xe9oul.", memory.RetainOptions{})
	fmt.Println(errors.Is(err, memory.ErrInvalid))
	fmt.Println(err)
	// Output:
	// true
	// memory: invalid input: retain item 0: content is not valid UTF-8 (byte 0xe9 at offset 15); strings are stored as UTF-8 text, so convert or encode it first
}
