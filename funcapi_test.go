package sesguard_test

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// funcAPI is an in-process SESv2API made of funcs, for benchmarks that
// measure sesguard without HTTP.
type funcAPI struct {
	send func(context.Context, *sesv2.SendEmailInput) (*sesv2.SendEmailOutput, error)
}

func (f funcAPI) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	return f.send(ctx, in)
}

func (f funcAPI) SendBulkEmail(context.Context, *sesv2.SendBulkEmailInput, ...func(*sesv2.Options)) (*sesv2.SendBulkEmailOutput, error) {
	return &sesv2.SendBulkEmailOutput{}, nil
}

func (f funcAPI) GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error) {
	return &sesv2.GetAccountOutput{}, nil
}
