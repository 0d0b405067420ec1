package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tmc/langchaingo/llms"
)

// LLMExtractor extracts facts with any langchaingo llms.Model (in
// practice the llm Router). Content is cut into chunks of about MaxChunk
// characters at sentence boundaries; each chunk is one model call in JSON
// mode whose prompt carries the JSON Schema of the reply. The reply's
// facts carry kind, entities, the time range they happened in (resolved
// against the content's timestamp) and causal links to earlier facts.
type LLMExtractor struct {
	// Model is called once per chunk. Required.
	Model llms.Model
	// MaxChunk is the chunk size in characters; 0 means 3000.
	MaxChunk int
	// CallOptions are passed to every call.
	CallOptions []llms.CallOption
}

var _ Extractor = (*LLMExtractor)(nil)

// ExtractionSchema is the JSON Schema the model's reply must match.
const ExtractionSchema = `{"type":"object","required":["facts"],"properties":{"facts":{"type":"array","items":{` +
	`"type":"object","required":["text","kind"],"properties":{` +
	`"text":{"type":"string","description":"one self-contained fact: who did what, where, when, why"},` +
	`"kind":{"enum":["world","experience","opinion"],"description":"world: a fact about the world or the user; experience: something the assistant did; opinion: a belief"},` +
	`"entities":{"type":"array","items":{"type":"string"},"description":"canonical names of people, places, organisations, things"},` +
	`"occurred_start":{"type":"string","description":"RFC 3339 or YYYY-MM-DD; empty if unknown"},` +
	`"occurred_end":{"type":"string","description":"RFC 3339 or YYYY-MM-DD; empty if unknown"},` +
	`"confidence":{"type":"number","minimum":0,"maximum":1,"description":"for opinions"},` +
	`"caused_by":{"type":"array","items":{"type":"integer","minimum":0},"description":"0-based indices of earlier facts in this list that caused this one"}}}}}}`

type llmFact struct {
	Text          string   `json:"text"`
	Kind          string   `json:"kind"`
	Entities      []string `json:"entities"`
	OccurredStart string   `json:"occurred_start"`
	OccurredEnd   string   `json:"occurred_end"`
	Confidence    float64  `json:"confidence"`
	CausedBy      []int    `json:"caused_by"`
}

// Extract implements [Extractor].
func (x *LLMExtractor) Extract(ctx context.Context, req ExtractRequest) ([]Fact, error) {
	if x == nil || x.Model == nil {
		return nil, fmt.Errorf("%w: LLMExtractor.Model is nil", ErrInvalid)
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	size := x.MaxChunk
	if size <= 0 {
		size = 3000
	}
	var out []Fact
	for ci, chunk := range chunkText(req.Content, size) {
		facts, err := x.extractChunk(ctx, chunk, req, now)
		if err != nil {
			return nil, fmt.Errorf("%w: chunk %d: %w", ErrExtract, ci, err)
		}
		base := len(out)
		for i := range facts {
			for k := range facts[i].CausedBy {
				facts[i].CausedBy[k] += base
			}
		}
		out = append(out, facts...)
	}
	return out, nil
}

func (x *LLMExtractor) extractChunk(ctx context.Context, chunk string, req ExtractRequest, now time.Time) ([]Fact, error) {
	var sys strings.Builder
	sys.WriteString("Extract the durable facts from the user's content for a long-term memory. ")
	sys.WriteString("Each fact must stand alone: resolve pronouns to names and relative dates to absolute ones. ")
	fmt.Fprintf(&sys, "The content was written at %s; resolve \"yesterday\", \"last week\", \"어제\", \"지난주\" against it. ", now.Format(time.RFC3339))
	sys.WriteString("Keep the language of the content. Skip greetings, questions and filler. ")
	sys.WriteString("Reply with one JSON object matching this JSON Schema and nothing else:\n")
	sys.WriteString(ExtractionSchema)
	var user strings.Builder
	if req.Context != "" {
		user.WriteString("Context: " + req.Context + "\n")
	}
	if len(req.Entities) > 0 {
		user.WriteString("Known entities: " + strings.Join(req.Entities, ", ") + "\n")
	}
	user.WriteString("Content:\n" + chunk)
	msgs := []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, sys.String()),
		llms.TextParts(llms.ChatMessageTypeHuman, user.String()),
	}
	resp, err := x.Model.GenerateContent(ctx, msgs, append([]llms.CallOption{llms.WithJSONMode()}, x.CallOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if resp == nil || len(resp.Choices) == 0 {
		return nil, fmt.Errorf("model returned no choices")
	}
	var reply struct {
		Facts []llmFact `json:"facts"`
	}
	if err := json.Unmarshal([]byte(stripFence(resp.Choices[0].Content)), &reply); err != nil {
		return nil, fmt.Errorf("reply is not the requested JSON: %w", err)
	}
	facts := make([]Fact, 0, len(reply.Facts))
	for i, f := range reply.Facts {
		if strings.TrimSpace(f.Text) == "" {
			return nil, fmt.Errorf("fact %d: text is empty", i)
		}
		k := Kind(f.Kind)
		if f.Kind == "" {
			k = ""
		} else if !k.Valid() {
			return nil, fmt.Errorf("fact %d: kind %q is not world, experience, opinion or observation", i, f.Kind)
		}
		if f.Confidence < 0 || f.Confidence > 1 {
			return nil, fmt.Errorf("fact %d: confidence %v outside [0, 1]", i, f.Confidence)
		}
		st, err := parseWhen(f.OccurredStart, now, false)
		if err != nil {
			return nil, fmt.Errorf("fact %d: occurred_start: %w", i, err)
		}
		en, err := parseWhen(f.OccurredEnd, now, true)
		if err != nil {
			return nil, fmt.Errorf("fact %d: occurred_end: %w", i, err)
		}
		if en.IsZero() && !st.IsZero() && len(strings.TrimSpace(f.OccurredStart)) == 10 {
			en = st.AddDate(0, 0, 1).Add(-time.Nanosecond)
		}
		if !st.IsZero() && !en.IsZero() && en.Before(st) {
			return nil, fmt.Errorf("fact %d: occurred_end %s before occurred_start %s", i, f.OccurredEnd, f.OccurredStart)
		}
		for _, c := range f.CausedBy {
			if c < 0 || c >= i {
				return nil, fmt.Errorf("fact %d: caused_by %d is not an earlier fact", i, c)
			}
		}
		facts = append(facts, Fact{Text: strings.TrimSpace(f.Text), Kind: k, Entities: f.Entities,
			OccurredStart: st, OccurredEnd: en, Confidence: f.Confidence, CausedBy: f.CausedBy})
	}
	return facts, nil
}

// parseWhen reads RFC 3339 or a bare date (start or end of that day in
// now's location).
func parseWhen(s string, now time.Time, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, now.Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
	}
	if end {
		t = t.AddDate(0, 0, 1).Add(-time.Nanosecond)
	}
	return t, nil
}

// chunkText cuts text into pieces of at most about size bytes, at
// sentence boundaries where possible.
func chunkText(text string, size int) []string {
	if len(text) <= size {
		return []string{text}
	}
	var out []string
	var cur strings.Builder
	for _, s := range SplitSentences(text) {
		if cur.Len() > 0 && cur.Len()+1+len(s) > size {
			out = append(out, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(s)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
