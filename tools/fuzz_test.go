package tools

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExecuteArguments feeds arbitrary argument text to a tool with a
// nested input type. Execution must never panic, must either succeed or
// fail with one of the argument errors, and must always answer the model.
func FuzzExecuteArguments(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"customer":"bob","items":[{"sku":"a","count":1}],"at":"2025-03-01T09:30:00Z"}`,
		`{"customer":"bob","priority":2.0,"items":[{"sku":"a","count":1e1}],"at":"2025-03-01T09:30:00Z"}`,
		`{"customer":"bob","weight":-129,"ship":{"street":"x","city":"y","zip":null},"items":[{"sku":"a","count":18446744073709551616}],"at":"2025-03-01T09:30:00Z"}`,
		`{"customer":"\ud800","items":[{"sku":"a","count":1}],"at":"2025-02-30T25:00:00Z"}`,
		`{"a":{"b":{"c":[[[[[]]]]]}}}`, `{"customer":"bob"`, "{\"customer\":\"\xff\"}", `{"items":[{"count":1.5e300}]}`,
	} {
		f.Add(seed)
	}
	tool, err := New("order", "", func(_ context.Context, in orderIn) (string, error) {
		if in.Customer == "" || len(in.Items) == 0 {
			// Validation guarantees both; reaching here would be a bug.
			panic("validated arguments decoded without required fields")
		}
		return "ok", nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, args string) {
		res := tool.Execute(context.Background(), call("order", args))
		switch {
		case res.Err == nil:
			if res.Content != "ok" {
				t.Fatalf("success with content %q", res.Content)
			}
		case errors.Is(res.Err, ErrMalformedArguments), errors.Is(res.Err, ErrInvalidArguments):
			if !strings.HasPrefix(res.Content, "Error: ") {
				t.Fatalf("error result without an error message: %q", res.Content)
			}
			var ve *ValidationError
			if errors.As(res.Err, &ve) && len(ve.Violations) == 0 {
				t.Fatalf("validation error without violations")
			}
		default:
			t.Fatalf("arguments %q: unexpected error %v", args, res.Err)
		}
		if utf8.ValidString(args) && !utf8.ValidString(res.Content) {
			t.Fatalf("content is not valid UTF-8: %q", res.Content)
		}
	})
}
