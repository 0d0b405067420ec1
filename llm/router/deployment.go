package router

import (
	"math"
	"strings"
	"sync"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// deployment is the live state of one Deployment. Fields below mu in group
// are guarded by the group's mutex.
type deployment struct {
	id, group     string
	model         llm.Completer
	modelName     string
	priceModel    string
	provider      string
	maxInput      int
	inCost        float64 // per token, for cost-based routing
	outCost       float64
	costOverride  bool
	overrideInfo  llm.ModelInfo // the deployment's own prices, when costOverride
	info          llm.ModelInfo // price-table entry of priceModel
	hasInfo       bool
	tpm, rpm      int
	weight        float64
	order         int
	timeout       time.Duration
	streamTimeout time.Duration
	maxParallel   int
	cooldownTime  time.Duration // <= 0: never cooled down
	numRetries    *int
	// unavailable is why the deployment could not be built (a missing
	// key or other environment setting); such a deployment never takes a
	// call and answers with this error when nothing else can.
	unavailable *llm.Error

	// guarded by group.mu
	inFlight      int
	cooldownUntil time.Time
	minute        int64
	rpmUsed       int
	tpmUsed       int
	minuteReqs    int
	minuteFails   int
	fails         []time.Time // failures inside the cooldown window
	lat           []float64   // latency ring
	latPos        int
	latFull       bool
}

// cost prices usage u on d: the deployment's own per-token prices when
// set (with its own cache and tier prices, if any; none are taken from the
// price table), else the price the model reported (reported), else the
// price table.
func (d *deployment) cost(u llm.Usage, reported float64) float64 {
	switch {
	case d.costOverride:
		return llm.CostFor(d.overrideInfo, u)
	case reported == 0 && (u.PromptTokens > 0 || u.CompletionTokens > 0) && d.hasInfo:
		return llm.CostFor(d.info, u)
	}
	return reported
}

// costKnown reports whether the cost d.cost gives is a real price: the
// deployment's own prices, the model's own known price (reported), the
// price table, or a local model, which is free.
func (d *deployment) costKnown(reported bool) bool {
	return d.costOverride || reported || d.hasInfo || llm.IsLocalProvider(d.provider)
}

// group is a model group.
type group struct {
	name string
	deps []*deployment

	mu       sync.Mutex
	released chan struct{} // closed and replaced whenever a slot frees
}

// rollMinute resets the per-minute counters when the minute changed.
func (d *deployment) rollMinute(minute int64) {
	if d.minute != minute {
		d.minute = minute
		d.rpmUsed, d.tpmUsed, d.minuteReqs, d.minuteFails = 0, 0, 0, 0
	}
}

// latency returns the mean of the recent latency samples, 0 when none.
func (d *deployment) latency() float64 {
	n := d.latPos
	if d.latFull {
		n = len(d.lat)
	}
	if n == 0 {
		return 0
	}
	var s float64
	for _, v := range d.lat[:n] {
		s += v
	}
	return s / float64(n)
}

func (d *deployment) addLatency(v float64, window int) {
	if d.lat == nil {
		d.lat = make([]float64, window)
	}
	d.lat[d.latPos] = v
	d.latPos++
	if d.latPos == len(d.lat) {
		d.latPos = 0
		d.latFull = true
	}
}

// providerOf guesses the provider from a LiteLLM model string.
func providerOf(model string) string {
	if i := strings.IndexByte(model, '/'); i > 0 {
		return model[:i]
	}
	m := strings.ToLower(model)
	switch {
	case strings.HasPrefix(m, "claude"):
		return "anthropic"
	case strings.HasPrefix(m, "gpt"), strings.HasPrefix(m, "o1"), strings.HasPrefix(m, "o3"),
		strings.HasPrefix(m, "o4"), strings.HasPrefix(m, "chatgpt"), strings.HasPrefix(m, "text-embedding"):
		return "openai"
	case strings.HasPrefix(m, "gemini"):
		return "gemini"
	case strings.HasPrefix(m, "command"):
		return "cohere"
	case strings.HasPrefix(m, "mistral"):
		return "mistral"
	}
	return ""
}

// pickInput is what a strategy needs to know about the call.
type pickInput struct {
	tokens int
}

// choose applies the strategy to the candidates (all healthy, same order).
// It runs under the group's mutex.
func (r *Router) choose(cands []*deployment, in pickInput) *deployment {
	if len(cands) == 1 {
		return cands[0]
	}
	switch r.strategy {
	case LeastBusy:
		return r.leastBy(cands, func(d *deployment) float64 { return float64(d.inFlight) })
	case UsageBased:
		return r.leastBy(cands, func(d *deployment) float64 { return float64(d.tpmUsed) })
	case CostBased:
		return r.leastBy(cands, func(d *deployment) float64 { return d.inCost + d.outCost })
	case LatencyBased:
		return r.pickLatency(cands)
	}
	return r.pickWeighted(cands)
}

// leastBy picks the candidate with the lowest key, ties at random
// (reservoir sampling over the tied candidates, in one pass).
func (r *Router) leastBy(cands []*deployment, key func(*deployment) float64) *deployment {
	var best *deployment
	bestKey := math.Inf(1)
	ties := 0
	for _, d := range cands {
		k := key(d)
		switch {
		case k < bestKey:
			best, bestKey, ties = d, k, 1
		case k == bestKey:
			ties++
			if r.rnd.intn(ties) == 0 {
				best = d
			}
		}
	}
	return best
}

func (r *Router) pickWeighted(cands []*deployment) *deployment {
	w := func(d *deployment) float64 { return d.weight }
	var total float64
	for _, d := range cands {
		total += d.weight
	}
	if total <= 0 {
		w = func(d *deployment) float64 { return float64(d.rpm) }
		for _, d := range cands {
			total += float64(d.rpm)
		}
	}
	if total <= 0 {
		w = func(d *deployment) float64 { return float64(d.tpm) }
		for _, d := range cands {
			total += float64(d.tpm)
		}
	}
	if total <= 0 {
		return cands[r.rnd.intn(len(cands))]
	}
	x := r.rnd.float() * total
	for _, d := range cands {
		x -= w(d)
		if x < 0 {
			return d
		}
	}
	// rounding: the last deployment with a positive weight
	for i := len(cands) - 1; i >= 0; i-- {
		if w(cands[i]) > 0 {
			return cands[i]
		}
	}
	return cands[len(cands)-1]
}

func (r *Router) pickLatency(cands []*deployment) *deployment {
	lowest := math.Inf(1)
	for _, d := range cands {
		if l := d.latency(); l < lowest {
			lowest = l
		}
	}
	limit := lowest * (1 + r.args.LatencyBuffer)
	var fast [16]*deployment
	sel := fast[:0]
	for _, d := range cands {
		if d.latency() <= limit {
			sel = append(sel, d)
		}
	}
	return sel[r.rnd.intn(len(sel))]
}
