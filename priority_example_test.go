package sesguard_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/sesguard/sesguard"
	"github.com/sesguard/sesguard/sestest"
)

// A campaign and password resets share one account: the campaign is mail
// for a list, so it is bulk: it stops at 90% of the 24-hour quota (and
// waits behind every password reset for the rate).
func ExamplePriority() {
	ses, err := sestest.NewServer(func(o *sestest.Options) {
		o.Account = sestest.Account{MaxSendRate: 1000, Max24HourSend: 100}
	})
	if err != nil {
		log.Fatal(err)
	}
	defer ses.Close()
	client, err := sesguard.New(ses.Client(), func(o *sesguard.Options) { o.AccountQuota = true })
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()

	news := sesguard.ForList(ctx, "newsletter")
	for i := 0; ; i++ {
		_, err := client.Send(news, simple(fmt.Sprintf("reader%d@example.com", i)))
		var q *sesguard.QuotaExceededError
		if errors.As(err, &q) {
			fmt.Printf("campaign stopped at %d of %d, %d kept for transactional mail\n", q.Used, q.Quota, q.Reserved)
			break
		}
	}
	listed := simple("member@example.com")
	listed.ListManagementOptions = &types.ListManagementOptions{ContactListName: aws.String("news")}
	_, err = client.Send(ctx, listed)
	fmt.Println("SES contact-list mail is bulk too:", errors.Is(err, sesguard.ErrQuotaExceeded))

	_, err = client.Send(ctx, simple("forgot@example.com"))
	fmt.Println("password reset sent:", err == nil)
	q := client.Quota()
	fmt.Printf("%d of %d used (quota from the %s)\n", q.Used, q.Max24HourSend, q.Source)
	// Output:
	// campaign stopped at 90 of 100, 10 kept for transactional mail
	// SES contact-list mail is bulk too: true
	// password reset sent: true
	// 91 of 100 used (quota from the account)
}
