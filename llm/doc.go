// Package llm is jedisos's model layer: one OpenAI-shaped message type,
// providers built from LiteLLM-style model strings, a typed error taxonomy,
// normalised usage and cost, and callbacks. The fallback Router and the
// YAML configuration live in the subpackage llm/router.
//
// The core types (Message, Request, Response, Usage, Error) are defined in
// this package and converted to and from langchaingo's llms types only at the
// provider boundary (ToLangchain, FromContentResponse, FromLangchain,
// RequestFromLangchain, ToContentResponse). A *Model is both a Completer and
// a langchaingo llms.Model.
//
// # Model strings
//
//	gpt-*, chatgpt-*, o1/o3/o4...   openai       OPENAI_API_KEY, OPENAI_API_BASE
//	claude-*, anthropic/...         anthropic    ANTHROPIC_API_KEY, ANTHROPIC_API_BASE
//	gemini/...                      gemini       GEMINI_API_KEY or GOOGLE_API_KEY
//	vertex_ai/... (gemini, claude)  vertex_ai    VERTEXAI_PROJECT, VERTEXAI_LOCATION, GOOGLE_APPLICATION_CREDENTIALS or VERTEXAI_ACCESS_TOKEN
//	groq/...                        groq         GROQ_API_KEY
//	ollama/...                      ollama       OLLAMA_API_BASE (no key; tools via its /v1 endpoint)
//	azure/<deployment>              azure        AZURE_API_KEY, AZURE_API_BASE, AZURE_API_VERSION
//	bedrock/<model id>              bedrock      AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION
//	huggingface/...                 huggingface  HUGGINGFACE_API_KEY or HF_TOKEN
//	cohere/...                      cohere       COHERE_API_KEY
//	together_ai/...                 together_ai  TOGETHERAI_API_KEY
//	mistral/...                     mistral      MISTRAL_API_KEY
//	openai/<name> + API base        any OpenAI-compatible server (key optional)
//
// OpenAI, Azure, Groq, Ollama, Hugging Face, Cohere, Together AI and Mistral
// speak OpenAI's chat-completions format; Anthropic its messages format;
// Gemini and Vertex AI generateContent. These three wire formats are spoken
// directly over one HTTP client per model, in JSON and server-sent events,
// because langchaingo's clients for them lose the HTTP status and headers,
// mix up parallel tool-call deltas, swallow in-band stream errors, always
// send a temperature and can leak keys in errors. Bedrock goes through
// langchaingo's bedrock provider with the AWS SDK's retries disabled, and
// FromLangchain adapts any other langchaingo model.
//
// # Errors
//
// Every failure is an *Error whose Kind is one of the Err* sentinels, so
// errors.Is(err, llm.ErrRateLimit) and errors.As(err, &e) both work. Kinds
// nest: ErrContextWindowExceeded, ErrContentPolicyViolation and
// ErrUnsupportedParams also match ErrBadRequest, and every *Error of any
// kind (rate limit, server errors, timeouts, connection, authentication,
// budget, interrupted streams...) also matches ErrAPI, the catch-all a
// LiteLLM fallback loop writes as "except litellm.APIError". Test the
// specific kinds first when the handling differs. The
// kind comes from the HTTP status first and the provider's error body second
// (Classify, ClassifyHTTP); Retry-After is read in seconds or as an HTTP
// date. A stream that fails after output reached the caller is
// ErrStreamInterrupted carrying the partial Response, and still matches the
// kind of its cause. A stream cut by a deadline is ErrTimeout (and matches
// context.DeadlineExceeded), a stream cut by the peer ErrAPIConnection;
// only a complete line that does not parse is a malformed chunk.
//
// # Secrets
//
// API keys never appear in errors, logs or callback payloads, nor in any
// value errors.As reaches: the body and headers of an *HTTPError are
// redacted when it is built. Every credential a model uses is registered
// for redaction: the API key, the values of credential headers in
// Params.Headers (an Azure AD bearer token, ...), AWS credentials, the
// service-account material of Vertex AI and each access token fetched for
// it, in the forms a server may echo them (as they are, URL- and
// JSON-escaped). Bearer and basic credentials in any letter case, key-like
// query parameters and strings shaped like provider keys (sk-..., AIza...,
// ya29...., AKIA..., JWTs) are removed wherever they come from. Error
// values of provider libraries (the AWS SDK's keep the signed request and
// the raw response) are replaced by their redacted text, keeping the
// context sentinels and the redacted *HTTPError.
//
// # Limits
//
// Limits (WithLimits, Params.Limits) bound what is read from a provider:
// one server-sent-event line and one event's data (8 MiB by default), a
// non-streamed body counted after decompression (32 MiB), and the text,
// reasoning and tool calls one streamed reply accumulates (16 MiB).
// Exceeding one fails the call with ErrResponseTooLarge wrapping a
// *LimitError that names the limit and its value; the memory used stays
// under twice the limit. The Router neither retries nor cools down a
// deployment for it (it answered; the same request would likely produce
// the same reply) and falls back as for any other failure.
//
// # Streaming
//
// Model.Stream (and Stream for any Completer; the Router has the same
// method) returns an iter.Seq2[Chunk, error]: range over it for the chunks,
// the last of which carries the whole Response. Breaking out of the loop
// stops the stream and closes the connection, and the call counts as a
// success holding what arrived (FinishStopped); a StreamFunc returning
// ErrStopStream does the same in the callback form (Request.Stream).
//
// # Retries
//
// A Model retries only when built WithRetries (LiteLLM's max_retries),
// with the rules the Router uses too: Retryable, PolicyFor and Backoff,
// which honours Retry-After.
//
// # Parameters
//
// Besides messages and tools, a Request passes TopP, Stop, Seed, N, User,
// Logprobs/TopLogprobs, ResponseFormat and Extra (merged into the body)
// to the provider, each in its own wire shape; Params sets per-model
// defaults for them. A parameter the provider cannot take is
// ErrUnsupportedParams unless drop_params is set (Request.DropParams,
// Params.DropParams). ToolChoice is typed (auto, required, none,
// UseTool(name)); ParseToolChoice reads the OpenAI and Anthropic shapes.
//
// # Testing
//
// Package llm/llmtest serves the OpenAI, Anthropic, Gemini and Ollama wire
// formats from scripted replies and failures, for tests without network.
//
// # Debugging
//
// JEDISOS_LOG=debug in the environment (or WithDebugLog for one model) logs
// every HTTP request and response through log/slog at Debug level, as
// LiteLLM's LITELLM_LOG=DEBUG does: URL, headers, bodies (stream events
// once the stream ends), status and time taken, with API keys, auth
// headers and key-like query parameters redacted. Without a logger the
// lines go to standard error.
//
// # Usage and cost
//
// Usage follows OpenAI's convention (prompt tokens include cache reads and
// writes, completion tokens include reasoning) whatever the provider
// reported. Cost comes from LiteLLM's price table, embedded (MIT, see
// data/LICENSE) and parsed on first use; RegisterModel adds or overrides
// entries at run time. A prompt longer than one of a model's long-context
// thresholds (ModelInfo.Tiers: the table's *_above_200k_tokens,
// *_above_272k_tokens, ... prices) is billed, all of it, at that tier's
// input, output and cache prices.
package llm
