package state_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/state"
)

// rawText is a json.Marshaler that writes its bytes as a JSON string
// without checking them.
type rawText string

func (r rawText) MarshalJSON() ([]byte, error) { return []byte(`"` + string(r) + `"`), nil }

func (r *rawText) UnmarshalJSON(b []byte) error {
	*r = rawText(strings.Trim(string(b), `"`))
	return nil
}

type Doc struct {
	Title string
	Parts []Part `reduce:"append"`
	Meta  map[string][]string
	Ptr   *Part
	Blob  []byte
	Raw   rawText
}

type Part struct{ Body string }

func TestEncodeRefusesInvalidUTF8(t *testing.T) {
	p, err := state.NewPlan[Doc]()
	if err != nil {
		t.Fatal(err)
	}
	// Valid text round-trips exactly, including U+FFFD itself and text
	// that looks like its escape.
	ok := Doc{Title: "\ufffd and \\ufffd and 한국어", Parts: []Part{{Body: "\u2028"}}, Blob: []byte{0xff, 0}, Raw: "fine"}
	b, err := p.EncodeState(&ok)
	if err != nil {
		t.Fatal(err)
	}
	back, err := p.DecodeState(b)
	if err != nil || back.Title != ok.Title || back.Parts[0].Body != "\u2028" || string(back.Blob) != "\xff\x00" {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for _, tc := range []struct {
		name string
		doc  Doc
		want string
	}{
		{"field", Doc{Title: "a\xffb"}, "Doc.Title has byte 0xff at offset 1 of 3"},
		{"slice element", Doc{Parts: []Part{{Body: "ok"}, {Body: "\xc3("}}}, "Doc.Parts[1].Body has byte 0xc3 at offset 0 of 2"},
		{"map value", Doc{Meta: map[string][]string{"k": {"x", "\x80"}}}, `Doc.Meta["k"][1] has byte 0x80`},
		{"pointer", Doc{Ptr: &Part{Body: "\xfe"}}, "Doc.Ptr.Body has byte 0xfe"},
		{"marshaler", Doc{Raw: "\xff"}, "a json.Marshaler wrote byte 0xff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.EncodeState(&tc.doc)
			if !errors.Is(err, state.ErrInvalidUTF8) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("EncodeState: %v; want ErrInvalidUTF8 with %q", err, tc.want)
			}
		})
	}
	// Writes name the index in the state of an appended element.
	in := Doc{Parts: []Part{{Body: "a"}, {Body: "b"}}}
	out := in
	out.Parts = append(append([]Part(nil), in.Parts...), Part{Body: "c"}, Part{Body: "\xff"})
	_, err = p.EncodeWrites(&in, &out)
	if !errors.Is(err, state.ErrInvalidUTF8) || !strings.Contains(err.Error(), "Doc.Parts[3].Body") {
		t.Fatalf("EncodeWrites: %v", err)
	}
	if _, err := state.EncodeValue("the answer to interrupt i1", map[string]string{"a": "\xff"}); !errors.Is(err, state.ErrInvalidUTF8) || !strings.Contains(err.Error(), `the answer to interrupt i1["a"]`) {
		t.Fatalf("EncodeValue: %v", err)
	}
}

func ExampleErrInvalidUTF8() {
	type Chat struct {
		Messages []string `reduce:"append"`
		Upload   []byte   // binary data: saved exactly
	}
	p, _ := state.NewPlan[Chat]()
	_, err := p.EncodeState(&Chat{Messages: []string{"hello", "caf\xe9"}})
	fmt.Println(errors.Is(err, state.ErrInvalidUTF8))
	fmt.Println(err)
	b, _ := p.EncodeState(&Chat{Messages: []string{strings.ToValidUTF8("caf\xe9", "?")}, Upload: []byte("caf\xe9")})
	back, _ := p.DecodeState(b)
	fmt.Printf("%q %q\n", back.Messages, back.Upload)
	// Output:
	// true
	// state: encode state_test.Chat: state: string is not valid UTF-8 and would not survive a checkpoint unchanged: Chat.Messages[1] has byte 0xe9 at offset 3 of 4
	// ["caf?"] "caf\xe9"
}
