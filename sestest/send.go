package sestest

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"time"
)

// outgoing is one message as the server accepted it, before it is recorded.
type outgoing struct {
	operation     string
	from          string // FromEmailAddress as given, display name included
	fromAddr      string // the bare sender address
	replyTo       []string
	to, cc, bcc   []string // as given
	recipients    []string // bare, To then Cc then Bcc
	subject       string
	text, html    string
	customHeaders []messageField
	attachments   []attachment
	raw           []byte // the whole MIME message
	headers       []Header
	date          string
	mimeMessageID string
	template      string    // the template's name, "" without one
	inline        *Template // the template given in TemplateContent
	templateData  string
	renderErr     *renderError
	tags          []messageTag
	configSet     string
	listMgmt      *listManagementOptions
	sourceIP      string
}

// newOutgoing validates a SendEmail request and turns it into a message.
// Templates are looked up later, under the server's lock.
func newOutgoing(req *sendEmailRequest) (*outgoing, *apiError) {
	c := req.Content
	if c == nil {
		return nil, badRequest("missing required member Content")
	}
	kinds := 0
	for _, set := range []bool{c.Simple != nil, c.Raw != nil, c.Template != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return nil, badRequest("Content must hold exactly one of Simple, Raw or Template")
	}
	o := &outgoing{
		from:      deref(req.FromEmailAddress),
		configSet: deref(req.ConfigurationSetName),
		tags:      req.EmailTags,
		listMgmt:  req.ListManagementOptions,
	}
	var dst destination
	if req.Destination != nil {
		dst = *req.Destination
	}
	switch {
	case c.Raw != nil:
		if err := o.setRaw(c.Raw.Data, &dst); err != nil {
			return nil, err
		}
	case c.Simple != nil:
		if err := o.setSimple(c.Simple); err != nil {
			return nil, err
		}
	default:
		if err := o.setTemplate(c.Template); err != nil {
			return nil, err
		}
	}
	if err := o.setAddresses(dst, req.ReplyToAddresses); err != nil {
		return nil, err
	}
	if err := checkTags(o.tags); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *outgoing) setRaw(data []byte, dst *destination) *apiError {
	if len(data) > maxRawMessage {
		return messageTooLong(len(data))
	}
	if len(data) == 0 {
		return badRequest("missing required member Content.Raw.Data")
	}
	p, err := parseRaw(data)
	if err != nil {
		return badRequest("could not parse the raw message: %v", err)
	}
	o.raw, o.headers = data, p.headers
	o.subject, o.text, o.html = p.subject, p.text, p.html
	o.date, o.mimeMessageID = p.date, p.messageID
	if o.from == "" {
		o.from = p.from
	}
	if o.configSet == "" {
		o.configSet = p.configSet
	}
	o.tags = append(o.tags, p.tags...)
	if len(dst.ToAddresses)+len(dst.CcAddresses)+len(dst.BccAddresses) == 0 {
		dst.ToAddresses, dst.CcAddresses, dst.BccAddresses = p.to, p.cc, p.bcc
	}
	return nil
}

func (o *outgoing) setSimple(m *simpleMessage) *apiError {
	if m.Subject == nil || m.Subject.Data == nil {
		return badRequest("missing required member Content.Simple.Subject.Data")
	}
	if m.Body == nil || (m.Body.Text == nil || deref(m.Body.Text.Data) == "") && (m.Body.HTML == nil || deref(m.Body.HTML.Data) == "") {
		return badRequest("Content.Simple.Body needs Text or Html with Data")
	}
	if err := checkHeaders(m.Headers); err != nil {
		return err
	}
	o.subject = *m.Subject.Data
	if m.Body.Text != nil {
		o.text = deref(m.Body.Text.Data)
	}
	if m.Body.HTML != nil {
		o.html = deref(m.Body.HTML.Data)
	}
	o.customHeaders, o.attachments = m.Headers, m.Attachments
	return nil
}

