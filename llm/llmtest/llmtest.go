// Package llmtest provides scriptable httptest servers that speak the wire
// formats of OpenAI chat completions (also Azure's and Ollama's /v1
// paths), Anthropic messages (also Bedrock's invoke path for Anthropic
// models), Gemini generateContent, in JSON and server-sent events, and
// Ollama's native /api/chat in JSON and NDJSON. Applications use it to test
// their agents without network or keys, the way jedisos tests itself:
// point a model (llm.WithAPIBase(srv.APIBase())) or a Router deployment
// (api_base) at a server and script what it answers.
//
// Each server answers from a queue of scripted Replies (Enqueue), or from a
// function of the request (SetResponder), else from the default reply
// (SetDefault; a short text answer until set). A Reply is text, reasoning,
// tool calls (streamed one after another or interleaved), usage as the
// provider reports it, log probabilities and extra choices; or a failure:
// an HTTP error with the provider's own error body and headers (Status,
// ErrorType, ErrorCode, ErrorMessage, Header such as Retry-After,
// RetryDelay), a stream cut after N events (CutAfter), an in-band error
// event (StreamError), a malformed chunk (Malformed), a slow answer
// (Delay), a dropped connection (Drop). RequireKey makes the server check
// the API key as the provider does. Every request is recorded (Requests,
// Last, Count) with its decoded JSON body, so tests can assert exactly
// what was sent. ClosedURL gives an address that refuses connections.
//
// NewOpenAI, NewAnthropic, NewGemini and NewOllama start a server closed
// at the end of the test; Start starts one for examples, benchmarks and
// programs, closed by the caller.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Flavor names the wire format a Server speaks.
type Flavor string

// The wire formats.
const (
	OpenAI    Flavor = "openai"
	Anthropic Flavor = "anthropic"
	Gemini    Flavor = "gemini"
	Ollama    Flavor = "ollama"
)

// ToolCall is a scripted tool call.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // JSON text
}

// Usage are token counts exactly as the provider reports them on the wire:
// Prompt is OpenAI's prompt_tokens (including cached), Anthropic's
// input_tokens (excluding cache reads and writes), Gemini's
// promptTokenCount; Completion is completion_tokens / output_tokens /
// candidatesTokenCount (Gemini's excludes Reasoning, sent as
// thoughtsTokenCount).
type Usage struct {
	Prompt, Completion, CacheRead, CacheWrite, Reasoning int
}

// Reply is one scripted answer.
type Reply struct {
	// Status is the HTTP status (default 200). A status >= 400 without Body
	// renders ErrorMessage/ErrorType in the provider's error-body shape.
	Status int
	// Header adds response headers (e.g. "Retry-After").
	Header map[string]string
	// Body, when set, is sent verbatim (with Status) instead of a rendered reply.
	Body string
	// ErrorType is the provider's error type or status string
	// ("rate_limit_error", "overloaded_error", "RESOURCE_EXHAUSTED", ...).
	ErrorType string
	// ErrorCode is OpenAI's error code ("context_length_exceeded", ...).
	ErrorCode string
	// ErrorMessage is the error's message.
	ErrorMessage string
	// RetryDelay is Gemini's RetryInfo retryDelay put in the error body ("30s").
	RetryDelay string

	// Text is the assistant's answer; Reasoning its thinking.
	Text      string
	Reasoning string
	// ToolCalls are the calls the assistant asks for, in order.
	ToolCalls []ToolCall
	// Usage is reported as the provider would.
	Usage Usage
	// Finish is the provider's raw stop reason; empty picks the usual one
	// ("stop"/"tool_calls", "end_turn"/"tool_use", "STOP").
	Finish string

	// ChunkSize splits streamed text into pieces of this many bytes (default
	// 4), a piece growing only to end on a character boundary.
	ChunkSize int
	// Interleave streams the arguments of parallel tool calls interleaved,
	// fragment by fragment, as OpenAI does.
	Interleave bool
	// CutAfter, when > 0, closes a stream after that many events, without
	// its terminal event.
	CutAfter int
	// StreamError, when set, ends a stream (after CutAfter events if set,
	// else after the content) with an in-band error event of this type;
	// ErrorMessage is its message.
	StreamError string
	// Malformed, when > 0, makes event number Malformed of a stream invalid JSON.
	Malformed int
	// Logprobs renders a log probability for each piece of text (the
	// streamed chunks, or the text cut into ChunkSize pieces): the piece is
	// the token, its logprob -(k+1)/10 for the k-th piece, with as many
	// alternatives "alt0", "alt1"... as the request's top_logprobs (OpenAI)
	// or generationConfig.logprobs (Gemini) asked for.
	Logprobs bool
	// Choices are the texts of further choices of a non-streamed reply
	// (OpenAI choices[1:], Gemini candidates[1:]), for requests with n > 1.
	Choices []string
	// Delay waits before answering (ends early if the client goes away).
	Delay time.Duration
	// Drop closes the connection without any response.
	Drop bool

	top int // alternatives per token the request asked for
}

