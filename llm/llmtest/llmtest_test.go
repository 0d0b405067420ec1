package llmtest

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func post(t *testing.T, url, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestQueueCaptureAndDefault(t *testing.T) {
	s := NewOpenAI(t)
	s.Enqueue(Reply{Text: "first"}, Reply{Status: 429, Header: map[string]string{"Retry-After": "3"}, ErrorCode: "rate_limit_exceeded", ErrorMessage: "slow"})
	_, body := post(t, s.APIBase()+"/chat/completions", `{"model":"gpt-4o","messages":[]}`, nil)
	var out struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || out.Choices[0].Message.Content != "first" {
		t.Fatalf("body %s", body)
	}
	resp, body := post(t, s.APIBase()+"/chat/completions", `{"model":"gpt-4o"}`, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" ||
		body != `{"error":{"code":"rate_limit_exceeded","message":"slow","param":null,"type":"api_error"}}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	_, body = post(t, s.APIBase()+"/chat/completions", `{"model":"gpt-4o"}`, nil)
	if !strings.Contains(body, "Hello from the openai test server.") {
		t.Fatalf("default reply %s", body)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || s.Count() != 3 || s.Pending() != 0 || reqs[0].JSON["model"] != "gpt-4o" || reqs[0].Path != "/v1/chat/completions" {
		t.Fatalf("requests %+v", reqs)
	}
}

func TestRequireKeyShapes(t *testing.T) {
	for _, tc := range []struct {
		s    *Server
		path string
		hdr  map[string]string
		want string
	}{
		{NewAnthropic(t), "/v1/messages", map[string]string{"x-api-key": "wrong"}, `"type":"authentication_error"`},
		{NewGemini(t), "/v1beta/models/g:generateContent?key=wrong", nil, `"status":"UNAUTHENTICATED"`},
	} {
		tc.s.RequireKey("right")
		resp, body := post(t, tc.s.URL+tc.path, `{}`, tc.hdr)
		if resp.StatusCode != 401 || !strings.Contains(body, tc.want) {
			t.Fatalf("%s: %d %s", tc.s.Flavor(), resp.StatusCode, body)
		}
	}
}

func TestStreamCutAndError(t *testing.T) {
	s := NewAnthropic(t)
	s.Enqueue(Reply{Text: "abcdefgh", CutAfter: 3, StreamError: "overloaded_error", ErrorMessage: "Overloaded"})
	_, body := post(t, s.URL+"/v1/messages", `{"stream":true}`, nil)
	var events []string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			events = append(events, name)
		}
	}
	want := "message_start,ping,content_block_start,error"
	if strings.Join(events, ",") != want {
		t.Fatalf("events %v, want %s", events, want)
	}
	if !strings.Contains(body, `"type":"overloaded_error"`) {
		t.Fatalf("body %s", body)
	}
	if r, _ := s.Last(); !r.Stream {
		t.Fatal("stream flag not captured")
	}
}

// A reply given by the responder leaves the queue untouched: the queued
// reply answers the next request the responder declines.
func TestResponderKeepsQueue(t *testing.T) {
	s := NewOpenAI(t)
	s.Enqueue(Reply{Text: "queued"})
	first := true
	s.SetResponder(func(Request) (Reply, bool) {
		if first {
			first = false
			return Reply{Text: "from responder"}, true
		}
		return Reply{}, false
	})
	content := func() string {
		_, body := post(t, s.APIBase()+"/chat/completions", `{"model":"gpt-4o","messages":[]}`, nil)
		var out struct {
			Choices []struct {
				Message struct{ Content string } `json:"message"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil || len(out.Choices) != 1 {
			t.Fatalf("body %s", body)
		}
		return out.Choices[0].Message.Content
	}
	if got := content(); got != "from responder" {
		t.Fatalf("first reply %q", got)
	}
	if got := content(); got != "queued" {
		t.Fatalf("second reply %q, want the queued one", got)
	}
	if s.Pending() != 0 {
		t.Fatalf("pending %d", s.Pending())
	}
}

// Streamed text is split at character boundaries: multi-byte characters
// arrive whole whatever the chunk size.
func TestStreamChunksKeepUTF8(t *testing.T) {
	const text = "서울은 한국의 수도입니다 🇰🇷"
	s := NewOpenAI(t)
	s.Enqueue(Reply{Text: text, ChunkSize: 4})
	_, body := post(t, s.APIBase()+"/chat/completions", `{"model":"gpt-4o","stream":true}`, nil)
	var got strings.Builder
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var c struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("chunk %s: %v", data, err)
		}
		for _, ch := range c.Choices {
			got.WriteString(ch.Delta.Content)
		}
	}
	if got.String() != text {
		t.Fatalf("streamed %q, want %q", got.String(), text)
	}
}
