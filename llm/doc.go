// Package llm is jedisos's model layer: one OpenAI-shaped message type,
// providers built from LiteLLM-style model strings over langchaingo, a typed
// error taxonomy, normalised usage and cost, callbacks, configuration and the
// fallback Router.
//
// The core types (Message, Request, Response, Usage, Error) are defined in
// this package and converted to and from langchaingo's llms types only at the
// provider boundary.
package llm
