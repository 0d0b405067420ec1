package memory

import (
	"fmt"
	"math"
	"slices"
	"time"
	"unicode/utf8"
)

// Kind is the network a memory belongs to.
type Kind string

// The memory kinds.
const (
	// KindWorld is an objective fact about the world or the user.
	KindWorld Kind = "world"
	// KindExperience is something the agent itself did or took part in.
	KindExperience Kind = "experience"
	// KindOpinion is a belief held with a confidence.
	KindOpinion Kind = "opinion"
	// KindObservation is a consolidated belief derived from other memories.
	KindObservation Kind = "observation"
)

// Valid reports whether k is one of the four known kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindWorld, KindExperience, KindOpinion, KindObservation:
		return true
	}
	return false
}

// Disposition holds the traits that shape Reflect's answers, each from 1
// (low) to 5 (high). Zero means "unset" and is treated as 3.
type Disposition struct {
	// Skepticism: how much evidence the bank wants before believing.
	Skepticism int `json:"skepticism,omitempty"`
	// Literalism: how literally the bank reads what it was told.
	Literalism int `json:"literalism,omitempty"`
	// Empathy: how much the bank weighs feelings and context.
	Empathy int `json:"empathy,omitempty"`
}

// Validate reports a trait outside 0..5.
func (d Disposition) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"skepticism", d.Skepticism}, {"literalism", d.Literalism}, {"empathy", d.Empathy}} {
		if f.v < 0 || f.v > 5 {
			return fmt.Errorf("%w: disposition %s = %d, want 1..5 (0 = unset)", ErrInvalid, f.name, f.v)
		}
	}
	return nil
}

// Bank is an isolated memory store: one per user, agent or project.
type Bank struct {
	// ID names the bank; it must be non-empty.
	ID string `json:"id"`
	// Name is a display name.
	Name string `json:"name,omitempty"`
	// Background is free text describing who the bank belongs to.
	Background string `json:"background,omitempty"`
	// Disposition shapes Reflect.
	Disposition Disposition `json:"disposition,omitempty"`
	// CreatedAt is when the bank was first stored.
	CreatedAt time.Time `json:"created_at,omitempty"`
}

// Validate checks the profile: a non-empty id, strings that are valid
// UTF-8 and a valid disposition. The error names the field and wraps
// [ErrInvalid].
func (b *Bank) Validate() error {
	if b.ID == "" {
		return fmt.Errorf("%w: bank id is empty", ErrInvalid)
	}
	if err := checkUTF8("bank id", b.ID); err != nil {
		return err
	}
	if err := checkUTF8("bank "+b.ID+": name", b.Name); err != nil {
		return err
	}
	if err := checkUTF8("bank "+b.ID+": background", b.Background); err != nil {
		return err
	}
	if err := b.Disposition.Validate(); err != nil {
		return fmt.Errorf("bank %s: %w", b.ID, err)
	}
	return nil
}

