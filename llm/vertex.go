package llm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// vertexTokenSource returns a function yielding Google access tokens from
// Application Default Credentials. It fails, without any network call,
// when no credentials file is configured.
func vertexTokenSource(getenv func(string) string) (func(context.Context) (string, error), error) {
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
	var (
		once sync.Once
		ts   oauth2.TokenSource
		terr error
	)
	return func(ctx context.Context) (string, error) {
		once.Do(func() {
			creds, err := google.CredentialsFromJSON(context.Background(), data, "https://www.googleapis.com/auth/cloud-platform")
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
		return tok.AccessToken, nil
	}, nil
}
