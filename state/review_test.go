package state

import (
	"errors"
	"testing"
)

func TestNumFieldsCountsEmbeddedFields(t *testing.T) {
	type inner struct {
		A []int `reduce:"append"`
		B int
	}
	type outer struct {
		inner
		C string
	}
	p, err := NewPlan[outer]()
	if err != nil {
		t.Fatal(err)
	}
	if n := p.NumFields(); n != 3 || len(p.Fields()) != n || p.FieldIndex("A") != 0 || p.FieldIndex("C") != 2 {
		t.Fatalf("NumFields = %d, fields %v", n, p.Fields())
	}
}

func TestNilCustomReducerReported(t *testing.T) {
	type st struct{ X int }
	_, err := NewPlan[st](WithReducer[int]("X", nil))
	var pe *PlanError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems[0] != "field X: registered reducer is nil" {
		t.Fatalf("err = %v", err)
	}
}
