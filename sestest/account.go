package sestest

import (
	"fmt"
	"math"
	"net/http"
	"strings"
)

// Account is the state of the emulated SES account in one region. Every zero
// value is a documented default, so Account{} is a production account with
// AWS's common starting quotas, and Account{Sandbox: true} behaves like a new
// account in the sandbox.
type Account struct {
	// MaxSendRate is the most recipients per second the account may send to.
	// Default 14; in the sandbox 1.
	MaxSendRate float64

	// Max24HourSend is the most recipients in any rolling 24 hours.
	// Default 50,000; in the sandbox 200. -1 means unlimited.
	Max24HourSend float64

	// Sandbox restricts sending as SES's sandbox does: the sender and every
	// recipient must be verified identities (mailbox simulator addresses are
	// always allowed as recipients), and the quota defaults drop to 1/s and
	// 200 per day.
	Sandbox bool

	// VerifiedIdentities are the email addresses and domains the account has
	// verified, compared case-insensitively; a domain covers every address
	// at it. When the list is empty outside the sandbox, any sender is
	// accepted; otherwise the sender must match it.
	VerifiedIdentities []string

	// SendingPaused stops all sending: SendEmail answers
	// SendingPausedException, and GetAccount reports SendingEnabled false.
	SendingPaused bool

	// Suspended makes SendEmail answer AccountSuspendedException.
	Suspended bool

	// EnforcementStatus is what GetAccount reports: "HEALTHY" (default),
	// "PROBATION" or "SHUTDOWN". SHUTDOWN also pauses sending.
	EnforcementStatus string

	// SuppressedReasons are the reasons for which SES adds an address to
	// the account-level suppression list by itself: "BOUNCE" (a permanent
	// bounce) and "COMPLAINT". nil means both, SES's default for accounts
	// made since November 2019; an empty, non-nil slice turns the list's
	// automatic additions off. Mailbox simulator addresses are never added.
	// PutAccountSuppressionAttributes changes it over HTTP.
	SuppressedReasons []string
}

const (
	defaultRate         = 14
	defaultDailyQuota   = 50000
	sandboxRate         = 1
	sandboxDailyQuota   = 200
	statusHealthy       = "HEALTHY"
	statusShutdown      = "SHUTDOWN"
	unlimitedDailyQuota = -1
)

func (a Account) validate() error {
	switch {
	case a.MaxSendRate < 0 || math.IsNaN(a.MaxSendRate) || math.IsInf(a.MaxSendRate, 0):
		return fmt.Errorf("sestest: MaxSendRate %v: want a positive number, or 0 for the default", a.MaxSendRate)
	case a.Max24HourSend < unlimitedDailyQuota || math.IsNaN(a.Max24HourSend) || math.IsInf(a.Max24HourSend, 0):
		return fmt.Errorf("sestest: Max24HourSend %v: want -1 (unlimited), 0 (the default) or a positive number", a.Max24HourSend)
	}
	for _, r := range a.SuppressedReasons {
		if err := checkReason(r); err != nil {
			return fmt.Errorf("sestest: SuppressedReasons: %s", err.message)
		}
	}
	switch strings.ToUpper(a.EnforcementStatus) {
	case "", statusHealthy, "PROBATION", statusShutdown:
	default:
		return fmt.Errorf("sestest: EnforcementStatus %q: want HEALTHY, PROBATION or SHUTDOWN", a.EnforcementStatus)
	}
	return nil
}

// withDefaults returns a copy of a with its zero values replaced by the
// defaults that depend on Sandbox.
func (a Account) withDefaults() Account {
	a.VerifiedIdentities = append([]string(nil), a.VerifiedIdentities...)
	if a.SuppressedReasons != nil {
		a.SuppressedReasons = append([]string{}, a.SuppressedReasons...)
	}
	if a.EnforcementStatus == "" {
		a.EnforcementStatus = statusHealthy
	}
	a.EnforcementStatus = strings.ToUpper(a.EnforcementStatus)
	return a
}

// suppressedReasons is SuppressedReasons with its default filled in.
func (a *Account) suppressedReasons() []string {
	if a.SuppressedReasons == nil {
		return []string{reasonBounce, reasonComplaint}
	}
	return a.SuppressedReasons
}

