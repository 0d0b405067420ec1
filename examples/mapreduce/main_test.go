package main

import (
	"context"
	"slices"
	"testing"
)

// Documents of one word, or of none, are counted like any other.
func TestShortDocuments(t *testing.T) {
	c, err := build()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(context.Background(), Corpus{Docs: []string{"solo", ""}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Done, []string{"solo", ""}) || out.Words != 1 || out.Counts["solo"] != 1 || out.Top != "solo" {
		t.Fatalf("out = %+v", out)
	}
}