// checkUTF8 reports a string that is not valid UTF-8, naming the field
// and the offset of the first bad byte. Stores never rewrite such a
// string (JSON would turn it into U+FFFD, protobuf refuses it), so every
// store rejects it at the boundary.
func checkUTF8(field, s string) error {
	if utf8.ValidString(s) {
		return nil
	}
	off := 0
	for off < len(s) {
		r, n := utf8.DecodeRuneInString(s[off:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		off += n
	}
	return fmt.Errorf("%w: %s is not valid UTF-8 (byte 0x%02x at offset %d); strings are stored as UTF-8 text, so convert or encode it first", ErrInvalid, field, s[off], off)
}

// LinkKind says why two memories are linked.
type LinkKind string

// The link kinds.
const (
	// LinkTemporal joins facts that happened within 24 hours of each other.
	LinkTemporal LinkKind = "temporal"
	// LinkEntity joins facts that share an entity.
	LinkEntity LinkKind = "entity"
	// LinkCausal says this fact was caused by the target fact.
	LinkCausal LinkKind = "causal"
)

// Link points from one memory to another in the same bank.
type Link struct {
	// Target is the id of the linked memory.
	Target string `json:"target"`
	// Kind says why they are linked.
	Kind LinkKind `json:"kind"`
	// Weight is in (0, 1].
	Weight float32 `json:"weight"`
}

// Memory is one stored fact with everything the stores index. It is the
// record type every Store persists.
type Memory struct {
	// ID is the deterministic id from [MemoryID] (a UUIDv5 string).
	ID string `json:"id"`
	// Bank is the owning bank's id.
	Bank string `json:"bank"`
	// Kind is the memory network.
	Kind Kind `json:"kind"`
	// Text is the fact itself, one self-contained sentence.
	Text string `json:"text"`
	// Context is where the fact came from ("chat with Mina", a title).
	Context string `json:"context,omitempty"`
	// Entities are the canonical names of people, places, things.
	Entities []string `json:"entities,omitempty"`
	// Tags are caller-chosen labels used by filters.
	Tags []string `json:"tags,omitempty"`
	// OccurredStart and OccurredEnd bound when the fact happened; zero
	// when unknown.
	OccurredStart time.Time `json:"occurred_start,omitzero"`
	OccurredEnd   time.Time `json:"occurred_end,omitzero"`
	// MentionedAt is when the fact was told to the bank.
	MentionedAt time.Time `json:"mentioned_at,omitzero"`
	// DocumentID groups facts retained from one document.
	DocumentID string `json:"document_id,omitempty"`
	// SourceID is shared by the facts extracted from one retained
	// content ([SourceID]); recall groups hits by it.
	SourceID string `json:"source_id,omitempty"`
	// Source is that whole content when it holds more than this fact
	// (empty when the fact is the content).
	Source string `json:"source,omitempty"`
	// Metadata is caller data carried through unchanged.
	Metadata map[string]string `json:"metadata,omitempty"`
	// Confidence is in [0, 1] for opinions; zero otherwise.
	Confidence float64 `json:"confidence,omitempty"`
	// Links to other memories of the same bank.
	Links []Link `json:"links,omitempty"`
	// Vector is the dense embedding (stores normalise it for cosine).
	Vector []float32 `json:"vector,omitempty"`
	// Sparse is the BM25 document vector from [BM25.Document].
	Sparse SparseVector `json:"sparse,omitzero"`
}

// Clone returns a deep copy of m.
func (m Memory) Clone() Memory {
	c := m
	c.Entities = slices.Clone(m.Entities)
	c.Tags = slices.Clone(m.Tags)
	c.Links = slices.Clone(m.Links)
	c.Vector = slices.Clone(m.Vector)
	c.Sparse = SparseVector{Indices: slices.Clone(m.Sparse.Indices), Values: slices.Clone(m.Sparse.Values)}
	if m.Metadata != nil {
		c.Metadata = make(map[string]string, len(m.Metadata))
		for k, v := range m.Metadata {
			c.Metadata[k] = v
		}
	}
	return c
}

// When returns the interval the memory is placed at in time: the occurred
// range when known, else the mention time as a point. ok is false when the
// memory carries no time at all.
func (m *Memory) When() (start, end time.Time, ok bool) {
	switch {
	case !m.OccurredStart.IsZero():
		start = m.OccurredStart
		end = m.OccurredEnd
		if end.IsZero() || end.Before(start) {
			end = start
		}
		return start, end, true
	case !m.OccurredEnd.IsZero():
		return m.OccurredEnd, m.OccurredEnd, true
	case !m.MentionedAt.IsZero():
		return m.MentionedAt, m.MentionedAt, true
	}
	return time.Time{}, time.Time{}, false
}

// Validate checks the fields every store relies on, including that every
// string (id, bank, text, context, entities, tags, document id, metadata
// keys and values, link targets) is valid UTF-8. The error names the field
// and wraps [ErrInvalid].
func (m *Memory) Validate() error {
	if err := m.validateUTF8(); err != nil {
		return err
	}
	switch {
	case m.ID == "":
		return fmt.Errorf("%w: memory id is empty", ErrInvalid)
	case m.Bank == "":
		return fmt.Errorf("%w: memory %s: bank is empty", ErrInvalid, m.ID)
	case !m.Kind.Valid():
		return fmt.Errorf("%w: memory %s: kind %q is not world, experience, opinion or observation", ErrInvalid, m.ID, m.Kind)
	case m.Text == "":
		return fmt.Errorf("%w: memory %s: text is empty", ErrInvalid, m.ID)
	case len(m.Vector) == 0:
		return fmt.Errorf("%w: memory %s: vector is empty", ErrInvalid, m.ID)
	case !(m.Confidence >= 0 && m.Confidence <= 1): // NaN fails too
		return fmt.Errorf("%w: memory %s: confidence %v outside [0, 1]", ErrInvalid, m.ID, m.Confidence)
	case !m.OccurredEnd.IsZero() && !m.OccurredStart.IsZero() && m.OccurredEnd.Before(m.OccurredStart):
		return fmt.Errorf("%w: memory %s: occurred_end %s before occurred_start %s", ErrInvalid, m.ID,
			m.OccurredEnd.Format(time.RFC3339), m.OccurredStart.Format(time.RFC3339))
	}
	for i, x := range m.Vector {
		if !finite(x) {
			return fmt.Errorf("%w: memory %s: vector[%d] is %v; components must be finite", ErrInvalid, m.ID, i, x)
		}
	}
	for i, l := range m.Links {
		if !finite(l.Weight) {
			return fmt.Errorf("%w: memory %s: links[%d] (to %s): weight is %v; it must be finite", ErrInvalid, m.ID, i, l.Target, l.Weight)
		}
	}
	if err := m.Sparse.Validate(); err != nil {
		return fmt.Errorf("memory %s: sparse: %w", m.ID, err)
	}
	return nil
}

func (m *Memory) validateUTF8() error {
	if err := checkUTF8("memory id", m.ID); err != nil {
		return err
	}
	pre := "memory " + m.ID + ": "
	for _, f := range [...]struct{ name, v string }{{"bank", m.Bank}, {"text", m.Text}, {"context", m.Context}, {"document_id", m.DocumentID}} {
		if err := checkUTF8(pre+f.name, f.v); err != nil {
			return err
		}
	}
	for i, e := range m.Entities {
		if err := checkUTF8(fmt.Sprintf("%sentities[%d]", pre, i), e); err != nil {
			return err
		}
	}
	for i, e := range m.Tags {
		if err := checkUTF8(fmt.Sprintf("%stags[%d]", pre, i), e); err != nil {
			return err
		}
	}
	for k, v := range m.Metadata {
		if err := checkUTF8(pre+"metadata key", k); err != nil {
			return err
		}
		if err := checkUTF8(fmt.Sprintf("%smetadata[%q]", pre, k), v); err != nil {
			return err
		}
	}
	for i, l := range m.Links {
		if err := checkUTF8(fmt.Sprintf("%slinks[%d] target", pre, i), l.Target); err != nil {
			return err
		}
	}
	return nil
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float32) bool { return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0) }

// TimeRange is a closed interval [Start, End]. A zero Start or End leaves
// that side open.
type TimeRange struct {
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
}

// Overlaps reports whether [s, e] intersects r.
func (r TimeRange) Overlaps(s, e time.Time) bool {
	if !r.End.IsZero() && s.After(r.End) {
		return false
	}
	if !r.Start.IsZero() && e.Before(r.Start) {
		return false
	}
	return true
}

// String formats the range for logs and errors.
func (r TimeRange) String() string {
	f := func(t time.Time) string {
		if t.IsZero() {
			return "open"
		}
		return t.Format(time.RFC3339)
	}
	return "[" + f(r.Start) + ", " + f(r.End) + "]"
}

// Filter restricts which memories any arm may return. The zero Filter
// matches every memory of the bank.
type Filter struct {
	// Kinds keeps memories of these kinds; empty keeps all.
	Kinds []Kind `json:"kinds,omitempty"`
	// TagsAny keeps memories carrying at least one of these tags.
	TagsAny []string `json:"tags_any,omitempty"`
	// TagsAll keeps memories carrying every one of these tags.
	TagsAll []string `json:"tags_all,omitempty"`
	// Window keeps memories whose time (see [Memory.When]) overlaps it;
	// memories with no time are dropped when Window is set.
	Window *TimeRange `json:"window,omitempty"`
	// DocumentID keeps memories of one document.
	DocumentID string `json:"document_id,omitempty"`
}

// Match reports whether m passes f. Stores that filter in memory use it so
// every store applies the same rules.
func (f *Filter) Match(m *Memory) bool {
	if len(f.Kinds) > 0 {
		ok := false
		for _, k := range f.Kinds {
			if m.Kind == k {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if f.DocumentID != "" && m.DocumentID != f.DocumentID {
		return false
	}
	if len(f.TagsAny) > 0 && !hasAny(m.Tags, f.TagsAny) {
		return false
	}
	for _, t := range f.TagsAll {
		if !hasAny(m.Tags, []string{t}) {
			return false
		}
	}
	if f.Window != nil {
		s, e, ok := m.When()
		if !ok || !f.Window.Overlaps(s, e) {
			return false
		}
	}
	return true
}

// Validate checks kinds, the window, and that tags and the document id
// are valid UTF-8.
func (f *Filter) Validate() error {
	for i, t := range f.TagsAny {
		if err := checkUTF8(fmt.Sprintf("filter tags_any[%d]", i), t); err != nil {
			return err
		}
	}
	for i, t := range f.TagsAll {
		if err := checkUTF8(fmt.Sprintf("filter tags_all[%d]", i), t); err != nil {
			return err
		}
	}
	if err := checkUTF8("filter document_id", f.DocumentID); err != nil {
		return err
	}
	for i, k := range f.Kinds {
		if !k.Valid() {
			return fmt.Errorf("%w: filter kinds[%d] = %q is not a memory kind", ErrInvalid, i, k)
		}
	}
	if f.Window != nil && !f.Window.Start.IsZero() && !f.Window.End.IsZero() && f.Window.End.Before(f.Window.Start) {
		return fmt.Errorf("%w: filter window %s ends before it starts", ErrInvalid, f.Window)
	}
	return nil
}

func hasAny(have, want []string) bool {
	for _, w := range want {
		for _, h := range have {
			if h == w {
				return true
			}
		}
	}
	return false
}