func (a *Account) rate() float64 {
	switch {
	case a.MaxSendRate > 0:
		return a.MaxSendRate
	case a.Sandbox:
		return sandboxRate
	}
	return defaultRate
}

func (a *Account) dailyQuota() float64 {
	switch {
	case a.Max24HourSend != 0:
		return a.Max24HourSend
	case a.Sandbox:
		return sandboxDailyQuota
	}
	return defaultDailyQuota
}

func (a *Account) sendingEnabled() bool {
	return !a.SendingPaused && !a.Suspended && a.EnforcementStatus != statusShutdown
}

// sendError is the error a send meets before any per-message check, or nil.
func (a *Account) sendError() *apiError {
	switch {
	case a.Suspended:
		return errSuspended
	case a.SendingPaused || a.EnforcementStatus == statusShutdown:
		return errPaused
	}
	return nil
}

// UpdateAccount changes the account under the server's lock: fn gets a copy
// of the current settings (as given, without defaults filled in) and the
// result replaces them if it is valid. A change of MaxSendRate restarts the
// rate bucket full.
func (s *Server) UpdateAccount(fn func(*Account)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account
	a.VerifiedIdentities = append([]string(nil), a.VerifiedIdentities...)
	fn(&a)
	if err := a.validate(); err != nil {
		return err
	}
	a = a.withDefaults()
	if a.rate() != s.account.rate() {
		s.bucket.reset(a.rate(), s.now())
	}
	s.account = a
	return nil
}

// Account returns the account's current settings with defaults filled in:
// MaxSendRate, Max24HourSend and SuppressedReasons are the values in force.
func (s *Server) Account() Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account
	a.VerifiedIdentities = append([]string(nil), a.VerifiedIdentities...)
	a.MaxSendRate = a.rate()
	a.Max24HourSend = a.dailyQuota()
	a.SuppressedReasons = append([]string{}, a.suppressedReasons()...)
	return a
}

// getAccountResponse is GetAccount's response body.
type getAccountResponse struct {
	DedicatedIPAutoWarmupEnabled bool   `json:"DedicatedIpAutoWarmupEnabled"`
	EnforcementStatus            string `json:"EnforcementStatus"`
	ProductionAccessEnabled      bool   `json:"ProductionAccessEnabled"`
	SendQuota                    struct {
		Max24HourSend   float64 `json:"Max24HourSend"`
		MaxSendRate     float64 `json:"MaxSendRate"`
		SentLast24Hours float64 `json:"SentLast24Hours"`
	} `json:"SendQuota"`
	SendingEnabled        bool `json:"SendingEnabled"`
	SuppressionAttributes struct {
		SuppressedReasons []string `json:"SuppressedReasons"`
	} `json:"SuppressionAttributes"`
}

func (s *Server) getAccount(w http.ResponseWriter, _ *http.Request, _ []byte) *apiError {
	var resp getAccountResponse
	s.mu.Lock()
	now := s.now()
	a := &s.account
	resp.EnforcementStatus = a.EnforcementStatus
	resp.ProductionAccessEnabled = !a.Sandbox
	resp.SendQuota.Max24HourSend = a.dailyQuota()
	resp.SendQuota.MaxSendRate = a.rate()
	resp.SendQuota.SentLast24Hours = float64(s.window.sum(now))
	resp.SendingEnabled = a.sendingEnabled()
	resp.SuppressionAttributes.SuppressedReasons = append([]string{}, a.suppressedReasons()...)
	s.mu.Unlock()
	return writeJSON(w, resp)
}

// putAccountSuppressionAttributes sets the reasons SES lists addresses for.
func (s *Server) putAccountSuppressionAttributes(w http.ResponseWriter, _ *http.Request, body []byte) *apiError {
	var req struct {
		SuppressedReasons []string `json:"SuppressedReasons"`
	}
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	for _, r := range req.SuppressedReasons {
		if err := checkReason(r); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.account.SuppressedReasons = append([]string{}, req.SuppressedReasons...)
	s.mu.Unlock()
	return writeJSON(w, struct{}{})
}
