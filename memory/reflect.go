package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tmc/langchaingo/llms"
)

// ReflectOptions tune Reflect. Every field is optional.
type ReflectOptions struct {
	// Recall tunes the recall step (default: mid budget, 4096 tokens).
	Recall RecallOptions
	// Context is extra text for the model (the conversation so far).
	Context string
	// RetainOpinion stores the answer's opinion, if the model gives one,
	// as an opinion memory with the model's confidence.
	RetainOpinion bool
	// CallOptions are passed to the model (temperature, max tokens...).
	CallOptions []llms.CallOption
}

// ReflectResult is Reflect's answer.
type ReflectResult struct {
	// Answer is the model's reply to the query.
	Answer string
	// Used are the ids of the recalled memories the answer relies on, in
	// the order the model cited them.
	Used []string
	// Opinion is the belief the model formed, "" when none.
	Opinion string
	// Confidence is the model's confidence in Opinion, in [0, 1].
	Confidence float64
	// Retained is the stored opinion memory when RetainOpinion was set and
	// the model gave an opinion.
	Retained *Memory
	// Recall is the recall the answer was based on.
	Recall RecallResult
}

// reflectReply is the JSON the model must return.
type reflectReply struct {
	Answer     string  `json:"answer"`
	Used       []int   `json:"used"`
	Opinion    string  `json:"opinion"`
	Confidence float64 `json:"confidence"`
}

const reflectSchema = `{"type":"object","required":["answer","used"],"properties":{` +
	`"answer":{"type":"string"},` +
	`"used":{"type":"array","items":{"type":"integer","minimum":1},"description":"numbers of the memories the answer relies on"},` +
	`"opinion":{"type":"string","description":"a belief you now hold about the question, or empty"},` +
	`"confidence":{"type":"number","minimum":0,"maximum":1}}}`

// Reflect recalls memories for query and asks the engine's model to
// answer in the voice of the bank: its background and disposition go into
// the system prompt, the memories are numbered, and the model replies
// with JSON naming the memories it used.
func (e *Engine) Reflect(ctx context.Context, bank, query string, opts ReflectOptions) (ReflectResult, error) {
	if e.model == nil {
		return ReflectResult{}, fmt.Errorf("%w: reflect needs Config.Model", ErrInvalid)
	}
	b, err := e.store.Bank(ctx, bank)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return ReflectResult{}, fmt.Errorf("reflect: %w", err)
	}
	if b.ID == "" {
		b.ID = bank
	}
	rec, err := e.Recall(ctx, bank, query, opts.Recall)
	if err != nil {
		return ReflectResult{}, fmt.Errorf("reflect: %w", err)
	}
	msgs := []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, reflectSystem(b)),
		llms.TextParts(llms.ChatMessageTypeHuman, reflectPrompt(query, opts.Context, rec.Hits)),
	}
	resp, err := e.model.GenerateContent(ctx, msgs, append([]llms.CallOption{llms.WithJSONMode()}, opts.CallOptions...)...)
	if err != nil {
		return ReflectResult{}, fmt.Errorf("reflect: model: %w", err)
	}
	if resp == nil || len(resp.Choices) == 0 {
		return ReflectResult{}, fmt.Errorf("%w: reflect: model returned no choices", ErrExtract)
	}
	var rep reflectReply
	if err := json.Unmarshal([]byte(stripFence(resp.Choices[0].Content)), &rep); err != nil {
		return ReflectResult{}, fmt.Errorf("%w: reflect: model reply is not the requested JSON: %v", ErrExtract, err)
	}
	if rep.Confidence < 0 || rep.Confidence > 1 {
		return ReflectResult{}, fmt.Errorf("%w: reflect: confidence %v outside [0, 1]", ErrExtract, rep.Confidence)
	}
	out := ReflectResult{Answer: rep.Answer, Opinion: strings.TrimSpace(rep.Opinion), Confidence: rep.Confidence, Recall: rec}
	for _, n := range rep.Used {
		if n < 1 || n > len(rec.Hits) {
			return ReflectResult{}, fmt.Errorf("%w: reflect: model cited memory %d of %d", ErrExtract, n, len(rec.Hits))
		}
		id := rec.Hits[n-1].Memory.ID
		if !contains(out.Used, id) {
			out.Used = append(out.Used, id)
		}
	}
	if opts.RetainOpinion && out.Opinion != "" {
		mr, err := e.retainOpinion(ctx, bank, out)
		if err != nil {
			return out, fmt.Errorf("reflect: retain opinion: %w", err)
		}
		out.Retained = mr
	}
	return out, nil
}