func (o *outgoing) setTemplate(t *templateMessage) *apiError {
	if err := checkHeaders(t.Headers); err != nil {
		return err
	}
	switch {
	case t.TemplateContent != nil:
		tc := t.TemplateContent
		o.template = "inline"
		o.inline = &Template{Subject: deref(tc.Subject), Text: deref(tc.Text), HTML: deref(tc.HTML)}
	case deref(t.TemplateName) != "":
		o.template = *t.TemplateName
	case deref(t.TemplateArn) != "":
		arn := *t.TemplateArn
		o.template = arn[strings.LastIndexByte(arn, '/')+1:]
	default:
		return badRequest("Content.Template needs TemplateName, TemplateArn or TemplateContent")
	}
	o.templateData = deref(t.TemplateData)
	if o.templateData == "" {
		o.templateData = "{}"
	}
	o.customHeaders, o.attachments = t.Headers, t.Attachments
	return nil
}

// render fills the message's parts from the template t.
func (o *outgoing) render(t Template) {
	out, err := t.render(o.template, o.templateData)
	if err != nil {
		o.renderErr = err
		return
	}
	o.subject, o.text, o.html = out.Subject, out.Text, out.HTML
}

func (o *outgoing) setAddresses(dst destination, replyTo []string) *apiError {
	if o.from == "" {
		return badRequest("missing required member FromEmailAddress (or a From header in the raw message)")
	}
	addr, err := parseAddress(o.from)
	if err != nil {
		return badRequest("FromEmailAddress: %v", err)
	}
	o.fromAddr = addr
	for _, r := range replyTo {
		if _, err := parseAddress(r); err != nil {
			return badRequest("ReplyToAddresses: %v", err)
		}
	}
	o.replyTo = replyTo
	lists, all, perr := parseRecipients(dst.ToAddresses, dst.CcAddresses, dst.BccAddresses)
	if perr != nil {
		return perr
	}
	o.to, o.cc, o.bcc, o.recipients = lists[0], lists[1], lists[2], all
	return nil
}

// finish resolves a named template and writes the MIME message of Simple
// and Template content.
func (s *Server) finish(o *outgoing) *apiError {
	if o.template != "" {
		t := o.inline
		if t == nil {
			s.mu.Lock()
			named, ok := s.templates[o.template]
			s.mu.Unlock()
			if !ok {
				return templateNotFound(o.template)
			}
			t = &named
		}
		o.render(*t)
	}
	if o.raw == nil && o.renderErr == nil {
		o.raw, o.headers = buildMIME(o, "----=_Part_"+strings.ReplaceAll(s.ids.uuid(), "-", ""))
		if len(o.raw) > maxRawMessage {
			return messageTooLong(len(o.raw))
		}
	}
	return nil
}

func (s *Server) sendEmail(w http.ResponseWriter, r *http.Request, body []byte) *apiError {
	var req sendEmailRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	o, err := newOutgoing(&req)
	if err != nil {
		return err
	}
	o.operation, o.sourceIP = "SendEmail", clientIP(r)
	if err := s.finish(o); err != nil {
		return err
	}
	id, err := s.send(o)
	if err != nil {
		return err
	}
	return writeJSON(w, struct{ MessageId string }{id})
}

func (s *Server) send(o *outgoing) (string, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendLocked(o, s.now())
}

// sendLocked applies the account's checks and limits to o and, if they
// pass, accepts it. It must be called with s.mu held.
func (s *Server) sendLocked(o *outgoing, now time.Time) (string, *apiError) {
	if err := s.account.sendError(); err != nil {
		return "", err
	}
	if err := s.resolveConfigSet(o); err != nil {
		return "", err
	}
	if err := s.checkSender(o.fromAddr); err != nil {
		return "", err
	}
	if err := s.checkRecipients(o.recipients); err != nil {
		return "", err
	}
	if err := s.admit(len(o.recipients), countedRecipients(o.recipients), now); err != nil {
		return "", err
	}
	return s.acceptLocked(o, now), nil
}

