package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// redactor removes secrets from text: every credential a model uses (the
// configured key, credential headers, tokens fetched at run time), in the
// forms a server may echo them (as they are, URL-escaped, JSON-escaped),
// plus key-like query parameters, bearer and basic credentials and the
// well-known shapes of provider keys. A nil *redactor still scrubs the
// patterns. It is safe for concurrent use.
type redactor struct {
	id      uint64 // marks the *HTTPError values it built
	mu      sync.Mutex
	static  []string // configured credentials
	runtime []string // tokens fetched at run time, oldest first, at most maxRuntimeSecrets
	forms   atomic.Pointer[[]string]
}

const redacted = "[REDACTED]"

// maxRuntimeSecrets bounds how many fetched tokens (e.g. hourly Vertex AI
// access tokens) are remembered.
const maxRuntimeSecrets = 16

// redactorIDs numbers redactors.
var redactorIDs atomic.Uint64

func newRedactor(secrets ...string) *redactor {
	r := &redactor{id: redactorIDs.Add(1)}
	r.add(secrets...)
	return r
}

// add registers configured credentials.
func (r *redactor) add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) >= 4 && !contains(r.static, s) {
			r.static = append(r.static, s)
		}
	}
	r.rebuild()
}

// addRuntime registers a credential obtained while running (an access
// token from a token source); only the most recent ones are kept.
func (r *redactor) addRuntime(s string) {
	if r == nil || len(s) < 4 {
		return
	}
	if forms := r.forms.Load(); forms != nil && contains(*forms, s) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if contains(r.runtime, s) || contains(r.static, s) {
		return
	}
	r.runtime = append(r.runtime, s)
	if len(r.runtime) > maxRuntimeSecrets {
		r.runtime = append([]string(nil), r.runtime[len(r.runtime)-maxRuntimeSecrets:]...)
	}
	r.rebuild()
}

// addHeaders registers the values of credential headers ("Authorization:
// Bearer x" registers the whole value and x).
func (r *redactor) addHeaders(h map[string]string) {
	for name, v := range h {
		if !sensitiveHeader(name) {
			continue
		}
		v = strings.TrimSpace(v)
		r.add(v)
		if _, tok, ok := strings.Cut(v, " "); ok {
			r.add(strings.TrimSpace(tok))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// rebuild recomputes every form of every secret, longest first (so that a
// secret containing another is replaced whole). Caller holds r.mu.
func (r *redactor) rebuild() {
	var forms []string
	addForm := func(f string) {
		if len(f) >= 4 && !contains(forms, f) {
			forms = append(forms, f)
		}
	}
	for _, list := range [][]string{r.static, r.runtime} {
		for _, s := range list {
			addForm(s)
			addForm(url.QueryEscape(s))
			addForm(url.PathEscape(s))
			if b, err := json.Marshal(s); err == nil {
				addForm(string(b[1 : len(b)-1]))
			}
			addForm(strings.ReplaceAll(s, "/", `\/`))
		}
	}
	for i := 1; i < len(forms); i++ { // insertion sort, longest first
		for j := i; j > 0 && len(forms[j]) > len(forms[j-1]); j-- {
			forms[j], forms[j-1] = forms[j-1], forms[j]
		}
	}
	r.forms.Store(&forms)
}

func (r *redactor) secretForms() []string {
	if r == nil {
		return nil
	}
	if f := r.forms.Load(); f != nil {
		return *f
	}
	return nil
}

var (
	keyParamRe = regexp.MustCompile(`(?i)((?:^|[?&;\s"'])(?:key|api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|id[_-]?token|token|client[_-]?secret|secret|password|sig|signature|x-amz-signature|x-amz-security-token|x-amz-credential)=)[^&\s"'#;]+`)
	// authSchemeRe matches bearer and basic credentials in any letter case.
	authSchemeRe = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{8,})`)
	// keyShapeRe matches the published shapes of provider keys and tokens:
	// OpenAI/Anthropic-style sk- keys, Google API keys and OAuth access
	// tokens, AWS access key ids, Hugging Face, Groq and xAI keys, and JWTs
	// (Azure AD and other OAuth tokens).
	keyShapeRe = regexp.MustCompile(`\bsk-[A-Za-z0-9_-]{16,}|\bAIza[0-9A-Za-z_-]{30,}|\bya29\.[0-9A-Za-z_.-]{16,}|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bhf_[A-Za-z0-9]{20,}|\bgsk_[A-Za-z0-9]{20,}|\bxai-[A-Za-z0-9]{20,}|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)
)

// RedactSecrets returns s with every given secret, every key-like query
// parameter (key=, api_key=, access_token=, ...), every bearer or basic
// credential (in any letter case) and every string shaped like a provider
// key (sk-..., AIza..., ya29...., AKIA..., JWTs) replaced by [REDACTED].
func RedactSecrets(s string, secrets ...string) string {
	return newRedactor(secrets...).scrub(s)
}

// LooksLikeSecret reports whether s has the shape of an API key or token:
// a known provider key or token format, a bearer or basic credential, or a
// high-entropy token (a run of at least 16 letters, digits and +/= that
// mixes letters and digits, as random keys do and model names, words,
// identifiers and numbers do not). Configuration errors use it to avoid
// quoting a value that may be a secret.
func LooksLikeSecret(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	if keyShapeRe.MatchString(s) || authSchemeRe.MatchString(s) {
		return true
	}
	run, letter, digit := 0, false, false
	for i := 0; i <= len(s); i++ {
		var c byte
		if i < len(s) {
			c = s[i]
		}
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9':
			digit = true
		case c == '+' || c == '/' || c == '=':
		default:
			if run >= 16 && letter && digit {
				return true
			}
			run, letter, digit = 0, false, false
			continue
		}
		run++
	}
	return false
}