func (e *Engine) retainOpinion(ctx context.Context, bank string, r ReflectResult) (*Memory, error) {
	now := e.now()
	m := Memory{ID: MemoryID(bank, r.Opinion), Bank: bank, Kind: KindOpinion, Text: r.Opinion,
		Context: "reflect", Entities: DetectEntities(r.Opinion, nil), MentionedAt: now, Confidence: r.Confidence}
	for _, id := range r.Used {
		m.Links = append(m.Links, Link{Target: id, Kind: LinkCausal, Weight: 1})
	}
	v, err := e.emb.EmbedDocuments(ctx, []string{m.Text})
	if err != nil {
		return nil, err
	}
	if len(v) != 1 {
		return nil, fmt.Errorf("embedder returned %d vectors for 1 text", len(v))
	}
	m.Vector = v[0]
	m.Sparse = DefaultBM25.Document(m.Text)
	if err := e.store.Upsert(ctx, []Memory{m}); err != nil {
		return nil, err
	}
	m.Vector, m.Sparse = nil, SparseVector{}
	return &m, nil
}

func level(v int) string {
	switch v {
	case 1:
		return "very low"
	case 2:
		return "low"
	case 4:
		return "high"
	case 5:
		return "very high"
	}
	return "moderate"
}

func reflectSystem(b Bank) string {
	var s strings.Builder
	s.WriteString("You answer from the long-term memory of ")
	if b.Name != "" {
		s.WriteString(b.Name)
	} else {
		s.WriteString("bank " + b.ID)
	}
	s.WriteString(".\n")
	if b.Background != "" {
		s.WriteString("Background: " + b.Background + "\n")
	}
	d := b.Disposition
	fmt.Fprintf(&s, "Disposition: skepticism %s (how much evidence you need before believing), literalism %s (how literally you read what you were told), empathy %s (how much you weigh feelings and context).\n",
		level(d.Skepticism), level(d.Literalism), level(d.Empathy))
	s.WriteString("Use only the numbered memories; say so when they do not answer the question.\n")
	s.WriteString("Reply with one JSON object matching this schema and nothing else:\n")
	s.WriteString(reflectSchema)
	return s.String()
}

func reflectPrompt(query, extra string, hits []Hit) string {
	var s strings.Builder
	s.WriteString("Memories:\n")
	if len(hits) == 0 {
		s.WriteString("(none)\n")
	}
	for i, h := range hits {
		fmt.Fprintf(&s, "[%d] (%s", i+1, h.Memory.Kind)
		if st, en, ok := h.Memory.When(); ok {
			if st.Equal(en) {
				fmt.Fprintf(&s, ", %s", st.Format("2006-01-02"))
			} else {
				fmt.Fprintf(&s, ", %s to %s", st.Format("2006-01-02"), en.Format("2006-01-02"))
			}
		}
		if h.Memory.Kind == KindOpinion && h.Memory.Confidence > 0 {
			fmt.Fprintf(&s, ", confidence %.2f", h.Memory.Confidence)
		}
		fmt.Fprintf(&s, ") %s\n", h.Memory.Text)
	}
	if extra != "" {
		s.WriteString("\nContext:\n" + extra + "\n")
	}
	s.WriteString("\nQuestion: " + query)
	return s.String()
}

// stripFence removes a Markdown code fence some models wrap JSON in.
func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "```") {
		s = strings.TrimPrefix(s, "```json")
		s = strings.TrimPrefix(s, "```")
		s = strings.TrimSuffix(strings.TrimSpace(s), "```")
	}
	return strings.TrimSpace(s)
}
