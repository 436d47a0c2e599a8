package sestest

import "fmt"

// Outcome is what happens to accepted mail for one recipient, and so which
// notifications the server publishes for it.
type Outcome int

// The outcomes. The mailbox simulator maps success@, bounce@, ooto@,
// complaint@ and suppressionlist@simulator.amazonses.com (labels such as
// bounce+x@ included) to the outcomes named after them; an address on the
// account-level suppression list has OutcomeOnAccountSuppressionList; every
// other address has OutcomeDeliver unless [Options.Mailboxes] says otherwise.
const (
	// OutcomeDeliver: a Delivery.
	OutcomeDeliver Outcome = iota
	// OutcomeBounce: a Permanent/General bounce, "smtp; 550 5.1.1 user unknown".
	OutcomeBounce
	// OutcomeSuppressed: a Permanent/Suppressed bounce, as for an address on
	// SES's global suppression list (suppressionlist@).
	OutcomeSuppressed
	// OutcomeOnAccountSuppressionList: a Permanent/OnAccountSuppressionList
	// bounce; SES did not attempt delivery.
	OutcomeOnAccountSuppressionList
	// OutcomeComplaint: a Delivery, then a Complaint with feedback type abuse.
	OutcomeComplaint
	// OutcomeAutoReply: a Delivery, then an out-of-office reply to the
	// sender, recorded in [Server.AutoReplies] (ooto@).
	OutcomeAutoReply
	// OutcomeSoftBounce: a Transient/General bounce.
	OutcomeSoftBounce
	// OutcomeMailboxFull: a Transient/MailboxFull bounce.
	OutcomeMailboxFull
	// OutcomeDelay: a DeliveryDelay event, then a Delivery.
	OutcomeDelay
	// OutcomeUnsubscribe: a Delivery, then a Subscription event saying the
	// recipient unsubscribed from the send's contact list topic.
	OutcomeUnsubscribe
	// OutcomeEngage: a Delivery, then Open and Click events: the recipient
	// opened the message and clicked its first link (with the link's
	// ses:tags as linkTags).
	OutcomeEngage
)

var outcomeNames = [...]string{
	OutcomeDeliver:                  "Deliver",
	OutcomeBounce:                   "Bounce",
	OutcomeSuppressed:               "Suppressed",
	OutcomeOnAccountSuppressionList: "OnAccountSuppressionList",
	OutcomeComplaint:                "Complaint",
	OutcomeAutoReply:                "AutoReply",
	OutcomeSoftBounce:               "SoftBounce",
	OutcomeMailboxFull:              "MailboxFull",
	OutcomeDelay:                    "Delay",
	OutcomeUnsubscribe:              "Unsubscribe",
	OutcomeEngage:                   "Engage",
}

// String returns the outcome's name.
func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

var simulatorOutcomes = map[string]Outcome{
	"success":         OutcomeDeliver,
	"bounce":          OutcomeBounce,
	"ooto":            OutcomeAutoReply,
	"complaint":       OutcomeComplaint,
	"suppressionlist": OutcomeSuppressed,
}

// outcomeFor decides what happens to mail for addr. It must be called with
// s.mu held.
func (s *Server) outcomeFor(addr string) Outcome {
	key := canonicalKey(addr)
	if _, ok := s.suppressed[key]; ok {
		return OutcomeOnAccountSuppressionList
	}
	if o, ok := s.mailboxes[key]; ok {
		return o
	}
	if box, ok := simulatorMailbox(addr); ok {
		if o, ok := simulatorOutcomes[box]; ok {
			return o
		}
	}
	return OutcomeDeliver
}

// SetMailbox makes mail to addr have the outcome o, overriding the mailbox
// simulator (the account-level suppression list still comes first).
func (s *Server) SetMailbox(addr string, o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mailboxes[canonicalKey(addr)] = o
}
