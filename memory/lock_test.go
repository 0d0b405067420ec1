package memory_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
)

func upsertN(t *testing.T, s memory.Store, bank string, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		m := memorytest.Mem(bank, fmt.Sprintf("acknowledged write %d", i), memorytest.Vec(i, i+1, 0.2))
		if err := s.Upsert(context.Background(), []memory.Memory{m}); err != nil {
			t.Fatalf("upsert %d: %v", i, err)
		}
	}
}

func count(t *testing.T, s memory.Store, bank string) int {
	t.Helper()
	n, err := s.Count(context.Background(), bank, memory.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantLocked(t *testing.T, err error, path string, pid int) {
	t.Helper()
	if !errors.Is(err, memory.ErrLocked) {
		t.Fatalf("second open: err = %v, want ErrLocked", err)
	}
	var le *memory.LockedError
	if !errors.As(err, &le) || le.Path != path || le.PID != pid {
		t.Fatalf("second open: %#v, want a *LockedError for %s held by pid %d", err, path, pid)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, strconv.Itoa(pid)) {
		t.Fatalf("message %q does not name the file and pid %d", msg, pid)
	}
}

// TestEmbeddedLockSameProcess opens one file twice in one process: the
// second open fails with ErrLocked and nothing the first store writes,
// before or after, is lost.
func TestEmbeddedLockSameProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mem.db")
	a := openFile(t, path)
	upsertN(t, a, "a", 0, 50)
	_, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	wantLocked(t, err, path, os.Getpid())
	_, err = memory.OpenEmbedded(memory.EmbeddedOptions{Path: path, ReadOnly: true})
	wantLocked(t, err, path, os.Getpid())
	upsertN(t, a, "a", 50, 50)
	if err := a.Compact(); err != nil { // renames a new file over: the lock stays
		t.Fatal(err)
	}
	_, err = memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	wantLocked(t, err, path, os.Getpid())
	upsertN(t, a, "a", 100, 10)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	b := openFile(t, path)
	if n := count(t, b, "a"); n != 110 {
		t.Fatalf("reopened store holds %d of 110 acknowledged writes", n)
	}
	upsertN(t, b, "a", 110, 1)
	_ = b.Close()
}

// TestEmbeddedReadOnly: read-only stores share a file, exclude a writer
// and refuse writes.
func TestEmbeddedReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "mem.db")
	if _, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path, ReadOnly: true}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read-only open of a missing file: %v, want not-exist", err)
	}
	w := openFile(t, path)
	upsertN(t, w, "a", 0, 5)
	_ = w.Close()
	r1, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path, ReadOnly: true})
	if err != nil {
		t.Fatalf("second reader: %v", err)
	}
	if count(t, r1, "a") != 5 || count(t, r2, "a") != 5 {
		t.Fatal("readers do not see the 5 memories")
	}
	_, err = memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	if !errors.Is(err, memory.ErrLocked) {
		t.Fatalf("writer while readers hold the file: %v, want ErrLocked", err)
	}
	before, _ := os.ReadFile(path)
	m := memorytest.Mem("a", "not written", memorytest.Vec(0, 1, 0))
	for name, err := range map[string]error{
		"Upsert":     r1.Upsert(ctx, []memory.Memory{m}),
		"PutBank":    r1.PutBank(ctx, memory.Bank{ID: "a"}),
		"Delete":     r1.Delete(ctx, "a", []string{m.ID}),
		"DeleteBank": r1.DeleteBank(ctx, "a"),
		"Compact":    r1.Compact(),
	} {
		if !errors.Is(err, memory.ErrReadOnly) {
			t.Errorf("%s on a read-only store: %v, want ErrReadOnly", name, err)
		}
	}
	_ = r2.Close()
	_ = r1.Close()
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("a read-only store changed the file")
	}
	w = openFile(t, path)
	if count(t, w, "a") != 5 {
		t.Fatal("writer after readers lost memories")
	}
	_ = w.Close()
	if _, err := memory.OpenEmbedded(memory.EmbeddedOptions{ReadOnly: true}); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("ReadOnly without Path: %v, want ErrInvalid", err)
	}
}

const (
	lockChildEnv  = "JEDISOS_MEMORY_LOCK_CHILD"
	lockChildMode = "JEDISOS_MEMORY_LOCK_MODE"
	lockChildExit = 7 // the child's open failed with ErrLocked
)

// lockChild is the other process of TestEmbeddedLockTwoProcesses. In
// "write" mode it opens the store, marks path.opened, makes 400
// acknowledged upserts, marks path.done and holds the store open until
// its stdin closes. In "open" mode it only tries to open the store and
// prints the error.
func lockChild(path, mode string) int {
	s, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	if err != nil {
		fmt.Println(err)
		if errors.Is(err, memory.ErrLocked) {
			return lockChildExit
		}
		return 2
	}
	if mode == "open" {
		_ = s.Close()
		return 0
	}
	if err := os.WriteFile(path+".opened", nil, 0o600); err != nil {
		return 3
	}
	for i := 0; i < 400; i++ {
		m := memorytest.Mem("a", fmt.Sprintf("acknowledged write %d", i), memorytest.Vec(i, i+1, 0.2))
		if err := s.Upsert(context.Background(), []memory.Memory{m}); err != nil {
			fmt.Println(err)
			return 4
		}
	}
	if err := os.WriteFile(path+".done", nil, 0o600); err != nil {
		return 3
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := s.Close(); err != nil {
		return 5
	}
	return 0
}

// TestEmbeddedLockTwoProcesses runs a writer in a child process: while it
// writes, every open in the parent fails with ErrLocked naming the
// child's pid, and afterwards all 400 of its acknowledged upserts are in
// the file. Then the parent holds the store and a child's open fails.
func TestEmbeddedLockTwoProcesses(t *testing.T) {
	if p := os.Getenv(lockChildEnv); p != "" {
		os.Exit(lockChild(p, os.Getenv(lockChildMode)))
	}
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "mem.db")
	child := func(mode string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEmbeddedLockTwoProcesses$")
		cmd.Env = append(os.Environ(), lockChildEnv+"="+path, lockChildMode+"="+mode)
		return cmd
	}
	cmd := child("write")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor := func(marker string) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := os.Stat(path + marker); err == nil {
				return
			}
			if time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("child never wrote %s; output %q", marker, out.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	waitFor(".opened")
	refused := 0
	for {
		_, done := os.Stat(path + ".done")
		_, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
		wantLocked(t, err, path, cmd.Process.Pid)
		refused++
		if done == nil {
			break
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("writer child: %v; output %q", err, out.String())
	}
	s := openFile(t, path)
	if n := count(t, s, "a"); n != 400 {
		t.Fatalf("after the child: %d of 400 acknowledged writes in the file", n)
	}
	t.Logf("%d opens refused while the child wrote; 400 of 400 acknowledged writes kept", refused)

	// The parent holds the store now: a child's open is refused.
	opener := child("open")
	msg, err := opener.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != lockChildExit {
		t.Fatalf("child open while the parent holds the store: %v, output %q; want exit %d (ErrLocked)", err, msg, lockChildExit)
	}
	if !strings.Contains(string(msg), path) || !strings.Contains(string(msg), "process "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("child's error %q does not name the file and the parent's pid %d", msg, os.Getpid())
	}
	upsertN(t, s, "a", 400, 1)
	_ = s.Close()
	if err := child("open").Run(); err != nil {
		t.Fatalf("child open after the parent closed: %v", err)
	}
}
