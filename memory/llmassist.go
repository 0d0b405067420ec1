package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tmc/langchaingo/llms"
)

// maxExpansions caps the query variants taken from the model.
const maxExpansions = 4

// QueryExpansionSchema is the JSON Schema of the model's reply to a query
// expansion (Config.ExpandQueries).
const QueryExpansionSchema = `{"type":"object","required":["paraphrases","keywords"],"properties":{` +
	`"paraphrases":{"type":"array","maxItems":3,"items":{"type":"string"},"description":"the question asked other ways, in its language"},` +
	`"keywords":{"type":"array","items":{"type":"string"},"description":"names, nouns and terms a memory answering it would contain"}}}`

// expandQuery asks the model for paraphrases and keywords of query and
// returns them as extra query texts (the keywords joined into one).
func (e *Engine) expandQuery(ctx context.Context, query string) ([]string, error) {
	sys := "You help a memory search engine. Rewrite the user's question into up to three paraphrases that use " +
		"other words (synonyms, the statement a memory would make) and list the keywords a matching memory would contain. " +
		"Keep the question's language; keep names as written. Reply with one JSON object matching this JSON Schema and nothing else:\n" +
		QueryExpansionSchema
	resp, err := e.model.GenerateContent(ctx, []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, sys),
		llms.TextParts(llms.ChatMessageTypeHuman, query),
	}, llms.WithJSONMode())
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if resp == nil || len(resp.Choices) == 0 {
		return nil, fmt.Errorf("model returned no choices")
	}
	var reply struct {
		Paraphrases []string `json:"paraphrases"`
		Keywords    []string `json:"keywords"`
	}
	if err := json.Unmarshal([]byte(stripFence(resp.Choices[0].Content)), &reply); err != nil {
		return nil, fmt.Errorf("reply is not the requested JSON: %w", err)
	}
	seen := map[string]bool{NormalizeText(query): true}
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if k := NormalizeText(s); s != "" && !seen[k] && len(out) < maxExpansions {
			seen[k] = true
			out = append(out, s)
		}
	}
	for _, p := range reply.Paraphrases {
		add(p)
	}
	add(strings.Join(reply.Keywords, " "))
	return out, nil
}

// NormalizationSchema is the JSON Schema of the model's reply to a fact
// normalisation (Config.NormalizeFacts).
const NormalizationSchema = `{"type":"object","required":["facts"],"properties":{"facts":{"type":"array","items":{` +
	`"type":"object","required":["index","text"],"properties":{` +
	`"index":{"type":"integer","minimum":0,"description":"the number of the fact rewritten"},` +
	`"text":{"type":"string","description":"the fact as one self-contained sentence"},` +
	`"entities":{"type":"array","items":{"type":"string"},"description":"canonical names in the fact"},` +
	`"occurred_start":{"type":"string","description":"RFC 3339 or YYYY-MM-DD; empty if unknown"},` +
	`"occurred_end":{"type":"string","description":"RFC 3339 or YYYY-MM-DD; empty if unknown"}}}}}}`

// normalizeFacts has the model rewrite facts extracted from content. A fact
// the reply leaves out stays as it was; dates the reply gives replace
// those found in the text; entities are added to the fact's.
func (e *Engine) normalizeFacts(ctx context.Context, content string, now time.Time, facts []Fact) ([]Fact, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "Content (written %s):\n%s\n\nFacts:\n", now.Format(time.RFC3339), content)
	for i, f := range facts {
		fmt.Fprintf(&b, "%d. %s\n", i, f.Text)
	}
	sys := "Rewrite each numbered fact taken from the content so that it stands alone in a long-term memory: " +
		"replace pronouns and nicknames by the names the content gives, make relative dates absolute against the time the content was written, " +
		"write entity names in one canonical form, keep the fact's language and meaning, add nothing. " +
		"Reply with one JSON object matching this JSON Schema and nothing else:\n" + NormalizationSchema
	resp, err := e.model.GenerateContent(ctx, []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, sys),
		llms.TextParts(llms.ChatMessageTypeHuman, b.String()),
	}, llms.WithJSONMode())
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if resp == nil || len(resp.Choices) == 0 {
		return nil, fmt.Errorf("model returned no choices")
	}
	var reply struct {
		Facts []struct {
			Index         int      `json:"index"`
			Text          string   `json:"text"`
			Entities      []string `json:"entities"`
			OccurredStart string   `json:"occurred_start"`
			OccurredEnd   string   `json:"occurred_end"`
		} `json:"facts"`
	}
	if err := json.Unmarshal([]byte(stripFence(resp.Choices[0].Content)), &reply); err != nil {
		return nil, fmt.Errorf("reply is not the requested JSON: %w", err)
	}
	out := append([]Fact(nil), facts...)
	for k, f := range reply.Facts {
		if f.Index < 0 || f.Index >= len(facts) {
			return nil, fmt.Errorf("reply fact %d: index %d is not one of the %d facts", k, f.Index, len(facts))
		}
		if strings.TrimSpace(f.Text) == "" {
			return nil, fmt.Errorf("reply fact %d (fact %d): text is empty", k, f.Index)
		}
		st, err := parseWhen(f.OccurredStart, now, false)
		if err != nil {
			return nil, fmt.Errorf("reply fact %d (fact %d): occurred_start: %w", k, f.Index, err)
		}
		en, err := parseWhen(f.OccurredEnd, now, true)
		if err != nil {
			return nil, fmt.Errorf("reply fact %d (fact %d): occurred_end: %w", k, f.Index, err)
		}
		if en.IsZero() && !st.IsZero() && len(strings.TrimSpace(f.OccurredStart)) == 10 {
			en = st.AddDate(0, 0, 1).Add(-time.Nanosecond) // a date: the whole day
		}
		if !st.IsZero() && !en.IsZero() && en.Before(st) {
			return nil, fmt.Errorf("reply fact %d (fact %d): occurred_end %s before occurred_start %s", k, f.Index, f.OccurredEnd, f.OccurredStart)
		}
		g := &out[f.Index]
		g.Text = strings.TrimSpace(f.Text)
		g.Entities = mergeEntities(g.Entities, f.Entities)
		if !st.IsZero() {
			g.OccurredStart, g.OccurredEnd = st, en
		}
	}
	return out, nil
}