// Request is one request the server received.
type Request struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
	// JSON is the decoded body (nil if it was not a JSON object).
	JSON map[string]any
	// Stream is whether a streamed answer was asked for.
	Stream bool
}

// Server is a scriptable provider server.
type Server struct {
	*httptest.Server
	flavor Flavor

	mu       sync.Mutex
	queue    []Reply
	def      Reply
	requests []Request
	key      string
	seq      int
	respond  func(Request) (Reply, bool)
}

// SetResponder makes the server ask f for each reply, before the queue:
// when f returns false the queue (or the default) answers. f may be
// called concurrently.
func (s *Server) SetResponder(f func(Request) (Reply, bool)) {
	s.mu.Lock()
	s.respond = f
	s.mu.Unlock()
}

// NewOpenAI starts an OpenAI chat-completions server; it is closed at the
// end of the test.
func NewOpenAI(t testing.TB) *Server { return newServer(t, OpenAI) }

// NewAnthropic starts an Anthropic messages server.
func NewAnthropic(t testing.TB) *Server { return newServer(t, Anthropic) }

// NewGemini starts a Gemini generateContent server.
func NewGemini(t testing.TB) *Server { return newServer(t, Gemini) }

// NewOllama starts a server speaking Ollama's OpenAI-compatible /v1 API
// (chat completions, JSON and SSE) and its native /api/chat (JSON and
// NDJSON, streaming unless "stream": false).
func NewOllama(t testing.TB) *Server { return newServer(t, Ollama) }

// Start starts a server of the given flavor without a testing.TB (for
// examples and benchmarks); the caller closes it.
func Start(f Flavor) *Server {
	s := &Server{flavor: f, def: Reply{Text: "Hello from the " + string(f) + " test server.",
		Usage: Usage{Prompt: 10, Completion: 8}}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// New starts a server of flavor f; it is closed at the end of the test.
func New(t testing.TB, f Flavor) *Server { return newServer(t, f) }

func newServer(t testing.TB, f Flavor) *Server {
	t.Helper()
	s := Start(f)
	t.Cleanup(s.Close)
	return s
}

// Flavor returns the wire format the server speaks.
func (s *Server) Flavor() Flavor { return s.flavor }

// APIBase is the base URL to configure a client with: URL+"/v1" for
// OpenAI, URL for the others (Ollama's client appends /v1 itself).
func (s *Server) APIBase() string {
	if s.flavor == OpenAI {
		return s.URL + "/v1"
	}
	return s.URL
}

// Enqueue appends scripted replies, answered in order.
func (s *Server) Enqueue(r ...Reply) {
	s.mu.Lock()
	s.queue = append(s.queue, r...)
	s.mu.Unlock()
}

// SetDefault sets the reply used when the queue is empty.
func (s *Server) SetDefault(r Reply) {
	s.mu.Lock()
	s.def = r
	s.mu.Unlock()
}

// RequireKey makes the server answer 401 (in the provider's error shape)
// unless the request carries key the way the provider sends it.
func (s *Server) RequireKey(key string) {
	s.mu.Lock()
	s.key = key
	s.mu.Unlock()
}

// Requests returns a copy of every request received, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests arrived.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// Last returns the last request received; ok is false if none.
func (s *Server) Last() (Request, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return Request{}, false
	}
	return s.requests[len(s.requests)-1], true
}

// Pending returns how many scripted replies are still queued.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// ClosedURL returns the URL of a port that refuses connections.
func ClosedURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// next returns the reply to req, the request's sequence number and the
// required key. The responder, when set, is asked first; the queue is
// consumed only when it declines.
func (s *Server) next(req Request) (Reply, int, string) {
	s.mu.Lock()
	respond := s.respond
	s.seq++
	seq, key := s.seq, s.key
	s.mu.Unlock()
	if respond != nil {
		if r, ok := respond(req); ok {
			return r, seq, key
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.def
	if len(s.queue) > 0 {
		r = s.queue[0]
		s.queue = s.queue[1:]
	}
	return r, seq, key
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		req.JSON = obj
	}
	if st, ok := obj["stream"].(bool); ok && st {
		req.Stream = true
	}
	if strings.Contains(r.URL.Path, ":streamGenerateContent") {
		req.Stream = true
	}
	native := s.flavor == Ollama && strings.HasPrefix(r.URL.Path, "/api/")
	if _, set := obj["stream"]; native && !set {
		req.Stream = true // Ollama's native API streams unless told not to
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	rep, seq, key := s.next(req)
	rep.top = topLogprobs(obj)
	if key != "" && !s.hasKey(r, key) {
		rep = Reply{Status: http.StatusUnauthorized, ErrorType: s.authType(), ErrorMessage: "invalid api key"}
	}
	if rep.Delay > 0 {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if rep.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	if rep.Body != "" {
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, rep.Body)
		return
	}
	if status >= 400 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if native {
			msg := rep.ErrorMessage
			if msg == "" {
				msg = http.StatusText(status)
			}
			w.Write(mustJSON(map[string]any{"error": msg}))
			return
		}
		w.Write(s.errorBody(status, rep))
		return
	}
	model, _ := obj["model"].(string)
	if s.flavor == Gemini {
		if i := strings.LastIndex(r.URL.Path, "/models/"); i >= 0 {
			model, _, _ = strings.Cut(r.URL.Path[i+len("/models/"):], ":")
		}
	}
	if strings.HasPrefix(r.URL.Path, "/model/") { // Bedrock invoke
		model = strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/model/"), "/invoke")
	}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if native {
			w.Write(mustJSON(ollamaNative(rep, model, rep.Text, true)))
			return
		}
		w.Write(s.render(rep, seq, model))
		return
	}
	var events []string
	if native {
		events = ollamaNativeLines(rep, model)
		w.Header().Set("Content-Type", "application/x-ndjson")
	} else {
		events = s.streamEvents(rep, seq, model, obj)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	fl, _ := w.(http.Flusher)
	for i, ev := range events {
		if rep.CutAfter > 0 && i >= rep.CutAfter {
			if rep.StreamError != "" && native {
				w.Write(append(mustJSON(map[string]any{"error": rep.ErrorMessage}), '\n'))
			} else if rep.StreamError != "" {
				io.WriteString(w, s.streamErrorEvent(rep))
			}
			if fl != nil {
				fl.Flush()
			}
			return
		}
		if rep.Malformed == i+1 {
			ev = "data: {\"choices\": [ this is not json\n\n"
			if native {
				ev = "{\"message\": [ this is not json\n"
			}
		}
		io.WriteString(w, ev)
		if fl != nil {
			fl.Flush()
		}
	}
}

func (s *Server) hasKey(r *http.Request, key string) bool {
	switch {
	case r.Header.Get("Authorization") == "Bearer "+key:
		return true
	case r.Header.Get("x-api-key") == key, r.Header.Get("api-key") == key, r.Header.Get("x-goog-api-key") == key:
		return true
	case r.URL.Query().Get("key") == key:
		return true
	}
	return false
}

func (s *Server) authType() string {
	switch s.flavor {
	case Anthropic:
		return "authentication_error"
	case Gemini:
		return "UNAUTHENTICATED"
	}
	return "invalid_request_error"
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("llmtest: %v", err))
	}
	return b
}

