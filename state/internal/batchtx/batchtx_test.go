package batchtx

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// A fake transaction over int ops: ops in bad fail, commits fail while
// commitFails is set; every attempt and every commit is recorded.
type fakeTx struct {
	bad         map[int]bool
	commitFails bool
	tried       [][]int
	saved       []int
}

func (f *fakeTx) tx(ops []int) (int, error) {
	f.tried = append(f.tried, slices.Clone(ops))
	for i, op := range ops {
		if f.bad[op] {
			return i, fmt.Errorf("op %d refused", op)
		}
	}
	if f.commitFails {
		return len(ops), errors.New("commit failed")
	}
	f.saved = append(f.saved, ops...)
	return len(ops), nil
}

func TestSave(t *testing.T) {
	encodeErr := errors.New("op 6 could not be encoded")
	for _, tc := range []struct {
		name        string
		ops         []int
		failed      error
		bad         map[int]bool
		commitFails bool
		wantN       int
		wantErr     string
		wantTried   [][]int
		wantSaved   []int
	}{
		{"all saved", []int{1, 2, 3}, nil, nil, false, 3, "", [][]int{{1, 2, 3}}, []int{1, 2, 3}},
		{"encoding failed after the ops", []int{1, 2}, encodeErr, nil, false, 2, encodeErr.Error(), [][]int{{1, 2}}, []int{1, 2}},
		{"an op fails: the ops before it saved again", []int{1, 2, 3, 4}, encodeErr, map[int]bool{3: true}, false, 2, "op 3 refused", [][]int{{1, 2, 3, 4}, {1, 2}}, []int{1, 2}},
		{"the first op fails: nothing tried again", []int{1, 2}, nil, map[int]bool{1: true}, false, 0, "op 1 refused", [][]int{{1, 2}}, nil},
		{"the commit fails: nothing saved", []int{1, 2}, encodeErr, nil, true, 0, "commit failed", [][]int{{1, 2}}, nil},
		{"no ops: the encoding error", nil, encodeErr, nil, false, 0, encodeErr.Error(), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTx{bad: tc.bad, commitFails: tc.commitFails}
			n, err := Save(tc.ops, tc.failed, f.tx)
			if n != tc.wantN || (err == nil) != (tc.wantErr == "") || (err != nil && err.Error() != tc.wantErr) {
				t.Fatalf("Save = %d, %v; want %d, %q", n, err, tc.wantN, tc.wantErr)
			}
			if fmt.Sprint(f.tried) != fmt.Sprint(tc.wantTried) || !slices.Equal(f.saved, tc.wantSaved) {
				t.Fatalf("tried %v, saved %v; want tried %v, saved %v", f.tried, f.saved, tc.wantTried, tc.wantSaved)
			}
		})
	}
}
