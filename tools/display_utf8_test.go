package tools

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// A long value quoted in a violation is shortened on a character
// boundary: the model must never read broken UTF-8.
func TestViolationQuotesLongValuesAsValidUTF8(t *testing.T) {
	tool, _ := orderTool(t)
	long := strings.Repeat("가", 40) // 120 bytes
	res := tool.Execute(context.Background(), call("order",
		`{"customer":"bob","items":[{"sku":"a","count":1}],"at":"`+long+`","code":"`+long+`","unit":"`+long+`"}`))
	var ve *ValidationError
	if !errors.As(res.Err, &ve) || len(ve.Violations) != 3 {
		t.Fatalf("Err = %v, want a ValidationError with 3 violations", res.Err)
	}
	for _, v := range ve.Violations {
		if !utf8.ValidString(v.Message) {
			t.Errorf("violation at %s is not valid UTF-8: %q", v.Path, v.Message)
		}
		if !strings.Contains(v.Message, `"가가가`) || !strings.Contains(v.Message, "...") {
			t.Errorf("violation at %s does not quote the shortened value: %q", v.Path, v.Message)
		}
	}
	if !utf8.ValidString(res.Content) {
		t.Errorf("content is not valid UTF-8: %q", res.Content)
	}
}