func (r *redactor) scrub(s string) string {
	for _, k := range r.secretForms() {
		if strings.Contains(s, k) {
			s = strings.ReplaceAll(s, k, redacted)
		}
	}
	if strings.Contains(s, "=") {
		s = keyParamRe.ReplaceAllString(s, "${1}"+redacted)
	}
	if containsFold(s, "bearer") || containsFold(s, "basic") {
		s = authSchemeRe.ReplaceAllStringFunc(s, func(m string) string {
			sm := authSchemeRe.FindStringSubmatch(m)
			if strings.EqualFold(sm[1], "basic") && !tokenish(sm[3]) {
				return m // prose such as "basic authentication"
			}
			return sm[1] + sm[2] + redacted
		})
	}
	if hasKeyShapePrefix(s) {
		s = keyShapeRe.ReplaceAllString(s, redacted)
	}
	return s
}

// keyShapePrefixes start every match of keyShapeRe.
var keyShapePrefixes = []string{"sk-", "AIza", "ya29.", "AKIA", "ASIA", "hf_", "gsk_", "xai-", "eyJ"}

func hasKeyShapePrefix(s string) bool {
	for _, p := range keyShapePrefixes {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// tokenish: not a plain lower-case word.
func tokenish(s string) bool {
	for _, c := range s {
		if c < 'a' || c > 'z' {
			return true
		}
	}
	return false
}

// containsFold is a case-insensitive strings.Contains for an ASCII needle.
func containsFold(s, needle string) bool {
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], needle) {
			return true
		}
	}
	return false
}

// scrubBody scrubs an error body; truncated says it was cut at
// maxErrorBody, in which case a secret cut in half at the end (its first
// bytes) is removed too.
func (r *redactor) scrubBody(b []byte, truncated bool) []byte {
	s := r.scrub(string(b))
	if truncated {
		for _, k := range r.secretForms() {
			for n := min(len(k)-1, len(s)); n >= 4; n-- {
				if strings.HasSuffix(s, k[:n]) {
					s = s[:len(s)-n] + redacted
					break
				}
			}
		}
	}
	return []byte(s)
}

// sensitiveHeader reports whether a header carries credentials by its name.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "x-ratelimit-") {
		return false // counts of tokens, not tokens
	}
	for _, w := range []string{"auth", "key", "token", "secret", "cookie", "session", "password", "credential", "signature", "x-amz-security"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// plainValue: a number or a duration ("30", "1.5", "6m0s"), never a secret.
var plainValue = regexp.MustCompile(`^[0-9][0-9.]*(?:(?:ms|us|ns|h|m|s)[0-9.]*)*$`)

// header returns a redacted copy of h: values of credential headers are
// replaced, a header whose name holds a secret is renamed, and every other
// value is scrubbed.
func (r *redactor) header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	forms := r.secretForms()
	for name, vals := range h {
		clean := make([]string, len(vals))
		for i, v := range vals {
			if sensitiveHeader(name) && !plainValue.MatchString(strings.TrimSpace(v)) {
				clean[i] = redacted
			} else {
				clean[i] = r.scrub(v)
			}
		}
		n := name
		if s := r.scrub(name); s != name {
			n = "X-Redacted"
		} else {
			for _, k := range forms {
				if containsFold(name, k) {
					n = "X-Redacted"
					break
				}
			}
		}
		out[n] = append(out[n], clean...)
	}
	return out
}

// httpError builds the *HTTPError of a failed response with its body and
// headers already redacted, so that no errors.As reader finds a secret.
func (r *redactor) httpError(status int, h http.Header, body []byte, truncated bool) *HTTPError {
	return &HTTPError{StatusCode: status, Header: r.header(h), Body: r.scrubBody(body, truncated), by: r.id}
}

