// Package router is jedisos's fallback Router: LiteLLM's Router semantics
// over any llm.Completer.
//
// A Router holds model groups. Each group is a list of deployments (a model
// string with its own key, base URL, limits, weight, order, timeouts and
// prices, or any llm.Completer). A call names a group; the Router picks a
// deployment with the configured strategy (simple-shuffle, least-busy,
// usage-based, latency-based or cost-based), retries inside the group with a
// per-kind retry policy and a backoff that honours Retry-After, cools failing
// deployments down, and moves to fallback groups (general, context-window,
// content-policy and default) when the group cannot answer.
//
// The rules follow LiteLLM's Router, minus its known defects:
//
//   - a throttled deployment that sent Retry-After is cooled down for that long
//     and the Router waits for it unless another deployment is really healthy
//     (it never hammers a throttled upstream);
//   - a fallback group never restarts the retry cycle of a group already
//     tried in the same call, and no group is run twice;
//   - least-busy breaks ties randomly instead of always picking the first
//     deployment;
//   - when every deployment is cooling down the caller can choose to wait
//     (Config.WaitForCooldown) within the call's deadline instead of failing;
//   - a stream falls back freely until its first chunk reaches the caller;
//     after that a failure ends the call with an llm.ErrStreamInterrupted
//     error carrying the partial output, never a silent truncation;
//   - a call returns at its deadline even when a Completer ignores its
//     context: the attempt is abandoned (it finishes in the background, its
//     result dropped, its cost counted; see Router.Abandoned and
//     Router.Drain), and neither that nor any other end of the caller's own
//     deadline counts toward the shared deployment's cooldown;
//   - a Retry-After is honoured up to Config.RetryAfterCap (60s), never
//     for the hours an upstream may ask;
//   - a deployment whose key is missing is unavailable, not fatal: the
//     Router starts, reports it once, and falls back past it.
//
// A Router implements llm.Completer and langchaingo's llms.Model, so it drops
// in anywhere a model does. Configuration is plain data (Config, Deployment)
// validated by New, or YAML loaded by LoadConfig: the llm_config.yaml shape
// (models: primary/fallback1/... and settings:) and LiteLLM's model_list with
// router_settings.
//
// Opt-in extras: a response cache (Config.Cache: NewMemoryCache, or Redis
// through package routerredis) answers repeated requests without calling a
// provider; a shared state (Config.SharedState: NewMemoryState, or
// routerredis.NewState) makes several Routers, in one process or many,
// respect one set of cooldowns and RPM/TPM limits; service callbacks
// (Config.ServiceCallbacks) report cooldowns, unavailable deployments,
// budgets and fallbacks; Router.Pick tells which deployment would serve a
// request now.
//
// Time and randomness are injectable (WithClock, WithRand), so every routing
// decision is deterministic under test.
package router