// errorBody renders an error in the provider's shape.
func (s *Server) errorBody(status int, rep Reply) []byte {
	msg := rep.ErrorMessage
	if msg == "" {
		msg = http.StatusText(status)
	}
	switch s.flavor {
	case Anthropic:
		typ := rep.ErrorType
		if typ == "" {
			typ = "api_error"
		}
		return mustJSON(map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}})
	case Gemini:
		st := rep.ErrorType
		if st == "" {
			st = "INTERNAL"
		}
		e := map[string]any{"code": status, "message": msg, "status": st}
		if rep.RetryDelay != "" {
			e["details"] = []any{map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": rep.RetryDelay}}
		}
		return mustJSON(map[string]any{"error": e})
	}
	typ := rep.ErrorType
	if typ == "" {
		typ = "api_error"
	}
	var code any
	if rep.ErrorCode != "" {
		code = rep.ErrorCode
	}
	return mustJSON(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": code}})
}

func (s *Server) streamErrorEvent(rep Reply) string {
	msg := rep.ErrorMessage
	if msg == "" {
		msg = "stream failed"
	}
	switch s.flavor {
	case Anthropic:
		return "event: error\ndata: " + string(mustJSON(map[string]any{"type": "error",
			"error": map[string]any{"type": rep.StreamError, "message": msg}})) + "\n\n"
	case Gemini:
		return "data: " + string(mustJSON(map[string]any{"error": map[string]any{"code": 503, "message": msg, "status": rep.StreamError}})) + "\n\n"
	}
	return "data: " + string(mustJSON(map[string]any{"error": map[string]any{"message": msg, "type": rep.StreamError, "code": nil}})) + "\n\n"
}

// chunks splits s into pieces of n bytes, a piece growing past n only to
// end on a character boundary.
func chunks(s string, n int) []string {
	if n <= 0 {
		n = 4
	}
	var out []string
	for len(s) > 0 {
		k := n
		if k > len(s) {
			k = len(s)
		}
		for k < len(s) && !utf8.RuneStart(s[k]) {
			k++
		}
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}

func (rep Reply) toolID(i, seq int, prefix string) string {
	if rep.ToolCalls[i].ID != "" {
		return rep.ToolCalls[i].ID
	}
	return fmt.Sprintf("%s%d_%d", prefix, seq, i)
}

func args(a string) string {
	if a == "" {
		return "{}"
	}
	return a
}
