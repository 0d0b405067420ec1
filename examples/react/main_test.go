package main

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestOneLineCutsWholeCharacters(t *testing.T) {
	long := strings.Repeat("날씨", 100)
	got := oneLine(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "...") || utf8.RuneCountInString(got) != 120 {
		t.Fatalf("oneLine = %q (valid %v, %d runes)", got, utf8.ValidString(got), utf8.RuneCountInString(got))
	}
	if got := oneLine("a\nb"); got != "a b" {
		t.Fatalf("oneLine(a\\nb) = %q", got)
	}
}
