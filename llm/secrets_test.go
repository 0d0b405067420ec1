package llm_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// reachable collects every string and byte slice reachable from v, through
// pointers, interfaces, structs (unexported fields too), slices, arrays and
// maps: everything errors.As could hand a caller.
func reachable(v any) []string {
	var out []string
	seen := map[uintptr]bool{}
	var walk func(reflect.Value, int)
	walk = func(x reflect.Value, depth int) {
		if !x.IsValid() || depth > 40 {
			return
		}
		switch x.Kind() {
		case reflect.String:
			out = append(out, x.String())
		case reflect.Pointer:
			if x.IsNil() || seen[x.Pointer()] {
				return
			}
			seen[x.Pointer()] = true
			walk(x.Elem(), depth+1)
		case reflect.Interface:
			walk(x.Elem(), depth+1)
		case reflect.Struct:
			for i := range x.NumField() {
				walk(x.Field(i), depth+1)
			}
		case reflect.Slice:
			if x.Type().Elem().Kind() == reflect.Uint8 {
				out = append(out, string(x.Bytes()))
				return
			}
			fallthrough
		case reflect.Array:
			for i := range x.Len() {
				walk(x.Index(i), depth+1)
			}
		case reflect.Map:
			it := x.MapRange()
			for it.Next() {
				walk(it.Key(), depth+1)
				walk(it.Value(), depth+1)
			}
		}
	}
	walk(reflect.ValueOf(v), 0)
	return out
}

// leaks reports where secret (in any letter case: header names are
// canonicalised) appears in err: its text, any value reachable from it, the
// slog output and what callbacks saw.
func leaks(secret string, err error, logs string, seen []error) []string {
	low := strings.ToLower(secret)
	var where []string
	check := func(what, s string) {
		if strings.Contains(strings.ToLower(s), low) {
			where = append(where, fmt.Sprintf("%s: %.200q", what, s))
		}
	}
	check("Error()", err.Error())
	for _, s := range reachable(err) {
		check("field of the returned error", s)
	}
	check("slog", logs)
	for _, e := range seen {
		check("callback Error()", e.Error())
		for _, s := range reachable(e) {
			check("field of the callback's error", s)
		}
	}
	return where
}

// observed is a model's callbacks and log.
type observed struct {
	logs bytes.Buffer
	seen []error
}

