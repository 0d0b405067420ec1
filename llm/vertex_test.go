package llm_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// A service-account file whose token endpoint is local: the access token
// is fetched once, cached, and sent as a bearer token.
func TestVertexAIServiceAccount(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	var tokenCalls atomic.Int32
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenCalls.Add(1)
		_ = r.ParseForm()
		if r.Form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || r.Form.Get("assertion") == "" {
			http.Error(w, "bad grant", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"ya29.from-service-account","expires_in":3600,"token_type":"Bearer"}`))
	}))
	defer tokens.Close()
	sa, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "p", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "svc@p.iam.gserviceaccount.com", "client_id": "1", "token_uri": tokens.URL + "/token",
	})
	file := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(file, sa, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := llmtest.NewGemini(t)
	srv.RequireKey("ya29.from-service-account")
	m, err := llm.New("vertex_ai/gemini-2.0-flash", envOf(map[string]string{
		"VERTEXAI_PROJECT": "p", "GOOGLE_APPLICATION_CREDENTIALS": file, "VERTEXAI_API_BASE": srv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := m.Complete(context.Background(), userReq("hi")); err != nil {
			t.Fatal(err)
		}
	}
	if n := tokenCalls.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1 (cached)", n)
	}
	got, _ := srv.Last()
	if got.Header.Get("Authorization") != "Bearer ya29.from-service-account" ||
		!strings.HasPrefix(got.Path, "/v1/projects/p/locations/us-central1/") {
		t.Fatalf("request %s auth %q", got.Path, got.Header.Get("Authorization"))
	}

	// An unsupported credential type is refused at New, before any request.
	bad := filepath.Join(t.TempDir(), "ext.json")
	os.WriteFile(bad, []byte(`{"type":"external_account"}`), 0o600)
	_, err = llm.New("vertex_ai/gemini-2.0-flash", envOf(map[string]string{"VERTEXAI_PROJECT": "p", "GOOGLE_APPLICATION_CREDENTIALS": bad}))
	if !errors.Is(err, llm.ErrAuthentication) || !strings.Contains(err.Error(), "external_account") {
		t.Fatalf("err = %v", err)
	}
}
