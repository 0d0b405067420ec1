package router

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// SharedState is where Routers running as replicas of one application
// share what makes their limits global: deployment cooldowns and the
// per-minute RPM/TPM usage (LiteLLM's redis_host on the Router). Set
// Config.SharedState to the same store in every replica (package
// llm/router/routerredis keeps it in Redis; NewMemoryState shares it
// between Routers of one process) and the replicas together respect each
// deployment's RPM and TPM, and skip a deployment any of them cooled down.
//
// A routed call costs one Acquire (one round trip for Redis) per attempt:
// it carries the updates this Router owes (the tokens of finished calls
// beyond their estimate) and reserves the deployment atomically. Starting
// a cooldown costs one Update more, so that every replica sees it at once.
// The tokens of a Router's most recent calls reach the store with its next
// call (or FlushState). When the store cannot be reached the Router goes
// on with its local view and logs it: availability wins over exact limits.
type SharedState interface {
	// Acquire applies a.Updates, then reserves the first of a.Candidates
	// (in the order given, the Router's preference) that is not cooling
	// down at a.Now and stays within its RPM and TPM limits with one more
	// request and a.Tokens more tokens in a.Now's minute, counting them.
	// It returns the index reserved (-1 when none) and the shared state
	// of every candidate after the reservation.
	Acquire(ctx context.Context, a Acquire) (AcquireResult, error)
	// Update applies updates now.
	Update(ctx context.Context, updates []StateUpdate) error
}

// Acquire is one reservation request to a SharedState.
type Acquire struct {
	// Now is the Router's clock; its Unix minute is the usage window.
	Now time.Time
	// Tokens is the request's estimated prompt tokens.
	Tokens int
	// Candidates are the deployments the Router would take, best first.
	Candidates []StateCandidate
	// Updates are applied before the reservation.
	Updates []StateUpdate
}

// StateCandidate is a deployment and its limits (0: unlimited).
type StateCandidate struct {
	ID       string
	RPM, TPM int
}

// AcquireResult is the outcome of an Acquire.
type AcquireResult struct {
	// Chosen is the index of the reserved candidate, -1 when none.
	Chosen int
	// States holds each candidate's shared state, in order.
	States []CandidateState
}

// CandidateState is a deployment's shared state.
type CandidateState struct {
	// CooldownUntil is when its cooldown ends (zero or past: none).
	CooldownUntil time.Time
	// Requests and Tokens are its usage in the current minute.
	Requests, Tokens int
}

// StateUpdate changes a deployment's shared state.
type StateUpdate struct {
	// ID is the deployment.
	ID string
	// Minute is the Unix minute (Unix seconds / 60) Requests and Tokens
	// count in.
	Minute int64
	// Requests and Tokens are added to the minute's usage (negative to
	// give back a reservation never sent).
	Requests, Tokens int
	// CooldownUntil, when later than the current cooldown, extends it.
	CooldownUntil time.Time
}

// MemoryState is a SharedState in process memory: Routers of one process
// given the same MemoryState share cooldowns and limits. It is safe for
// concurrent use.
type MemoryState struct {
	mu   sync.Mutex
	cool map[string]time.Time
	use  map[memKey][2]int
}

type memKey struct {
	id     string
	minute int64
}

// NewMemoryState returns an empty MemoryState.
func NewMemoryState() *MemoryState {
	return &MemoryState{cool: map[string]time.Time{}, use: map[memKey][2]int{}}
}

// Acquire implements SharedState.
func (m *MemoryState) Acquire(_ context.Context, a Acquire) (AcquireResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applyLocked(a.Updates)
	minute := a.Now.Unix() / 60
	for k := range m.use {
		if k.minute < minute-1 {
			delete(m.use, k)
		}
	}
	res := AcquireResult{Chosen: -1, States: make([]CandidateState, len(a.Candidates))}
	for i, c := range a.Candidates {
		k := memKey{c.ID, minute}
		u := m.use[k]
		cd := m.cool[c.ID]
		if res.Chosen < 0 && !cd.After(a.Now) && (c.RPM == 0 || u[0]+1 <= c.RPM) && (c.TPM == 0 || u[1]+a.Tokens <= c.TPM) {
			res.Chosen = i
			u[0]++
			u[1] += a.Tokens
			m.use[k] = u
		}
		res.States[i] = CandidateState{CooldownUntil: cd, Requests: u[0], Tokens: u[1]}
	}
	return res, nil
}

