package llm

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// DebugEnv is the environment variable that turns on request/response
// logging for every model built afterwards, as LITELLM_LOG does:
// JEDISOS_LOG=debug. WithDebugLog does the same for one model.
const DebugEnv = "JEDISOS_LOG"

// maxDebugBody bounds how much of a request or response body one debug
// line carries.
const maxDebugBody = 64 << 10

// debugFromEnv reports whether the environment asks for debug logging.
func debugFromEnv(getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv(DebugEnv))) {
	case "debug", "true", "1":
		return true
	}
	return false
}

// WithDebugLog logs every HTTP request the model sends and every response
// it gets, at slog.LevelDebug on l: method, URL, headers and body, then
// status, headers, body (a stream's events as one body once it ends) and
// the time taken. API keys are redacted everywhere: the key values the
// model knows, Authorization / x-api-key / api-key / x-goog-api-key
// headers, key-like query parameters and bearer tokens. Message contents
// are logged: this is for debugging, as LiteLLM's LITELLM_LOG=DEBUG. A nil
// l writes text lines to standard error. Setting JEDISOS_LOG=debug in the
// environment turns this on for every model (and every Router deployment)
// built from then on, with a nil logger. Bedrock's AWS SDK client is not
// covered.
func WithDebugLog(l *slog.Logger) Option {
	return func(c *config) {
		c.debug = true
		c.debugLog = l
	}
}

// stderrDebug is the logger used when none is given: text lines on the
// standard error of the moment the model is built.
func stderrDebug() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// debugClient returns a copy of hc whose transport logs through l.
func debugClient(hc *http.Client, l *slog.Logger, red *redactor, provider, model string) *http.Client {
	if l == nil {
		l = stderrDebug()
	}
	c := *hc
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = &debugTransport{base: base, l: l, red: red, provider: provider, model: model}
	return &c
}

type debugTransport struct {
	base            http.RoundTripper
	l               *slog.Logger
	red             *redactor
	provider, model string
}

// secretHeaders are headers whose value is a credential.
var secretHeaders = map[string]bool{"Authorization": true, "X-Api-Key": true, "Api-Key": true, "X-Goog-Api-Key": true,
	"Proxy-Authorization": true, "Cookie": true, "Set-Cookie": true}

func (t *debugTransport) headers(h http.Header) slog.Attr {
	attrs := make([]any, 0, len(h))
	for _, k := range slices.Sorted(maps.Keys(h)) {
		v := strings.Join(h[k], ", ")
		if secretHeaders[http.CanonicalHeaderKey(k)] {
			v = redacted
		} else {
			v = t.red.scrub(v)
		}
		attrs = append(attrs, slog.String(k, v))
	}
	return slog.Group("headers", attrs...)
}

func (t *debugTransport) body(b []byte, truncated bool) string {
	s := t.red.scrub(string(b))
	if truncated {
		s += "...(truncated)"
	}
	return s
}

func (t *debugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	enabled := t.l.Enabled(ctx, slog.LevelDebug)
	if !enabled {
		return t.base.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil && req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			reqBody, _ = io.ReadAll(io.LimitReader(rc, maxDebugBody+1))
			rc.Close()
		}
	}
	t.l.LogAttrs(ctx, slog.LevelDebug, "llm debug request",
		slog.String("provider", t.provider), slog.String("model", t.model),
		slog.String("method", req.Method), slog.String("url", t.red.scrub(req.URL.String())),
		t.headers(req.Header), slog.String("body", t.body(reqBody[:min(len(reqBody), maxDebugBody)], len(reqBody) > maxDebugBody)))
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.l.LogAttrs(ctx, slog.LevelDebug, "llm debug response",
			slog.String("provider", t.provider), slog.String("model", t.model),
			slog.String("error", t.red.scrub(err.Error())), slog.Duration("elapsed", time.Since(start)))
		return nil, err
	}
	resp.Body = &debugBody{ReadCloser: resp.Body, t: t, ctx: ctx, resp: resp, start: start}
	return resp, nil
}

// debugBody keeps what the caller reads and logs it once the body is
// closed (or fully read).
type debugBody struct {
	io.ReadCloser
	t      *debugTransport
	ctx    context.Context
	resp   *http.Response
	start  time.Time
	buf    bytes.Buffer
	total  int
	logged sync.Once
}

func (b *debugBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		if room := maxDebugBody - b.buf.Len(); room > 0 {
			b.buf.Write(p[:min(n, room)])
		}
		b.total += n
	}
	if err == io.EOF {
		b.log()
	}
	return n, err
}

func (b *debugBody) Close() error {
	err := b.ReadCloser.Close()
	b.log()
	return err
}

func (b *debugBody) log() {
	b.logged.Do(func() {
		t := b.t
		t.l.LogAttrs(b.ctx, slog.LevelDebug, "llm debug response",
			slog.String("provider", t.provider), slog.String("model", t.model),
			slog.Int("status", b.resp.StatusCode), t.headers(b.resp.Header),
			slog.String("body", t.body(b.buf.Bytes(), b.total > maxDebugBody)), slog.Duration("elapsed", time.Since(b.start)))
	})
}
