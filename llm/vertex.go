package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// vertexTokenSource returns a function yielding Google access tokens from
// Application Default Credentials. It fails, without any network call,
// when no credentials file is configured.
// The credentials in the file (private key, client secret, refresh token)
// and every access token fetched are registered with red.
func vertexTokenSource(getenv func(string) string, hc *http.Client, red *redactor) (func(context.Context) (string, error), error) {
	// Token requests use the model's HTTP client.
	tokenCtx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	file := getenv("GOOGLE_APPLICATION_CREDENTIALS")
	if file == "" {
		if home, err := os.UserHomeDir(); err == nil {
			wk := filepath.Join(home, ".config", "gcloud", "application_default_credentials.json")
			if _, err := os.Stat(wk); err == nil {
				file = wk
			}
		}
	}
	if file == "" {
		return nil, errors.New("missing credentials: set GOOGLE_APPLICATION_CREDENTIALS (a service-account file) or VERTEXAI_ACCESS_TOKEN, or pass an access token as the API key")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, errors.New("reading GOOGLE_APPLICATION_CREDENTIALS: " + err.Error())
	}
	var head struct {
		Type         string `json:"type"`
		PrivateKey   string `json:"private_key"`
		PrivateKeyID string `json:"private_key_id"`
		ClientSecret string `json:"client_secret"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, errors.New("GOOGLE_APPLICATION_CREDENTIALS file " + file + " is not JSON: " + err.Error())
	}
	credType := google.CredentialsType(head.Type)
	if credType != google.ServiceAccount && credType != google.AuthorizedUser {
		return nil, errors.New("GOOGLE_APPLICATION_CREDENTIALS file " + file + ": credential type \"" + head.Type +
			"\" not supported (service_account or authorized_user)")
	}
	red.add(head.PrivateKeyID, head.ClientSecret, head.RefreshToken)
	for _, line := range strings.Split(head.PrivateKey, "\n") {
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			red.add(line) // each line of the key's base64 body
		}
	}
	var (
		once sync.Once
		ts   oauth2.TokenSource
		terr error
	)
	return func(ctx context.Context) (string, error) {
		once.Do(func() {
			creds, err := google.CredentialsFromJSONWithType(tokenCtx, data, credType, "https://www.googleapis.com/auth/cloud-platform")
			if err != nil {
				terr = err
				return
			}
			ts = creds.TokenSource
		})
		if terr != nil {
			return "", terr
		}
		tok, err := ts.Token()
		if err != nil {
			return "", err
		}
		red.addRuntime(tok.AccessToken)
		if rt := tok.RefreshToken; rt != "" {
			red.addRuntime(rt)
		}
		return tok.AccessToken, nil
	}, nil
}
