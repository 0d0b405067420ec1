package llm

import (
	"bufio"
	"bytes"
	"io"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	Event string
	Data  []byte
}

// sseReader reads server-sent events (text/event-stream).
type sseReader struct {
	r     *bufio.Reader
	event string
	data  []byte
	any   bool
}

func newSSEReader(r io.Reader) *sseReader {
	return &sseReader{r: bufio.NewReaderSize(r, 32<<10)}
}

// Next returns the next event. At the end of the stream it returns io.EOF
// (or the read error); a final event not followed by a blank line is
// still returned first.
func (s *sseReader) Next() (sseEvent, error) {
	for {
		line, err := s.r.ReadBytes('\n')
		if len(line) > 0 {
			line = bytes.TrimRight(line, "\r\n")
			if len(line) == 0 {
				if s.any {
					return s.take(), nil
				}
				continue
			}
			s.field(line)
		}
		if err != nil {
			if s.any {
				return s.take(), nil
			}
			return sseEvent{}, err
		}
	}
}

func (s *sseReader) take() sseEvent {
	ev := sseEvent{Event: s.event, Data: s.data}
	s.event, s.data, s.any = "", nil, false
	return ev
}

func (s *sseReader) field(line []byte) {
	if line[0] == ':' {
		return // comment
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
		if s.data != nil {
			s.data = append(s.data, '\n')
		}
		s.data = append(s.data, value...)
		s.any = true
	}
}