func (o *observed) options() llm.Option {
	logger := slog.New(slog.NewJSONHandler(&o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return llm.WithCallbacks(llm.CallbackFuncs{Failure: func(_ context.Context, _ *llm.CallInfo, err error) {
		o.seen = append(o.seen, err)
	}}, llm.LogCallback(logger))
}

// The keys echoed back: one of a well-known shape, one of no known shape
// (caught only because it is registered), one with characters that URL
// and JSON encodings change.
var echoKeys = []string{"sk-test-SECRET-0123456789", "zQ8vTm3LpWx6NcR2", "wJalr/XUtn+FEMI/K7MD=ENG"}

// echoScenario is a provider failure echoing the key somewhere.
type echoScenario struct {
	name   string
	flavor llmtest.Flavor
	reply  func(key string) llmtest.Reply
	stream bool
}

func bodyReply(status int, body string) llmtest.Reply {
	return llmtest.Reply{Status: status, Body: body}
}

func jsonBody(v any) string { b, _ := json.Marshal(v); return string(b) }

func headerReply(h map[string]string) llmtest.Reply {
	return llmtest.Reply{Status: 401, ErrorType: "invalid_request_error", ErrorMessage: "Invalid credentials", Header: h}
}

var echoScenarios = []echoScenario{
	// the body
	{name: "error.message", reply: func(k string) llmtest.Reply {
		return llmtest.Reply{Status: 401, ErrorType: "invalid_request_error", ErrorCode: "invalid_api_key", ErrorMessage: "Incorrect API key provided: " + k}
	}},
	{name: "error.type", reply: func(k string) llmtest.Reply {
		return bodyReply(400, jsonBody(map[string]any{"error": map[string]any{"message": "bad", "type": k}}))
	}},
	{name: "error.code", reply: func(k string) llmtest.Reply {
		return bodyReply(400, jsonBody(map[string]any{"error": map[string]any{"message": "bad", "code": k}}))
	}},
	{name: "error.param", reply: func(k string) llmtest.Reply {
		return bodyReply(400, jsonBody(map[string]any{"error": map[string]any{"message": "bad", "param": k}}))
	}},
	{name: "top-level message", reply: func(k string) llmtest.Reply {
		return bodyReply(400, jsonBody(map[string]any{"message": "key " + k + " rejected"}))
	}},
	{name: "detail", reply: func(k string) llmtest.Reply { return bodyReply(422, jsonBody(map[string]any{"detail": "auth " + k})) }},
	{name: "nested details", reply: func(k string) llmtest.Reply {
		return bodyReply(403, jsonBody(map[string]any{"error": map[string]any{"message": "denied", "details": []any{map[string]any{"reason": "KEY", "metadata": map[string]any{"key": k}}}}}))
	}},
	{name: "object key", reply: func(k string) llmtest.Reply { return bodyReply(400, `{"error":{"message":"bad"},"`+k+`":true}`) }},
	{name: "plain text", reply: func(k string) llmtest.Reply { return bodyReply(500, "upstream refused key "+k+"\n") }},
	{name: "HTML", reply: func(k string) llmtest.Reply {
		return bodyReply(502, "<html><body><h1>502</h1><p>"+k+"</p></body></html>")
	}},
	{name: "JSON-escaped slash", reply: func(k string) llmtest.Reply {
		return bodyReply(400, `{"error":{"message":"bad","param":"`+strings.ReplaceAll(k, "/", `\/`)+`"}}`)
	}},
	{name: "URL-encoded", reply: func(k string) llmtest.Reply {
		return bodyReply(400, jsonBody(map[string]any{"error": map[string]any{"message": "see https://x.test/p?k=" + url.QueryEscape(k)}}))
	}},
	{name: "query parameter", reply: func(k string) llmtest.Reply {
		return bodyReply(400, jsonBody(map[string]any{"error": map[string]any{"message": "GET /v1/x?api_key=" + k + "&a=1"}}))
	}},
	{name: "repeated", reply: func(k string) llmtest.Reply { return bodyReply(400, strings.Repeat(k+",", 50)) }},
	{name: "cut at the body limit", reply: func(k string) llmtest.Reply {
		pad := strings.Repeat("x", 64<<10-len(k)/2)
		return bodyReply(500, pad+k+strings.Repeat("y", 100))
	}},
	{name: "gemini error", flavor: llmtest.Gemini, reply: func(k string) llmtest.Reply {
		return bodyReply(400, jsonBody(map[string]any{"error": map[string]any{"code": 400, "message": "API key not valid", "status": "INVALID_ARGUMENT",
			"details": []any{map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "metadata": map[string]any{"key": k}}}}}))
	}},
	{name: "anthropic error", flavor: llmtest.Anthropic, reply: func(k string) llmtest.Reply {
		return bodyReply(401, jsonBody(map[string]any{"type": "error", "error": map[string]any{"type": "authentication_error", "message": "invalid x-api-key " + k}}))
	}},
	{name: "200 body that is not JSON", reply: func(k string) llmtest.Reply { return bodyReply(200, "oops "+k) }},
	{name: "stream error message", stream: true, reply: func(k string) llmtest.Reply {
		return llmtest.Reply{Text: "abcdefgh", StreamError: "server_error", ErrorMessage: "key " + k}
	}},
	{name: "stream error type", stream: true, reply: func(k string) llmtest.Reply {
		return llmtest.Reply{Text: "abcdefgh", StreamError: k, ErrorMessage: "failed"}
	}},
	{name: "anthropic stream error", flavor: llmtest.Anthropic, stream: true, reply: func(k string) llmtest.Reply {
		return llmtest.Reply{Text: "abcdefgh", StreamError: "overloaded_error", ErrorMessage: "for " + k}
	}},
	// the headers
	{name: "echo header", reply: func(k string) llmtest.Reply { return headerReply(map[string]string{"X-Echo": k}) }},
	{name: "x-api-key header", reply: func(k string) llmtest.Reply { return headerReply(map[string]string{"X-Api-Key": k}) }},
	{name: "authorization header", reply: func(k string) llmtest.Reply { return headerReply(map[string]string{"Authorization": "Bearer " + k}) }},
	{name: "www-authenticate", reply: func(k string) llmtest.Reply {
		return headerReply(map[string]string{"Www-Authenticate": `Bearer realm="api", error="invalid_token", error_description="` + k + `"`})
	}},
	{name: "set-cookie", reply: func(k string) llmtest.Reply {
		return headerReply(map[string]string{"Set-Cookie": "session=" + k + "; Path=/"})
	}},
	{name: "location", reply: func(k string) llmtest.Reply {
		return headerReply(map[string]string{"Location": "https://x.test/?key=" + k})
	}},
	{name: "link", reply: func(k string) llmtest.Reply {
		return headerReply(map[string]string{"Link": "<https://x.test/" + k + ">; rel=next"})
	}},
	{name: "header name", reply: func(k string) llmtest.Reply {
		return headerReply(map[string]string{"X-" + strings.NewReplacer("/", "", "+", "", "=", "").Replace(k): "1"})
	}},
	{name: "lower-case bearer", reply: func(k string) llmtest.Reply { return headerReply(map[string]string{"X-Debug": "bearer " + k}) }},
	{name: "mixed-case bearer", reply: func(k string) llmtest.Reply { return headerReply(map[string]string{"X-Debug": "BeArEr " + k}) }},
	{name: "basic credentials", reply: func(k string) llmtest.Reply { return headerReply(map[string]string{"X-Debug": "Basic " + k}) }},
	{name: "JSON in a header", reply: func(k string) llmtest.Reply {
		return headerReply(map[string]string{"X-Request": `{"api_key":"` + k + `"}`})
	}},
	{name: "gemini header", flavor: llmtest.Gemini, reply: func(k string) llmtest.Reply { return headerReply(map[string]string{"X-Goog-Api-Key": k}) }},
	{name: "anthropic header", flavor: llmtest.Anthropic, reply: func(k string) llmtest.Reply {
		return headerReply(map[string]string{"X-Echo-Key": k, "Retry-After": "7"})
	}},
	{name: "rate limit with echo", reply: func(k string) llmtest.Reply {
		return llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", ErrorMessage: "slow down " + k, Header: map[string]string{"Retry-After": "3", "X-Echo": k}}
	}},
}

// No key echoed by a provider, in any body field or header, is reachable
// from the error: not in Error(), not in any field found with errors.As
// (HTTPError's Body and Header included), not in slog output, not in what
// callbacks receive.
func TestKeyEchoScenarios(t *testing.T) {
	if len(echoScenarios) < 36 {
		t.Fatalf("%d scenarios", len(echoScenarios))
	}
	for _, sc := range echoScenarios {
		for _, key := range echoKeys {
			t.Run(sc.name+"/"+key[:4], func(t *testing.T) {
				var srv *llmtest.Server
				model := "gpt-4o"
				switch sc.flavor {
				case llmtest.Gemini:
					srv, model = llmtest.NewGemini(t), "gemini/gemini-2.0-flash"
				case llmtest.Anthropic:
					srv, model = llmtest.NewAnthropic(t), "claude-sonnet-4-5"
				default:
					srv = llmtest.NewOpenAI(t)
				}
				srv.Enqueue(sc.reply(key))
				var o observed
				m := newModel(t, model, srv, llm.WithAPIKey(key), o.options())
				req := userReq("hi")
				if sc.stream {
					req.Stream = func(context.Context, llm.Chunk) error { return nil }
				}
				_, err := m.Complete(context.Background(), req)
				if err == nil {
					t.Fatal("no error")
				}
				if w := leaks(key, err, o.logs.String(), o.seen); len(w) > 0 {
					t.Fatalf("key leaked:\n%s", strings.Join(w, "\n"))
				}
				if len(o.seen) != 1 || o.logs.Len() == 0 {
					t.Fatalf("callbacks saw %d errors, log %d bytes", len(o.seen), o.logs.Len())
				}
				// the typed details survive, redacted
				var e *llm.Error
				if !errors.As(err, &e) || (!sc.stream && sc.name != "200 body that is not JSON" && e.StatusCode < 400) {
					t.Fatalf("err = %#v", err)
				}
				if e.StatusCode >= 400 {
					var he *llm.HTTPError
					if !errors.As(err, &he) || he.StatusCode != e.StatusCode {
						t.Fatalf("no *HTTPError for status %d: %v", e.StatusCode, err)
					}
					if ra := he.Header.Get("Retry-After"); strings.Contains(sc.name, "rate limit") && (ra != "3" || e.RetryAfter.Seconds() != 3) {
						t.Fatalf("Retry-After lost: header %q, %v", ra, e.RetryAfter)
					}
				}
				if sc.name == "error.message" && (e.Kind != llm.ErrAuthentication || !strings.Contains(e.Message, "Incorrect API key provided: [REDACTED]")) {
					t.Fatalf("classification or message lost: %v", err)
				}
			})
		}
	}
}

// Credentials other than the API key are redacted too: tokens fetched at
// run time from a service account (Vertex AI), credential headers given
// in Params.Headers (an Azure AD token), and bearer credentials in any
// letter case.
func TestOtherCredentialsRedacted(t *testing.T) {
	// Vertex AI: an access token of no known shape, fetched from the token
	// endpoint, echoed bare and in a mixed-case bearer header.
	const token = "opaque.RuntimeToken.k3Jq9"
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"expires_in":3600,"token_type":"Bearer"}`, token)
	}))
	defer tokens.Close()
	sa, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "p", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "svc@p.iam.gserviceaccount.com", "client_id": "1", "token_uri": tokens.URL + "/token"})
	file := filepath.Join(t.TempDir(), "sa.json")
	os.WriteFile(file, sa, 0o600)
	srv := llmtest.NewGemini(t)
	srv.SetDefault(llmtest.Reply{Status: 403, ErrorType: "PERMISSION_DENIED", ErrorMessage: "token " + token + " lacks aiplatform.endpoints.predict",
		Header: map[string]string{"X-Debug": "BeArEr " + token, "X-Token-Echo": token}})
	for _, stream := range []bool{false, true} {
		var o observed
		m, err := llm.New("vertex_ai/gemini-2.0-flash", envOf(map[string]string{
			"VERTEXAI_PROJECT": "p", "GOOGLE_APPLICATION_CREDENTIALS": file, "VERTEXAI_API_BASE": srv.URL}), o.options())
		if err != nil {
			t.Fatal(err)
		}
		req := userReq("hi")
		if stream {
			req.Stream = func(context.Context, llm.Chunk) error { return nil }
		}
		_, err = m.Complete(context.Background(), req)
		if !errors.Is(err, llm.ErrPermissionDenied) {
			t.Fatalf("err = %v", err)
		}
		if w := leaks(token, err, o.logs.String(), o.seen); len(w) > 0 {
			t.Fatalf("vertex token leaked:\n%s", strings.Join(w, "\n"))
		}
		if got, _ := srv.Last(); got.Header.Get("Authorization") != "Bearer "+token {
			t.Fatalf("token not sent: %q", got.Header.Get("Authorization"))
		}
	}

	// A failing token endpoint echoing the service account's key material.
	pemBody := strings.Split(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "\n")[1]
	badTokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"bad key %s"}`, pemBody)
	}))
	defer badTokens.Close()
	sa2, _ := json.Marshal(map[string]string{"type": "service_account", "project_id": "p", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "svc@p.iam.gserviceaccount.com", "client_id": "1", "token_uri": badTokens.URL + "/token"})
	file2 := filepath.Join(t.TempDir(), "sa2.json")
	os.WriteFile(file2, sa2, 0o600)
	var o2 observed
	m2, err := llm.New("vertex_ai/gemini-2.0-flash", envOf(map[string]string{
		"VERTEXAI_PROJECT": "p", "GOOGLE_APPLICATION_CREDENTIALS": file2, "VERTEXAI_API_BASE": srv.URL}), o2.options())
	if err != nil {
		t.Fatal(err)
	}
	_, err = m2.Complete(context.Background(), userReq("hi"))
	if !errors.Is(err, llm.ErrAuthentication) {
		t.Fatalf("err = %v", err)
	}
	if w := leaks(pemBody, err, o2.logs.String(), o2.seen); len(w) > 0 {
		t.Fatalf("private key leaked:\n%s", strings.Join(w, "\n"))
	}

	// Credential headers from Params.Headers (an Azure AD token instead of
	// an api-key), echoed bare.
	const aad = "aadOpaqueToken.Xy12.Zw34"
	asrv := llmtest.NewOpenAI(t)
	asrv.SetDefault(llmtest.Reply{Status: 401, ErrorType: "invalid_request_error", ErrorMessage: "token " + aad + " expired",
		Header: map[string]string{"X-Echo": aad}})
	var o3 observed
	am, err := llm.New("azure/my-deployment", llm.WithAPIBase(asrv.URL), llm.WithAPIKey("unused-api-key"),
		llm.WithHeaders(map[string]string{"Authorization": "Bearer " + aad, "X-Custom-Auth-Token": "custom-" + aad}), o3.options())
	if err != nil {
		t.Fatal(err)
	}
	_, err = am.Complete(context.Background(), userReq("hi"))
	if !errors.Is(err, llm.ErrAuthentication) {
		t.Fatalf("err = %v", err)
	}
	if w := leaks(aad, err, o3.logs.String(), o3.seen); len(w) > 0 {
		t.Fatalf("azure AD token leaked:\n%s", strings.Join(w, "\n"))
	}

	// Bedrock: the AWS SDK keeps the signed request (session token
	// included) and the raw response in its error values.
	const session = "bedrockSessionToken.Q9w8e7"
	bsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "UnrecognizedClientException")
		w.Header().Set("X-Echo", session)
		w.WriteHeader(403)
		fmt.Fprintf(w, `{"message":"The security token %s included in the request is invalid."}`, session)
	}))
	defer bsrv.Close()
	var o4 observed
	bm, err := llm.New("bedrock/anthropic.claude-3-sonnet-20240229-v1:0", envOf(map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLEBEDROCK", "AWS_SECRET_ACCESS_KEY": "bedrock-secret-value",
		"AWS_SESSION_TOKEN": session, "AWS_BEDROCK_RUNTIME_ENDPOINT": bsrv.URL}), o4.options())
	if err != nil {
		t.Fatal(err)
	}
	_, err = bm.Complete(context.Background(), userReq("hi"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, secret := range []string{session, "AKIDEXAMPLEBEDROCK", "bedrock-secret-value"} {
		if w := leaks(secret, err, o4.logs.String(), o4.seen); len(w) > 0 {
			t.Fatalf("bedrock credential leaked (%v):\n%s", err, strings.Join(w, "\n"))
		}
	}
}

func TestRedactSecretsCaseAndShapes(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("user:pa55word"))
	for _, in := range []string{
		"Authorization: BeArEr abcdefgh12345678",
		"authorization: bearer abcdefgh12345678",
		"AUTHORIZATION: BEARER abcdefgh12345678",
		"Authorization: Basic " + basic,
		"authorization: BASIC " + basic,
		"key sk-proj-abcdefghijklmnop1234 leaked",
		"google AIzaSyA1234567890abcdefghijklmnopqrstu leaked",
		"oauth ya29.a0AfH6SMBx1234567890abcdef leaked",
		"aws AKIAIOSFODNN7EXAMPLE leaked",
		"jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl leaked",
		"https://x.test/?client_secret=s3cr3tvalue&x=1",
	} {
		out := llm.RedactSecrets(in)
		for _, bad := range []string{"abcdefgh12345678", basic, "sk-proj-abcdefghijklmnop1234", "AIzaSyA1234567890abcdefghijklmnopqrstu",
			"ya29.a0AfH6SMBx1234567890abcdef", "AKIAIOSFODNN7EXAMPLE", "eyJhbGciOiJSUzI1NiJ9", "s3cr3tvalue"} {
			if strings.Contains(out, bad) {
				t.Errorf("%q -> %q", in, out)
			}
		}
		if !strings.Contains(out, "[REDACTED]") {
			t.Errorf("%q -> %q: nothing redacted", in, out)
		}
	}
	// prose stays readable
	for _, in := range []string{"basic authentication failed for this request", "bearer token required", "the task-management-system failed"} {
		if out := llm.RedactSecrets(in); out != in {
			t.Errorf("%q -> %q", in, out)
		}
	}
}

func TestLooksLikeSecret(t *testing.T) {
	for _, s := range []string{"sk-proj-abcdefghijklmnop1234", "AIzaSyA1234567890abcdefghijklmnopqrstu", "Bearer abcdefgh12345678",
		"zQ8vTm3LpWx6NcR2aa91", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "ya29.a0AfH6SMBx1234567890abcdef"} {
		if !llm.LooksLikeSecret(s) {
			t.Errorf("%q does not look like a secret", s)
		}
	}
	for _, s := range []string{"0.7", "gpt-4o", "gemini/gemini-2.0-flash", "30s", "simple-shuffle", "claude-sonnet-4-5-20250929",
		"https://api.openai.com/v1", "os.environ/OPENAI_API_KEY", "true", "anthropic.claude-3-sonnet-20240229-v1:0", "",
		"InternalServerErrorRetries", "usage-based-routing-v2", "together_ai/meta-llama/Llama-3-70b-chat-hf"} {
		if llm.LooksLikeSecret(s) {
			t.Errorf("%q looks like a secret", s)
		}
	}
}