func (m *Model) httpError(status int, h http.Header, body []byte) *HTTPError {
	return m.red.httpError(status, h, body, len(body) >= maxErrorBody)
}

// requestRedactor collects the credentials a request carries (credential
// headers and key-like query parameters), for errors built by transports
// that know no configured key.
func requestRedactor(req *http.Request) *redactor {
	r := &redactor{}
	for name, vals := range req.Header {
		if !sensitiveHeader(name) {
			continue
		}
		for _, v := range vals {
			r.addHeaders(map[string]string{name: v})
		}
	}
	if req.URL != nil {
		for name, vals := range req.URL.Query() {
			n := strings.ToLower(name)
			if strings.Contains(n, "key") || strings.Contains(n, "token") || strings.Contains(n, "sig") || strings.Contains(n, "secret") {
				r.add(vals...)
			}
		}
	}
	return r
}

// scrubbedError replaces an error that held a secret. It keeps the context
// sentinels and (redacted) *HTTPError values reachable through errors.Is
// and errors.As.
type scrubbedError struct {
	msg    string
	causes []error
}

func (s *scrubbedError) Error() string   { return s.msg }
func (s *scrubbedError) Unwrap() []error { return s.causes }

// httpErrors returns every *HTTPError in err's tree.
func httpErrors(err error, out []*HTTPError) []*HTTPError {
	for err != nil {
		if he, ok := err.(*HTTPError); ok {
			out = append(out, he)
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				out = httpErrors(e, out)
			}
			return out
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return out
		}
	}
	return out
}

// cleanHTTP reports whether he holds nothing the redactor would change.
func (r *redactor) cleanHTTP(he *HTTPError) bool {
	if r != nil && r.id != 0 && he.by == r.id {
		return true // built, redacted, by r itself
	}
	if string(r.scrubBody(he.Body, len(he.Body) >= maxErrorBody)) != string(he.Body) {
		return false
	}
	for name, vals := range he.Header {
		for _, v := range vals {
			if sensitiveHeader(name) && v != redacted && !plainValue.MatchString(strings.TrimSpace(v)) || r.scrub(v) != v {
				return false
			}
		}
		if r.scrub(name) != name {
			return false
		}
		for _, k := range r.secretForms() {
			if containsFold(name, k) {
				return false
			}
		}
	}
	return true
}

// safeTree reports whether every value in err's tree is known to hold
// nothing a redactor would change: errors of the standard library (whose
// details show in their text, checked separately), this package's own
// types when clean, and nothing else. Errors of provider libraries (the AWS
// SDK's keep the signed request and the raw response, oauth2's the token
// endpoint's body) are not.
func (r *redactor) safeTree(err error) bool {
	for err != nil {
		switch e := err.(type) {
		case *HTTPError:
			if !r.cleanHTTP(e) {
				return false
			}
		case *StreamError:
			if r.scrub(e.Type) != e.Type || r.scrub(e.Message) != e.Message {
				return false
			}
		case *Error:
			if r.scrub(e.Message) != e.Message {
				return false
			}
		case *LimitError, *scrubbedError, Kind:
		default:
			t := reflect.TypeOf(err)
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			if first, _, _ := strings.Cut(t.PkgPath(), "/"); strings.Contains(first, ".") {
				return false // a third-party package
			}
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if !r.safeTree(e) {
					return false
				}
			}
			return true
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return true
		}
	}
	return true
}

// scrubErr returns err unchanged when neither its text nor any value in
// its tree holds a secret; otherwise a *scrubbedError with the redacted
// text that keeps the context sentinels, io.ErrUnexpectedEOF and redacted
// copies of the *HTTPError, *StreamError and *LimitError values.
func (r *redactor) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := r.scrub(msg)
	if clean == msg && r.safeTree(err) {
		return err
	}
	se := &scrubbedError{msg: clean}
	for _, s := range []error{context.DeadlineExceeded, context.Canceled, io.ErrUnexpectedEOF} {
		if errors.Is(err, s) {
			se.causes = append(se.causes, s)
		}
	}
	var le *LimitError
	if errors.As(err, &le) {
		se.causes = append(se.causes, le)
	}
	var st *StreamError
	if errors.As(err, &st) {
		se.causes = append(se.causes, &StreamError{Type: r.scrub(st.Type), Message: r.scrub(st.Message), StatusCode: st.StatusCode})
	}
	for _, he := range httpErrors(err, nil) {
		se.causes = append(se.causes, r.httpError(he.StatusCode, he.Header, he.Body, len(he.Body) >= maxErrorBody))
	}
	return se
}

// scrubError removes secrets from e in place.
func (r *redactor) scrubError(e *Error) {
	if e == nil {
		return
	}
	e.Message = r.scrub(e.Message)
	e.Err = r.scrubErr(e.Err)
}
