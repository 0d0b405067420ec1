package llm

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unsafe"
)

// The default Limits. They are far above any real chat reply (a 64k-token
// answer is about 256 KiB of text) yet keep a hostile or broken provider
// from exhausting memory.
const (
	// DefaultMaxEventBytes bounds one server-sent-event line and the data of
	// one event: 8 MiB.
	DefaultMaxEventBytes = 8 << 20
	// DefaultMaxResponseBytes bounds a non-streamed response body, counted
	// after decompression: 32 MiB.
	DefaultMaxResponseBytes = 32 << 20
	// DefaultMaxOutputBytes bounds the text, reasoning and tool calls
	// accumulated from one streamed reply: 16 MiB.
	DefaultMaxOutputBytes = 16 << 20
)

// Limits bound what is read from a provider's response, so that a hostile
// or broken server (an endless line, a huge body, a compression bomb, a
// stream that never ends) cannot exhaust memory. A zero field takes its
// default; a negative one removes that limit. Exceeding a limit fails the
// call with an *Error of kind ErrResponseTooLarge wrapping a *LimitError
// that names the limit and its value.
//
// Limits apply to the wires this package speaks itself (OpenAI, Anthropic,
// Gemini and every provider speaking one of them); Bedrock responses are
// decoded by the AWS SDK, and FromLangchain models by their own clients.
type Limits struct {
	// MaxEventBytes bounds one line of a server-sent-event stream and the
	// data of one event (all its data: lines together). Default
	// DefaultMaxEventBytes (8 MiB).
	MaxEventBytes int `json:"max_event_bytes,omitempty" yaml:"max_event_bytes,omitempty"`
	// MaxResponseBytes bounds a non-streamed response body, counted after
	// decompression (gzip bodies are measured by what they expand to).
	// Default DefaultMaxResponseBytes (32 MiB).
	MaxResponseBytes int64 `json:"max_response_bytes,omitempty" yaml:"max_response_bytes,omitempty"`
	// MaxOutputBytes bounds what one streamed reply accumulates: its text,
	// reasoning, and tool-call names and arguments together. Default
	// DefaultMaxOutputBytes (16 MiB).
	MaxOutputBytes int `json:"max_output_bytes,omitempty" yaml:"max_output_bytes,omitempty"`
}

// resolve fills defaults; a negative field becomes the largest value.
func (l Limits) resolve() Limits {
	pick := func(v, def int64) int64 {
		switch {
		case v == 0:
			return def
		case v < 0:
			return 1<<62 - 1
		}
		return v
	}
	return Limits{
		MaxEventBytes:    int(pick(int64(l.MaxEventBytes), DefaultMaxEventBytes)),
		MaxResponseBytes: pick(l.MaxResponseBytes, DefaultMaxResponseBytes),
		MaxOutputBytes:   int(pick(int64(l.MaxOutputBytes), DefaultMaxOutputBytes)),
	}
}

// LimitError reports a response that exceeded one of the Limits. It is
// wrapped by an *Error of kind ErrResponseTooLarge, and errors.Is(err,
// ErrResponseTooLarge) holds for it directly too.
type LimitError struct {
	// Limit is the name of the field of Limits that was exceeded
	// ("MaxEventBytes", "MaxResponseBytes" or "MaxOutputBytes").
	Limit string
	// Value is the limit in bytes.
	Value int64
	// What says what exceeded it ("a server-sent-event line", "the response
	// body after gzip decompression", ...).
	What string
}

// Error names the limit, its value and what exceeded it.
func (e *LimitError) Error() string {
	return e.What + " exceeds Limits." + e.Limit + " (" + strconv.FormatInt(e.Value, 10) + " bytes)"
}

// Is reports whether target is ErrResponseTooLarge.
func (e *LimitError) Is(target error) bool { return target == ErrResponseTooLarge }

// limitErr builds the *Error a limit breach becomes.
func limitErr(limit string, value int64, what string) *Error {
	le := &LimitError{Limit: limit, Value: value, What: what}
	return &Error{Kind: ErrResponseTooLarge, Message: le.Error(), Err: le}
}

// decodeBody makes resp's body what the decoder reads: a gzip body the
// transport did not decompress itself (because the request set its own
// Accept-Encoding) is decompressed here, and resp.Uncompressed set.
func decodeBody(resp *http.Response) error {
	if resp.Uncompressed || !strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip") {
		return nil
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		resp.Body.Close()
		return &Error{Kind: ErrAPI, StatusCode: resp.StatusCode, Message: "malformed gzip response body: " + err.Error(), Err: err}
	}
	resp.Body = &gzipBody{zr: zr, body: resp.Body}
	resp.Uncompressed = true
	resp.ContentLength = -1
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	return nil
}

type gzipBody struct {
	zr   *gzip.Reader
	body io.ReadCloser
}

func (g *gzipBody) Read(p []byte) (int, error) { return g.zr.Read(p) }
func (g *gzipBody) Close() error               { return g.body.Close() }

// readBody reads a whole response body of at most limit bytes (after
// decompression). A declared Content-Length over the limit fails before
// anything is read; otherwise the body is read in fragments, so that a
// body cut off at the limit costs about the limit in memory, not twice it.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	r, gz := resp.Body, resp.Uncompressed
	what := "the response body"
	if gz {
		what += " after gzip decompression"
	}
	if !gz && resp.ContentLength > limit {
		return nil, limitErr("MaxResponseBytes", limit, what+" (Content-Length "+strconv.FormatInt(resp.ContentLength, 10)+")")
	}
	if !gz && resp.ContentLength >= 0 {
		b := make([]byte, resp.ContentLength)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	var frags [][]byte
	var total int64
	size := 16 << 10
	for {
		n := int64(size)
		if rest := limit + 1 - total; rest < n {
			n = rest // read one byte past the limit, no more
		}
		buf := make([]byte, n)
		k, err := fill(r, buf)
		total += int64(k)
		if k > 0 {
			frags = append(frags, buf[:k])
		}
		if total > limit {
			return nil, limitErr("MaxResponseBytes", limit, what)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if size < 1<<20 {
			size *= 2
		}
	}
	if len(frags) == 1 {
		return frags[0], nil
	}
	return bytes.Join(frags, nil), nil
}

// outputLimitErr is the error of a streamed reply past MaxOutputBytes.
func outputLimitErr(limit int) *Error {
	return limitErr("MaxOutputBytes", int64(limit), "the streamed reply (text, reasoning and tool calls)")
}

// fill reads into buf until it is full or the reader fails; it returns
// io.EOF only for a clean end of the body.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// toolBuffer accumulates one streamed tool call's name and arguments
// (appending to a string would copy it whole for every fragment).
type toolBuffer struct{ name, args []byte }

// appendOut appends t to b, growing b by doubling and straight to the
// output limit once past half of it, so that all the copies of a buffer
// add up to less than twice the limit.
func (s *streamState) appendOut(b []byte, t string) []byte {
	if need := len(b) + len(t); need > cap(b) {
		limit := s.lim.MaxOutputBytes
		n := max(2*cap(b), need, 64)
		if limit > 0 && n > limit/2 {
			n = max(limit, need)
		}
		nb := make([]byte, len(b), n)
		copy(nb, b)
		b = nb
	}
	return append(b, t...)
}

// bytesString returns b as a string without copying it. The buffers of a
// streamState are never written again once its reply is built.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// grow counts n more accumulated bytes against Limits.MaxOutputBytes.
func (s *streamState) grow(n int) error {
	limit := s.lim.MaxOutputBytes
	if limit > 0 && n > limit-s.out {
		return outputLimitErr(limit)
	}
	s.out += n
	return nil
}
