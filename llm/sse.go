package llm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	Event string
	Data  []byte
}

// errCutMidLine is a stream whose connection ended in the middle of a line:
// the peer cut it, so it is a connection failure, not a malformed chunk.
var errCutMidLine = fmt.Errorf("stream cut in the middle of an event: %w", io.ErrUnexpectedEOF)

// sseReader reads server-sent events (text/event-stream), holding at most
// max bytes of one line and of one event's data.
type sseReader struct {
	r     *bufio.Reader
	max   int
	event string
	data  []byte
	any   bool
	// hasData: a data line was seen in this event
	hasData bool
	// owned: the current line was copied out of the read buffer
	owned bool
	frags [][]byte // pieces of a line longer than the read buffer
}

func newSSEReader(r io.Reader, max int) *sseReader {
	if max <= 0 {
		max = DefaultMaxEventBytes
	}
	return &sseReader{r: bufio.NewReaderSize(r, 32<<10), max: max}
}

// Next returns the next event. At the clean end of the stream it returns
// io.EOF; a final event whose lines are complete but which lacks the blank
// line that ends it is still returned first. Any other read failure (a
// deadline, a reset) is returned as it is and the incomplete event is
// dropped: it is never handed on as if it were a chunk. A connection that
// ends in the middle of a data line is errCutMidLine (an
// io.ErrUnexpectedEOF), unless what arrived is complete anyway ("[DONE]" or
// valid JSON without its final newline); one that ends in the middle of a
// comment loses nothing and is a clean end. A line or an event's data
// longer than max is a *LimitError.
func (s *sseReader) Next() (sseEvent, error) {
	for {
		line, complete, err := s.readLine()
		if err != nil && !errors.Is(err, io.EOF) {
			s.reset()
			return sseEvent{}, err
		}
		if !complete && len(line) > 0 {
			// the connection ended without the line's newline
			if lerr := s.field(bytes.TrimRight(line, "\r")); lerr != nil {
				return sseEvent{}, lerr
			}
			if !s.hasData {
				// a comment or a field without data: nothing was lost
				if s.any {
					return s.take(), nil
				}
				return sseEvent{}, io.EOF
			}
			if string(s.data) == "[DONE]" || json.Valid(s.data) {
				return s.take(), nil
			}
			s.reset()
			return sseEvent{}, errCutMidLine
		}
		if complete {
			line = bytes.TrimRight(line, "\r\n")
			if len(line) == 0 {
				if s.any {
					return s.take(), nil
				}
				continue
			}
			if lerr := s.field(line); lerr != nil {
				return sseEvent{}, lerr
			}
			continue
		}
		// clean end of stream
		if s.any {
			return s.take(), nil
		}
		return sseEvent{}, err
	}
}

func (s *sseReader) lineLimit() error {
	s.reset()
	return limitErr("MaxEventBytes", int64(s.max), "a server-sent-event line")
}

// readLine returns the next line with its newline (complete) or, at the
// end of the stream or on a read failure, what arrived of it. The line is
// valid until the next call.
func (s *sseReader) readLine() (line []byte, complete bool, err error) {
	s.owned = false
	b, err := s.r.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		if len(b) > s.max+2 { // +2: the line ending
			return nil, false, s.lineLimit()
		}
		return b, err == nil, err
	}
	// A line longer than the buffer: collect its pieces, up to max.
	s.frags = s.frags[:0]
	total := 0
	for {
		total += len(b)
		if total > s.max+2 {
			s.frags = nil
			return nil, false, s.lineLimit()
		}
		s.frags = append(s.frags, bytes.Clone(b))
		if err != bufio.ErrBufferFull {
			break
		}
		b, err = s.r.ReadSlice('\n')
	}
	line = bytes.Join(s.frags, nil)
	clear(s.frags)
	s.frags = s.frags[:0]
	s.owned = true
	return line, err == nil, err
}

func (s *sseReader) reset() {
	s.event, s.data, s.any, s.hasData = "", nil, false, false
}

func (s *sseReader) take() sseEvent {
	ev := sseEvent{Event: s.event, Data: s.data}
	s.reset()
	return ev
}

// field applies one line of an event.
func (s *sseReader) field(line []byte) error {
	if len(line) == 0 || line[0] == ':' {
		return nil // comment
	}
	name, value, found := bytes.Cut(line, []byte(":"))
	if found && len(value) > 0 && value[0] == ' ' {
		value = value[1:]
	}
	switch string(name) {
	case "event":
		s.event = string(value)
		s.any = true
	case "data":
		need := len(value)
		if s.hasData {
			need += len(s.data) + 1
		}
		if need > s.max {
			s.reset()
			return limitErr("MaxEventBytes", int64(s.max), "the data of a server-sent event")
		}
		switch {
		case !s.hasData && s.owned:
			s.data = value // a long line already copied out of the read buffer
		case need > cap(s.data):
			// grow by doubling, straight to max once past half of it:
			// all the buffers of one event add up to less than twice max
			n := max(2*cap(s.data), need)
			if n > s.max/2 {
				n = s.max
			}
			nd := make([]byte, len(s.data), n)
			copy(nd, s.data)
			s.data = nd
			fallthrough
		default:
			if s.hasData {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, value...)
		}
		s.hasData = true
		s.any = true
	}
	return nil
}
