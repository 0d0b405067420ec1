package state

import "testing"

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
