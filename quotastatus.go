package sesguard

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// QuotaSource says where a Client's rate and 24-hour quota come from.
type QuotaSource string

const (
	// QuotaFromAccount: read from SES with GetAccount (Options.AccountQuota),
	// capped by Options.SendRate and Options.DailyQuota when they are set.
	QuotaFromAccount QuotaSource = "account"
	// QuotaFromOptions: Options.SendRate, Options.DailyQuota or
	// Options.Limiter alone — without AccountQuota, or with
	// Options.ContinueWithoutAccount while GetAccount has not answered.
	QuotaFromOptions QuotaSource = "options"
	// QuotaNone: the Client neither paces sends nor counts them against a
	// 24-hour quota.
	QuotaNone QuotaSource = "none"
)

// QuotaStatus is what a Client believes about its sending limits; see
// [Client.Quota].
type QuotaStatus struct {
	Source QuotaSource

	// Rate is the recipients per second the Client paces at now: the
	// account's MaxSendRate times Options.SafetyFactor, capped by
	// Options.SendRate, and lowered for a few seconds after SES throttled
	// a send. 0 when the Client does not set the rate (no pacing, or an
	// Options.Limiter that is not a RateSetter); +Inf when unlimited.
	Rate float64

	// MaxSendRate is the account's MaxSendRate as GetAccount last reported
	// it; 0 before the account was read.
	MaxSendRate float64

	// Max24HourSend is the 24-hour quota in force: the account's, capped by
	// Options.DailyQuota. -1: unlimited; 0: none known.
	Max24HourSend int64

	// Used is the recipients counted in the rolling 24 hours: SES's
	// SentLast24Hours at the last read, with the Client's own sends since
	// (and those in flight).
	Used int64

	// DailyReserve is the part of Max24HourSend kept for transactional
	// mail (Options.DailyReserve): bulk sends stop at Max24HourSend minus
	// DailyReserve.
	DailyReserve int64

	// LastRefresh is when GetAccount last answered with a usable quota;
	// zero if it never did.
	LastRefresh time.Time

	// LastError is the error of the last GetAccount, nil when it
	// succeeded or was never called.
	LastError error
}

// Quota returns the rate and the 24-hour quota the Client enforces, where
// they come from, and how the last GetAccount went. Operators can export it
// as metrics, or check it at start-up:
//
//	if q := client.Quota(); q.LastError != nil {
//		log.Printf("sending unpaced: %v", q.LastError)
//	}
func (c *Client) Quota() QuotaStatus {
	now := c.now()
	var s QuotaStatus
	switch r := c.pace.rate(now); r {
	case rate.Inf:
		s.Rate = math.Inf(1)
	default:
		s.Rate = float64(r)
	}
	s.Max24HourSend, s.Used, s.DailyReserve = c.quota.status(now)
	if c.account != nil {
		s.LastRefresh, s.MaxSendRate, s.LastError = c.account.status()
	}
	paced := s.Rate > 0 && !math.IsInf(s.Rate, 1) || c.pace != nil && c.pace.set == nil
	switch {
	case !s.LastRefresh.IsZero():
		s.Source = QuotaFromAccount
	case paced || s.Max24HourSend > 0:
		s.Source = QuotaFromOptions
	default:
		s.Source = QuotaNone
	}
	return s
}