// Update implements SharedState.
func (m *MemoryState) Update(_ context.Context, ups []StateUpdate) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applyLocked(ups)
	return nil
}

func (m *MemoryState) applyLocked(ups []StateUpdate) {
	for _, u := range ups {
		if u.Requests != 0 || u.Tokens != 0 {
			k := memKey{u.ID, u.Minute}
			v := m.use[k]
			v[0] += u.Requests
			v[1] += u.Tokens
			m.use[k] = v
		}
		if u.CooldownUntil.After(m.cool[u.ID]) {
			m.cool[u.ID] = u.CooldownUntil
		}
	}
}

// shared is the Router's side of a SharedState: the updates it owes.
type shared struct {
	s    SharedState
	down atomic.Bool // the store failed; logged once until it answers

	mu      sync.Mutex
	pending []StateUpdate
}

func (s *shared) owe(u StateUpdate) {
	s.mu.Lock()
	s.pending = append(s.pending, u)
	s.mu.Unlock()
}

func (s *shared) take() []StateUpdate {
	s.mu.Lock()
	p := s.pending
	s.pending = nil
	s.mu.Unlock()
	return p
}

func (s *shared) giveBack(p []StateUpdate) {
	if len(p) == 0 {
		return
	}
	s.mu.Lock()
	s.pending = append(p, s.pending...)
	s.mu.Unlock()
}

// FlushState sends the updates this Router still owes its SharedState
// (the tokens of its most recent calls); a no-op without one.
func (r *Router) FlushState(ctx context.Context) error {
	if r.shared == nil {
		return nil
	}
	p := r.shared.take()
	if len(p) == 0 {
		return nil
	}
	if err := r.shared.s.Update(ctx, p); err != nil {
		r.shared.giveBack(p)
		return err
	}
	return nil
}

// sharedCandidatesLocked lists the deployments of g the call could take,
// chosen first, then by Order and declaration. Caller holds g.mu.
func (r *Router) sharedCandidatesLocked(g *group, c *call, failed []*deployment, now time.Time, chosen *deployment) []*deployment {
	out := []*deployment{chosen}
	var rs reasons
	for pass := 0; pass < 2 && len(out) == 1; pass++ {
		for _, d := range g.deps {
			if d == chosen || (pass == 0 && slicesContains(failed, d)) {
				continue
			}
			if r.eligibleLocked(d, c, now, &rs) == skipNone {
				out = append(out, d)
			}
		}
	}
	rest := out[1:]
	for i := 1; i < len(rest); i++ {
		for j := i; j > 0 && rest[j].order < rest[j-1].order; j-- {
			rest[j], rest[j-1] = rest[j-1], rest[j]
		}
	}
	return out
}

// acquireShared reserves one of cands in the shared state and refreshes
// the local view of all of them. It returns the reserved deployment, nil
// when the shared state refused them all, or an error when the store
// could not be reached.
func (c *call) acquireShared(ctx context.Context, g *group, cands []*deployment, now time.Time) (*deployment, error) {
	r := c.r
	a := Acquire{Now: now, Tokens: c.tokens, Candidates: make([]StateCandidate, len(cands)), Updates: r.shared.take()}
	for i, d := range cands {
		a.Candidates[i] = StateCandidate{ID: d.id, RPM: d.rpm, TPM: d.tpm}
	}
	res, err := r.shared.s.Acquire(ctx, a)
	if err != nil {
		r.shared.giveBack(a.Updates)
		return nil, err
	}
	minute := now.Unix() / 60
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, d := range cands {
		if i >= len(res.States) {
			break
		}
		st := res.States[i]
		d.rollMinute(minute)
		if st.CooldownUntil.After(d.cooldownUntil) {
			d.cooldownUntil = st.CooldownUntil
		}
		d.rpmUsed, d.tpmUsed = st.Requests, st.Tokens
	}
	if res.Chosen < 0 || res.Chosen >= len(cands) {
		return nil, nil
	}
	d := cands[res.Chosen]
	if d.maxParallel > 0 && d.inFlight >= d.maxParallel {
		// taken locally meanwhile: give the shared reservation back
		r.shared.owe(StateUpdate{ID: d.id, Minute: minute, Requests: -1, Tokens: -c.tokens})
		return nil, nil
	}
	d.inFlight++
	d.minuteReqs++
	return d, nil
}
