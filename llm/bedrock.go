package llm

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/tmc/langchaingo/llms/bedrock"
)

// initBedrock builds the langchaingo Bedrock model: static credentials from
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), region
// from AWS_REGION_NAME / AWS_REGION / AWS_DEFAULT_REGION (default
// us-east-1), the SDK's retries disabled, and the endpoint overridable
// through the API base (AWS_BEDROCK_RUNTIME_ENDPOINT).
func (m *Model) initBedrock(getenv func(string) string) error {
	access := m.params.APIKey
	if access == "" {
		access, _ = firstEnv(getenv, []string{"AWS_ACCESS_KEY_ID"})
	}
	secret, _ := firstEnv(getenv, []string{"AWS_SECRET_ACCESS_KEY"})
	session, _ := firstEnv(getenv, []string{"AWS_SESSION_TOKEN"})
	if access == "" || secret == "" {
		return &Error{Kind: ErrAuthentication, Provider: m.provider, Model: m.model,
			Message: "missing AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}
	}
	region, _ := firstEnv(getenv, []string{"AWS_REGION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION"})
	if region == "" {
		region = "us-east-1"
	}
	m.key = access
	m.red.add(access, secret, session)
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(access, secret, session),
		HTTPClient:  m.hc,
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
	base := m.base
	client := bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
		if base != "" {
			o.BaseEndpoint = aws.String(base)
		}
	})
	opts := []bedrock.Option{bedrock.WithClient(client), bedrock.WithModel(m.name)}
	if prov, _, ok := strings.Cut(m.name, "."); ok {
		// Cross-region inference profiles ("us.anthropic...") name the
		// provider second.
		switch prov {
		case "us", "eu", "apac", "global":
			if p2, _, ok2 := strings.Cut(strings.SplitN(m.name, ".", 2)[1], "."); ok2 {
				prov = p2
			}
		}
		opts = append(opts, bedrock.WithModelProvider(prov))
	}
	lm, err := bedrock.New(opts...)
	if err != nil {
		return &Error{Kind: ErrBadRequest, Provider: m.provider, Model: m.model, Message: m.red.scrub(err.Error())}
	}
	m.lc = lm
	return nil
}

func (m *Model) bedrockComplete(ctx context.Context, req *Request) (*Response, error) {
	return langchainGenerate(ctx, m.lc, req)
}
