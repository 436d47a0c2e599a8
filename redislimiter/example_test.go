package redislimiter_test

import (
	"context"
	"log"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/redis/go-redis/v9"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/redislimiter"
)

// Every process sending for the account builds the same Limiter; together
// they keep to the account's MaxSendRate, which each Client reads from SES.
func ExampleNew() {
	api := sesv2.New(sesv2.Options{Region: "eu-west-1"}) // in a service: sesv2.NewFromConfig(cfg)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	lim, err := redislimiter.New(rdb, "123456789012", api.Options().Region)
	if err != nil {
		log.Fatal(err)
	}
	client, err := sesguard.New(api, func(o *sesguard.Options) {
		o.Limiter = lim
		o.AccountQuota = true
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	_, err = client.Send(context.Background(), &sesv2.SendEmailInput{ /* … */ })
}
