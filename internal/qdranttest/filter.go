package qdranttest

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// checkFilter validates a filter before it is evaluated, so evaluation never
// fails half-way. where names the request field for error messages.
func (c *collection) checkFilter(f *qdrant.Filter, where string) error {
	if f == nil {
		return nil
	}
	groups := []struct {
		name  string
		conds []*qdrant.Condition
	}{{"must", f.GetMust()}, {"should", f.GetShould()}, {"must_not", f.GetMustNot()}, {"min_should", f.GetMinShould().GetConditions()}}
	for _, g := range groups {
		for i, cond := range g.conds {
			if err := c.checkCondition(cond, fmt.Sprintf("%s.%s[%d]", where, g.name, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *collection) checkCondition(cond *qdrant.Condition, where string) error {
	switch x := cond.GetConditionOneOf().(type) {
	case *qdrant.Condition_Field:
		fc := x.Field
		if fc.GetKey() == "" {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %s: field condition has an empty key", where)
		}
		if _, err := parsePath(fc.GetKey()); err != nil {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %s: %v", where, err)
		}
		if fc.GeoBoundingBox != nil || fc.GeoRadius != nil || fc.GeoPolygon != nil {
			return status.Errorf(codes.Unimplemented, "qdranttest: %s: geo conditions on %q are not supported", where, fc.GetKey())
		}
		if fc.Match == nil && fc.Range == nil && fc.DatetimeRange == nil && fc.ValuesCount == nil && fc.IsEmpty == nil && fc.IsNull == nil {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %s: field condition on %q has no condition (match, range, datetime_range, values_count, is_empty or is_null)", where, fc.GetKey())
		}
		if fc.Match != nil && fc.Match.GetMatchValue() == nil {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %s: match on %q has no value", where, fc.GetKey())
		}
	case *qdrant.Condition_IsEmpty:
		if x.IsEmpty.GetKey() == "" {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %s: is_empty has an empty key", where)
		}
	case *qdrant.Condition_IsNull:
		if x.IsNull.GetKey() == "" {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %s: is_null has an empty key", where)
		}
	case *qdrant.Condition_HasId:
		for i, id := range x.HasId.GetHasId() {
			if _, err := keyOf(id, fmt.Sprintf("%s.has_id[%d]", where, i)); err != nil {
				return err
			}
		}
	case *qdrant.Condition_Filter:
		return c.checkFilter(x.Filter, where+".filter")
	case *qdrant.Condition_Nested:
		if x.Nested.GetKey() == "" {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %s: nested condition has an empty key", where)
		}
		return c.checkFilter(x.Nested.GetFilter(), where+".nested")
	case *qdrant.Condition_HasVector:
	case nil:
		return status.Errorf(codes.InvalidArgument, "Wrong input: %s: empty condition", where)
	default:
		return status.Errorf(codes.Unimplemented, "qdranttest: %s: condition %T is not supported", where, x)
	}
	return nil
}

// matches reports whether point p passes filter f. Loops over many points
// should use one matcher instead.
func (c *collection) matches(f *qdrant.Filter, p *point) bool {
	return c.matcher().matches(f, p)
}

// matcher evaluates filters for one request; it caches the parsed id sets
// of has_id conditions.
type matcher struct {
	c   *collection
	ids map[*qdrant.HasIdCondition]map[pointKey]bool
}

func (c *collection) matcher() *matcher { return &matcher{c: c} }

// matches reports whether point p passes filter f.
func (m *matcher) matches(f *qdrant.Filter, p *point) bool {
	return m.evalFilter(f, p, p.payload, "")
}

func (m *matcher) idSet(h *qdrant.HasIdCondition) map[pointKey]bool {
	if set, ok := m.ids[h]; ok {
		return set
	}
	set := make(map[pointKey]bool, len(h.GetHasId()))
	for _, id := range h.GetHasId() {
		if k, err := keyOf(id, ""); err == nil {
			set[k] = true
		}
	}
	if m.ids == nil {
		m.ids = map[*qdrant.HasIdCondition]map[pointKey]bool{}
	}
	m.ids[h] = set
	return set
}

// evalFilter evaluates f against payload (the point's payload, or one
// element of an array for a nested condition, whose key prefix is prefix).
func (m *matcher) evalFilter(f *qdrant.Filter, p *point, payload map[string]*qdrant.Value, prefix string) bool {
	if f == nil {
		return true
	}
	for _, cond := range f.GetMust() {
		if !m.evalCond(cond, p, payload, prefix) {
			return false
		}
	}
	for _, cond := range f.GetMustNot() {
		if m.evalCond(cond, p, payload, prefix) {
			return false
		}
	}
	if should := f.GetShould(); len(should) > 0 {
		ok := false
		for _, cond := range should {
			if m.evalCond(cond, p, payload, prefix) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if ms := f.GetMinShould(); ms != nil {
		n := uint64(0)
		for _, cond := range ms.GetConditions() {
			if m.evalCond(cond, p, payload, prefix) {
				n++
			}
		}
		if n < ms.GetMinCount() {
			return false
		}
	}
	return true
}

func (m *matcher) evalCond(cond *qdrant.Condition, p *point, payload map[string]*qdrant.Value, prefix string) bool {
	switch x := cond.GetConditionOneOf().(type) {
	case *qdrant.Condition_Field:
		return m.evalField(x.Field, payload, prefix)
	case *qdrant.Condition_IsEmpty:
		vals := lookup(payload, mustPath(x.IsEmpty.GetKey()))
		for _, v := range vals {
			if !isEmptyValue(v) {
				return false
			}
		}
		return true
	case *qdrant.Condition_IsNull:
		for _, v := range lookup(payload, mustPath(x.IsNull.GetKey())) {
			if isNullValue(v) {
				return true
			}
		}
		return false
	case *qdrant.Condition_HasId:
		return m.idSet(x.HasId)[p.key]
	case *qdrant.Condition_Filter:
		return m.evalFilter(x.Filter, p, payload, prefix)
	case *qdrant.Condition_Nested:
		key := x.Nested.GetKey()
		for _, v := range lookup(payload, mustPath(key)) {
			for _, obj := range objectsOf(v) {
				if m.evalFilter(x.Nested.GetFilter(), p, obj, prefix+strings.TrimSuffix(key, "[]")+"[].") {
					return true
				}
			}
		}
		return false
	case *qdrant.Condition_HasVector:
		name := x.HasVector.GetHasVector()
		if d, ok := p.dense[name]; ok && len(d) > 0 {
			return true
		}
		sv, ok := p.sparse[name]
		return ok && len(sv.idx) > 0
	}
	return false
}

func (m *matcher) evalField(fc *qdrant.FieldCondition, payload map[string]*qdrant.Value, prefix string) bool {
	var buf [4]*qdrant.Value
	vals := lookupInto(buf[:0], payload, mustPath(fc.GetKey()))
	if len(vals) == 0 {
		// Qdrant's answer for a missing value.
		switch {
		case fc.IsEmpty != nil:
			return fc.GetIsEmpty()
		case fc.IsNull != nil:
			return !fc.GetIsNull()
		case fc.ValuesCount != nil:
			return countIn(fc.ValuesCount, 0)
		}
		return false
	}
	if fc.ValuesCount != nil {
		n := 0
		for _, v := range vals {
			if l, ok := v.GetKind().(*qdrant.Value_ListValue); ok {
				n += len(l.ListValue.GetValues())
			} else {
				n++
			}
		}
		return countIn(fc.ValuesCount, uint64(n))
	}
	if fc.IsEmpty != nil {
		for _, v := range vals {
			if isEmptyValue(v) != fc.GetIsEmpty() {
				return false
			}
		}
		return true
	}
	if fc.IsNull != nil {
		hasNull := false
		for _, v := range vals {
			if isNullValue(v) {
				hasNull = true
			}
		}
		return hasNull == fc.GetIsNull()
	}
	textIndexed := false
	if len(m.c.textIndexd) > 0 {
		textIndexed = m.c.textIndexd[prefix+fc.GetKey()]
	}
	for _, v := range vals {
		if l, ok := v.GetKind().(*qdrant.Value_ListValue); ok {
			for _, e := range l.ListValue.GetValues() {
				if checkValue(fc, e, textIndexed) {
					return true
				}
			}
			continue
		}
		if checkValue(fc, v, textIndexed) {
			return true
		}
	}
	return false
}

func countIn(r *qdrant.ValuesCount, n uint64) bool {
	if r.Lt != nil && !(n < r.GetLt()) {
		return false
	}
	if r.Gt != nil && !(n > r.GetGt()) {
		return false
	}
	if r.Lte != nil && !(n <= r.GetLte()) {
		return false
	}
	if r.Gte != nil && !(n >= r.GetGte()) {
		return false
	}
	return true
}

func isEmptyValue(v *qdrant.Value) bool {
	switch k := v.GetKind().(type) {
	case *qdrant.Value_NullValue, nil:
		return true
	case *qdrant.Value_ListValue:
		return len(k.ListValue.GetValues()) == 0
	}
	return false
}

func isNullValue(v *qdrant.Value) bool {
	switch k := v.GetKind().(type) {
	case *qdrant.Value_NullValue, nil:
		return true
	case *qdrant.Value_ListValue:
		for _, e := range k.ListValue.GetValues() {
			if _, ok := e.GetKind().(*qdrant.Value_NullValue); ok {
				return true
			}
		}
	}
	return false
}

// checkValue checks one scalar (or nested array) value against the match,
// range and datetime parts of a field condition; any passing part matches.
func checkValue(fc *qdrant.FieldCondition, v *qdrant.Value, textIndexed bool) bool {
	if fc.Match != nil && checkMatch(fc.Match, v, textIndexed) {
		return true
	}
	if r := fc.Range; r != nil {
		if x, ok := number(v); ok && inRange(x, r) {
			return true
		}
	}
	if r := fc.DatetimeRange; r != nil {
		if s, ok := v.GetKind().(*qdrant.Value_StringValue); ok {
			if t, err := parseDatetime(s.StringValue); err == nil && inTimeRange(t, r) {
				return true
			}
		}
	}
	return false
}

func number(v *qdrant.Value) (float64, bool) {
	switch k := v.GetKind().(type) {
	case *qdrant.Value_IntegerValue:
		return float64(k.IntegerValue), true
	case *qdrant.Value_DoubleValue:
		return k.DoubleValue, true
	}
	return 0, false
}

func inRange(x float64, r *qdrant.Range) bool {
	if r.Lt != nil && !(x < r.GetLt()) {
		return false
	}
	if r.Gt != nil && !(x > r.GetGt()) {
		return false
	}
	if r.Lte != nil && !(x <= r.GetLte()) {
		return false
	}
	if r.Gte != nil && !(x >= r.GetGte()) {
		return false
	}
	return true
}

func inTimeRange(t time.Time, r *qdrant.DatetimeRange) bool {
	if r.Lt != nil && !t.Before(r.GetLt().AsTime()) {
		return false
	}
	if r.Gt != nil && !t.After(r.GetGt().AsTime()) {
		return false
	}
	if r.Lte != nil && t.After(r.GetLte().AsTime()) {
		return false
	}
	if r.Gte != nil && t.Before(r.GetGte().AsTime()) {
		return false
	}
	return true
}

var datetimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseDatetime accepts the datetime forms Qdrant documents: RFC 3339, and
// the same without a zone (taken as UTC), with a space separator, or a date.
func parseDatetime(s string) (time.Time, error) {
	for _, l := range datetimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a datetime: %q", s)
}

func checkMatch(m *qdrant.Match, v *qdrant.Value, textIndexed bool) bool {
	str, isStr := v.GetKind().(*qdrant.Value_StringValue)
	switch x := m.GetMatchValue().(type) {
	case *qdrant.Match_Keyword:
		return isStr && str.StringValue == x.Keyword
	case *qdrant.Match_Integer:
		i, ok := v.GetKind().(*qdrant.Value_IntegerValue)
		return ok && i.IntegerValue == x.Integer
	case *qdrant.Match_Boolean:
		b, ok := v.GetKind().(*qdrant.Value_BoolValue)
		return ok && b.BoolValue == x.Boolean
	case *qdrant.Match_Keywords:
		if !isStr {
			return false
		}
		for _, s := range x.Keywords.GetStrings() {
			if s == str.StringValue {
				return true
			}
		}
		return false
	case *qdrant.Match_Integers:
		i, ok := v.GetKind().(*qdrant.Value_IntegerValue)
		if !ok {
			return false
		}
		for _, n := range x.Integers.GetIntegers() {
			if n == i.IntegerValue {
				return true
			}
		}
		return false
	case *qdrant.Match_ExceptKeywords:
		switch v.GetKind().(type) {
		case *qdrant.Value_NullValue, nil:
			return false
		case *qdrant.Value_StringValue:
			for _, s := range x.ExceptKeywords.GetStrings() {
				if s == str.StringValue {
					return false
				}
			}
		}
		return true
	case *qdrant.Match_ExceptIntegers:
		switch k := v.GetKind().(type) {
		case *qdrant.Value_NullValue, nil:
			return false
		case *qdrant.Value_IntegerValue:
			for _, n := range x.ExceptIntegers.GetIntegers() {
				if n == k.IntegerValue {
					return false
				}
			}
		}
		return true
	case *qdrant.Match_Text:
		if !isStr {
			return false
		}
		if textIndexed {
			have := tokenSet(str.StringValue)
			for _, t := range tokens(x.Text) {
				if !have[t] {
					return false
				}
			}
			return true
		}
		return strings.Contains(str.StringValue, x.Text)
	case *qdrant.Match_TextAny:
		if !isStr {
			return false
		}
		if textIndexed {
			have := tokenSet(str.StringValue)
			for _, t := range tokens(x.TextAny) {
				if have[t] {
					return true
				}
			}
			return false
		}
		for _, t := range strings.Fields(x.TextAny) {
			if strings.Contains(str.StringValue, t) {
				return true
			}
		}
		return false
	case *qdrant.Match_Phrase:
		if !isStr {
			return false
		}
		if textIndexed {
			have, want := tokens(str.StringValue), tokens(x.Phrase)
			if len(want) == 0 {
				return true
			}
			for i := 0; i+len(want) <= len(have); i++ {
				ok := true
				for j := range want {
					if have[i+j] != want[j] {
						ok = false
						break
					}
				}
				if ok {
					return true
				}
			}
			return false
		}
		return strings.Contains(str.StringValue, x.Phrase)
	}
	return false
}

// tokens splits text the way a word tokenizer with lowercasing does.
func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	})
}

func tokenSet(s string) map[string]bool {
	out := map[string]bool{}
	for _, t := range tokens(s) {
		out[t] = true
	}
	return out
}

// pathSeg is one segment of a payload key: a field name, optionally with []
// (every element) or [n] (one element).
type pathSeg struct {
	name  string
	all   bool
	index int // -1 when not indexed
}

func parsePath(key string) ([]pathSeg, error) {
	var segs []pathSeg
	for _, part := range strings.Split(key, ".") {
		seg := pathSeg{index: -1}
		if i := strings.IndexByte(part, '['); i >= 0 {
			if !strings.HasSuffix(part, "]") {
				return nil, fmt.Errorf("payload key %q: unclosed [ in %q", key, part)
			}
			inner := part[i+1 : len(part)-1]
			seg.name = part[:i]
			if inner == "" {
				seg.all = true
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("payload key %q: array index %q is not a non-negative integer", key, inner)
				}
				seg.index = n
			}
		} else {
			seg.name = part
		}
		if seg.name == "" {
			return nil, fmt.Errorf("payload key %q has an empty segment", key)
		}
		segs = append(segs, seg)
	}
	return segs, nil
}

// pathCache memoises parsed payload keys; filters repeat the same few keys
// for every point they are evaluated on.
var pathCache sync.Map // string -> []pathSeg

// mustPath parses a key already validated by checkFilter.
func mustPath(key string) []pathSeg {
	if p, ok := pathCache.Load(key); ok {
		return p.([]pathSeg)
	}
	p, err := parsePath(key)
	if err != nil {
		return nil
	}
	pathCache.Store(key, p)
	return p
}

// lookup returns the values at path. Arrays met on the way are descended
// into (a list of objects yields the field of each element); the value at
// the end is returned as stored, arrays included, unless the last segment
// ends in [] or [n].
func lookup(payload map[string]*qdrant.Value, path []pathSeg) []*qdrant.Value {
	return lookupInto(nil, payload, path)
}

// lookupInto is lookup appending to buf, so callers can use a stack buffer.
func lookupInto(buf []*qdrant.Value, payload map[string]*qdrant.Value, path []pathSeg) []*qdrant.Value {
	if len(path) == 0 {
		return buf
	}
	seg := path[0]
	x, ok := payload[seg.name]
	if !ok {
		return buf
	}
	var here []*qdrant.Value
	var one [1]*qdrant.Value
	switch {
	case seg.all:
		if l, isList := x.GetKind().(*qdrant.Value_ListValue); isList {
			here = l.ListValue.GetValues()
		}
	case seg.index >= 0:
		if l, isList := x.GetKind().(*qdrant.Value_ListValue); isList && seg.index < len(l.ListValue.GetValues()) {
			one[0] = l.ListValue.GetValues()[seg.index]
			here = one[:]
		}
	default:
		one[0] = x
		here = one[:]
	}
	if len(path) == 1 {
		return append(buf, here...)
	}
	for _, v := range here {
		switch k := v.GetKind().(type) {
		case *qdrant.Value_StructValue:
			buf = lookupInto(buf, k.StructValue.GetFields(), path[1:])
		case *qdrant.Value_ListValue:
			for _, e := range k.ListValue.GetValues() {
				if st, isObj := e.GetKind().(*qdrant.Value_StructValue); isObj {
					buf = lookupInto(buf, st.StructValue.GetFields(), path[1:])
				}
			}
		}
	}
	return buf
}

// objectsOf returns the object fields of v: v itself if it is an object, its
// object elements if it is a list.
func objectsOf(v *qdrant.Value) []map[string]*qdrant.Value {
	switch k := v.GetKind().(type) {
	case *qdrant.Value_StructValue:
		return []map[string]*qdrant.Value{k.StructValue.GetFields()}
	case *qdrant.Value_ListValue:
		var out []map[string]*qdrant.Value
		for _, e := range k.ListValue.GetValues() {
			if s, ok := e.GetKind().(*qdrant.Value_StructValue); ok {
				out = append(out, s.StructValue.GetFields())
			}
		}
		return out
	}
	return nil
}
