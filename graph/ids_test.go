package graph

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestCheckpointIDsAreOrderedV7(t *testing.T) {
	// Ahead of every id this process made so far (ids only grow, and
	// other tests make them at the real time).
	now := time.Now().Add(time.Hour).UTC()
	var ids []string
	var buf []byte
	var id string
	for range 5000 { // more than the 4096 a millisecond's counter holds
		id, buf = newCheckpointID(now, buf)
		ids = append(ids, id)
	}
	// A clock that steps back does not reorder ids either.
	id, _ = newCheckpointID(now.Add(-time.Hour), nil)
	ids = append(ids, id)
	if !slices.IsSorted(ids) {
		t.Fatal("ids made in sequence do not sort in sequence")
	}
	seen := map[string]bool{}
	for _, s := range ids {
		u, err := uuid.Parse(s)
		if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 || u.String() != s {
			t.Fatalf("%s: version %d variant %v, text %s, %v", s, u.Version(), u.Variant(), u, err)
		}
		if seen[s] {
			t.Fatalf("duplicate id %s", s)
		}
		seen[s] = true
	}
	u, _ := uuid.Parse(ids[0])
	if sec, _ := u.Time().UnixTime(); sec < now.Unix() || sec > now.Unix()+1 {
		t.Fatalf("id time %d, want about %d", sec, now.Unix())
	}
}

func TestAppendExtraMatchesEncodingJSON(t *testing.T) {
	for _, ex := range []extra{
		{},
		{Since: 3},
		{Full: 120},
		{Since: 7, Full: 120},
		{Joins: []uint64{0, 1 << 63, 5}, Since: 1, Full: 2},
		{Joins: []uint64{9}},
		{Upd: true},
		{Since: -1, Upd: true},
		{Origin: "c-1", Break: []string{`after:"odd" <node>`}, Full: 4},
	} {
		want, _ := json.Marshal(ex)
		if got := appendExtra([]byte("junk"), ex); string(got) != "junk"+string(want) {
			t.Errorf("%+v: got %s, want %s", ex, got[4:], want)
		}
	}
}
