package sestest

import "time"

// Message is one message the server accepted.
type Message struct {
	MessageID        string            // the id SendEmail answered
	Operation        string            // "SendEmail" or "SendBulkEmail"
	From             string            // FromEmailAddress (or the raw From header) as given
	ReplyTo          []string          // ReplyToAddresses
	To, Cc, Bcc      []string          // the destination as given
	Recipients       []string          // every envelope recipient, bare, To then Cc then Bcc
	Subject          string            // decoded
	Text, HTML       string            // the text/plain and text/html bodies, decoded
	Raw              []byte            // the MIME message: as sent for Raw content, as SES builds it otherwise
	Headers          []Header          // the header fields of Raw, in order
	Tags             map[string]string // EmailTags (and X-SES-MESSAGE-TAGS of raw mail)
	ConfigurationSet string            // ConfigurationSetName, "" for none
	Template         string            // the template's name, "inline" for TemplateContent, "" for none
	TemplateData     string            // the template data used
	ContactList      string            // ListManagementOptions.ContactListName
	Topic            string            // ListManagementOptions.TopicName
	SourceIP         string            // the client's IP address
	Timestamp        time.Time         // when it was accepted, by the server's clock
}

// AutoReply is an out-of-office reply that a mailbox (ooto@ of the mailbox
// simulator, or one given [OutcomeAutoReply]) sent back to a sender.
type AutoReply struct {
	From      string    // the recipient that replied
	To        string    // the original sender
	Subject   string    // "Out of the office: " and the original subject
	InReplyTo string    // the SES message id of the original
	Timestamp time.Time // by the server's clock
}

// Messages returns every message the server accepted, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// AutoReplies returns every auto-reply sent back to a sender, in order.
func (s *Server) AutoReplies() []AutoReply {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AutoReply(nil), s.autoReplies...)
}