// resolveConfigSet gives o its sender identity's default configuration set
// when it names none, and refuses a set that does not exist. It must be
// called with s.mu held.
func (s *Server) resolveConfigSet(o *outgoing) *apiError {
	if o.configSet == "" {
		if id, ok := s.identityLocked(identityFor(o.fromAddr, s.verifiedIdentitiesLocked())); ok {
			o.configSet = id.ConfigurationSet
		}
	}
	if o.configSet == "" {
		return nil
	}
	if _, ok := s.configSets[o.configSet]; !ok {
		return configSetNotFound(o.configSet)
	}
	return nil
}

// checkSender rejects a sender that is not a verified identity, in the
// sandbox or whenever identities are configured.
func (s *Server) checkSender(addr string) *apiError {
	ids := s.verifiedIdentitiesLocked()
	if (s.account.Sandbox || len(ids) > 0) && !verified(addr, ids) {
		return notVerified(s.opts.Region, []string{addr})
	}
	return nil
}

// checkRecipients rejects, in the sandbox, recipients that are neither
// verified nor mailbox simulator addresses.
func (s *Server) checkRecipients(recipients []string) *apiError {
	if !s.account.Sandbox {
		return nil
	}
	var failed []string
	ids := s.verifiedIdentitiesLocked()
	for _, r := range recipients {
		if !isSimulator(r) && !verified(r, ids) {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		return notVerified(s.opts.Region, failed)
	}
	return nil
}

// countedRecipients is how many recipients count toward the daily quota:
// mailbox simulator mail counts toward the rate only.
func countedRecipients(recipients []string) int {
	n := 0
	for _, r := range recipients {
		if !isSimulator(r) {
			n++
		}
	}
	return n
}

// acceptLocked records an admitted message and publishes its
// notifications. It must be called with s.mu held.
func (s *Server) acceptLocked(o *outgoing, now time.Time) string {
	id := s.ids.messageID(now)
	s.counters.messages++
	msg := Message{
		MessageID:        id,
		Operation:        o.operation,
		From:             o.from,
		ReplyTo:          o.replyTo,
		To:               o.to,
		Cc:               o.cc,
		Bcc:              o.bcc,
		Recipients:       o.recipients,
		Subject:          o.subject,
		Text:             o.text,
		HTML:             o.html,
		Raw:              o.raw,
		Headers:          o.headers,
		Tags:             tagMap(o.tags),
		ConfigurationSet: o.configSet,
		Template:         o.template,
		TemplateData:     o.templateData,
		SourceIP:         o.sourceIP,
		Timestamp:        now,
	}
	if o.listMgmt != nil {
		msg.ContactList, msg.Topic = o.listMgmt.ContactListName, o.listMgmt.TopicName
	}
	s.messages = append(s.messages, msg)
	outcomes := make([]Outcome, len(o.recipients))
	for i, r := range o.recipients {
		outcomes[i] = s.outcomeFor(r)
		if outcomes[i] == OutcomeAutoReply && o.renderErr == nil && !hasVirus(o) {
			s.autoReplies = append(s.autoReplies, AutoReply{
				From:      r,
				To:        o.fromAddr,
				Subject:   "Out of the office: " + o.subject,
				InReplyTo: id,
				Timestamp: now,
			})
		}
	}
	for _, n := range s.events(o, id, outcomes, now) {
		s.publishLocked(n)
	}
	return id
}

func tagMap(tags []messageTag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Name] = t.Value
	}
	return m
}

// eicar is the antivirus test string; SES rejects mail carrying it, and so
// does the server, with a Reject event.
var eicar = []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`)

func hasVirus(o *outgoing) bool {
	if bytes.Contains(o.raw, eicar) || strings.Contains(o.text, string(eicar)) {
		return true
	}
	for _, a := range o.attachments {
		if bytes.Contains(a.RawContent, eicar) {
			return true
		}
	}
	return false
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
