package router

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/jedisos/jedisos/llm"
)

// Request parameters in YAML: litellm_params' top_p, stop, seed,
// temperature, max_tokens, drop_params and extra_body set the defaults of
// one deployment's model (llm.Params); the same keys under settings: or
// router_settings:/litellm_settings: apply to every deployment that does
// not set its own.

// requestParam reads one request-parameter key into p; it reports whether
// key is one.
func (d *decoder) requestParam(key string, v *yaml.Node, f string, p *llm.Params) bool {
	switch key {
	case "top_p":
		p.TopP = Float(d.float(v, f))
	case "stop":
		p.Stop = d.stop(v, f)
	case "seed":
		s := d.int(v, f)
		p.Seed = &s
	case "drop_params":
		p.DropParams = d.bool(v, f)
	case "extra_body":
		if d.isMap(v, f) {
			var m map[string]any
			if err := v.Decode(&m); err != nil {
				d.fail(v, f, "%v", err)
			}
			p.Extra = m
		}
	default:
		return false
	}
	return true
}

// stop reads a stop sequence given as one string or a list of strings.
func (d *decoder) stop(n *yaml.Node, field string) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return []string{n.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for i, it := range n.Content {
			f := fmt.Sprintf("%s[%d]", field, i)
			if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
				d.fail(it, f, "expected a string, got %s", kindName(it))
				continue
			}
			out = append(out, it.Value)
		}
		return out
	}
	d.fail(n, field, "expected a string or a list of strings, got %s", kindName(n))
	return nil
}

// applyParamDefaults gives every deployment the request parameters set
// for all of them, where it sets none of its own.
func applyParamDefaults(cfg *Config, all llm.Params) {
	for i := range cfg.Deployments {
		p := &cfg.Deployments[i].Params
		if p.TopP == nil {
			p.TopP = all.TopP
		}
		if p.Stop == nil {
			p.Stop = all.Stop
		}
		if p.Seed == nil {
			p.Seed = all.Seed
		}
		p.DropParams = p.DropParams || all.DropParams
		if p.Extra == nil {
			p.Extra = all.Extra
		}
	}
}
