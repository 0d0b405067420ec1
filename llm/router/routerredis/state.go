package routerredis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jedisos/jedisos/llm/router"
)

// StateOptions configures a State.
type StateOptions struct {
	// Prefix is put before every key (default "{jedisos:router}:"). Keep a
	// hash tag ({...}) in it on a Redis Cluster: a reservation touches the
	// keys of several deployments in one script, which must share a slot.
	Prefix string
}

// DefaultStatePrefix is StateOptions.Prefix's default.
const DefaultStatePrefix = "{jedisos:router}:"

// State is a router.SharedState in Redis: Routers in any number of
// processes given States over one Redis (and one prefix) share deployment
// cooldowns and per-minute RPM/TPM usage, so replicas respect one limit.
//
// A reservation is one Lua script (EVALSHA: one round trip) that applies
// the updates the Router owes, then checks and counts the first deployment
// that is not cooling down and within its limits, atomically, so that
// concurrent replicas never overshoot a limit. Usage lives in one hash per
// deployment and minute ("<prefix>u:<id>:<minute>", fields r and t, expiring
// after two minutes) and a cooldown in "<prefix>cd:<id>" (its end in Unix
// milliseconds, expiring then). Deployment ids must match across replicas:
// give deployments the same Deployment.ID, or the same params (the derived
// id hashes them).
type State struct {
	c      redis.UniversalClient
	prefix string
}

var _ router.SharedState = (*State)(nil)

// NewState returns a State over the client.
func NewState(c redis.UniversalClient, o StateOptions) *State {
	if o.Prefix == "" {
		o.Prefix = DefaultStatePrefix
	}
	return &State{c: c, prefix: o.Prefix}
}

// acquireScript: ARGV = prefix, now (ms), minute, tokens, #updates,
// updates (id, minute, requests, tokens, cooldown-until ms)..., #candidates,
// candidates (id, rpm, tpm)... Returns {chosen (0-based, -1), cooldown ms,
// requests, tokens per candidate...}.
var acquireScript = redis.NewScript(`
local p = ARGV[1]
local now = tonumber(ARGV[2])
local minute = ARGV[3]
local tokens = tonumber(ARGV[4])
local i = 5
local function apply(id, m, dr, dt, cd)
  if dr ~= 0 or dt ~= 0 then
    local k = p .. 'u:' .. id .. ':' .. m
    if dr ~= 0 then redis.call('HINCRBY', k, 'r', dr) end
    if dt ~= 0 then redis.call('HINCRBY', k, 't', dt) end
    redis.call('EXPIRE', k, 120)
  end
  if cd > 0 then
    local ck = p .. 'cd:' .. id
    local cur = tonumber(redis.call('GET', ck) or '0')
    if cd > cur then redis.call('SET', ck, cd, 'PXAT', cd) end
  end
end
local nu = tonumber(ARGV[i]); i = i + 1
for _ = 1, nu do
  apply(ARGV[i], ARGV[i+1], tonumber(ARGV[i+2]), tonumber(ARGV[i+3]), tonumber(ARGV[i+4]))
  i = i + 5
end
local nc = tonumber(ARGV[i]); i = i + 1
local out = {-1}
for c = 1, nc do
  local id, rpm, tpm = ARGV[i], tonumber(ARGV[i+1]), tonumber(ARGV[i+2]); i = i + 3
  local k = p .. 'u:' .. id .. ':' .. minute
  local cd = tonumber(redis.call('GET', p .. 'cd:' .. id) or '0')
  local v = redis.call('HMGET', k, 'r', 't')
  local r = tonumber(v[1] or '0')
  local t = tonumber(v[2] or '0')
  if out[1] < 0 and cd <= now and (rpm == 0 or r + 1 <= rpm) and (tpm == 0 or t + tokens <= tpm) then
    out[1] = c - 1
    r = redis.call('HINCRBY', k, 'r', 1)
    if tokens > 0 then t = redis.call('HINCRBY', k, 't', tokens) end
    redis.call('EXPIRE', k, 120)
  end
  out[#out + 1] = cd
  out[#out + 1] = r
  out[#out + 1] = t
end
return out
`)

// updateScript applies updates only: ARGV = prefix, #updates, updates...
var updateScript = redis.NewScript(`
local p = ARGV[1]
local i = 3
for _ = 1, tonumber(ARGV[2]) do
  local id, m, dr, dt, cd = ARGV[i], ARGV[i+1], tonumber(ARGV[i+2]), tonumber(ARGV[i+3]), tonumber(ARGV[i+4])
  i = i + 5
  if dr ~= 0 or dt ~= 0 then
    local k = p .. 'u:' .. id .. ':' .. m
    if dr ~= 0 then redis.call('HINCRBY', k, 'r', dr) end
    if dt ~= 0 then redis.call('HINCRBY', k, 't', dt) end
    redis.call('EXPIRE', k, 120)
  end
  if cd > 0 then
    local ck = p .. 'cd:' .. id
    local cur = tonumber(redis.call('GET', ck) or '0')
    if cd > cur then redis.call('SET', ck, cd, 'PXAT', cd) end
  end
end
return 0
`)

func appendUpdates(args []any, ups []router.StateUpdate) []any {
	args = append(args, len(ups))
	for _, u := range ups {
		var cd int64
		if !u.CooldownUntil.IsZero() {
			cd = u.CooldownUntil.UnixMilli()
		}
		args = append(args, u.ID, strconv.FormatInt(u.Minute, 10), u.Requests, u.Tokens, cd)
	}
	return args
}

// Acquire implements router.SharedState in one script call.
func (s *State) Acquire(ctx context.Context, a router.Acquire) (router.AcquireResult, error) {
	args := make([]any, 0, 6+5*len(a.Updates)+3*len(a.Candidates))
	args = append(args, s.prefix, a.Now.UnixMilli(), strconv.FormatInt(a.Now.Unix()/60, 10), a.Tokens)
	args = appendUpdates(args, a.Updates)
	args = append(args, len(a.Candidates))
	for _, c := range a.Candidates {
		args = append(args, c.ID, c.RPM, c.TPM)
	}
	vals, err := acquireScript.Run(ctx, s.c, []string{s.prefix + "acquire"}, args...).Int64Slice()
	if err != nil {
		return router.AcquireResult{}, fmt.Errorf("routerredis: acquire: %w", err)
	}
	if len(vals) != 1+3*len(a.Candidates) {
		return router.AcquireResult{}, fmt.Errorf("routerredis: acquire: %d values for %d candidates", len(vals), len(a.Candidates))
	}
	res := router.AcquireResult{Chosen: int(vals[0]), States: make([]router.CandidateState, len(a.Candidates))}
	for i := range a.Candidates {
		v := vals[1+3*i:]
		st := router.CandidateState{Requests: int(v[1]), Tokens: int(v[2])}
		if v[0] > 0 {
			st.CooldownUntil = time.UnixMilli(v[0])
		}
		res.States[i] = st
	}
	return res, nil
}

// Update implements router.SharedState in one script call.
func (s *State) Update(ctx context.Context, ups []router.StateUpdate) error {
	if len(ups) == 0 {
		return nil
	}
	args := appendUpdates([]any{s.prefix}, ups)
	if err := updateScript.Run(ctx, s.c, []string{s.prefix + "acquire"}, args...).Err(); err != nil {
		return fmt.Errorf("routerredis: update: %w", err)
	}
	return nil
}
