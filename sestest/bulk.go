package sestest

import (
	"net/http"
)

type sendBulkEmailRequest struct {
	FromEmailAddress     *string           `json:"FromEmailAddress"`
	ReplyToAddresses     []string          `json:"ReplyToAddresses"`
	DefaultContent       *bulkEmailContent `json:"DefaultContent"`
	BulkEmailEntries     []bulkEmailEntry  `json:"BulkEmailEntries"`
	ConfigurationSetName *string           `json:"ConfigurationSetName"`
	DefaultEmailTags     []messageTag      `json:"DefaultEmailTags"`
}

type bulkEmailContent struct {
	Template *templateMessage `json:"Template"`
}

type bulkEmailEntry struct {
	Destination             *destination             `json:"Destination"`
	ReplacementTags         []messageTag             `json:"ReplacementTags"`
	ReplacementEmailContent *replacementEmailContent `json:"ReplacementEmailContent"`
	ReplacementHeaders      []messageField           `json:"ReplacementHeaders"`
}

type replacementEmailContent struct {
	ReplacementTemplate *struct {
		ReplacementTemplateData *string `json:"ReplacementTemplateData"`
	} `json:"ReplacementTemplate"`
}

type bulkEmailEntryResult struct {
	Status    string `json:"Status"`
	Error     string `json:"Error,omitempty"`
	MessageID string `json:"MessageId,omitempty"`
}

// maxBulkEntries is SES's limit on entries per SendBulkEmail call.
const maxBulkEntries = 50

// sendBulkEmail sends one templated message per entry, in order. Only a
// malformed request fails the call; every other error is its entry's
// result, with the statuses SES's model defines: TEMPLATE_NOT_FOUND,
// CONFIGURATION_SET_NOT_FOUND, ACCOUNT_SENDING_PAUSED, ACCOUNT_SUSPENDED,
// MESSAGE_REJECTED (an unverified sender or, in the sandbox, recipient),
// ACCOUNT_THROTTLED and ACCOUNT_DAILY_QUOTA_EXCEEDED (each entry takes its
// recipients from the rate bucket and the daily quota in turn), and
// INVALID_PARAMETER for a bad address.
func (s *Server) sendBulkEmail(w http.ResponseWriter, r *http.Request, body []byte) *apiError {
	var req sendBulkEmailRequest
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	if req.DefaultContent == nil || req.DefaultContent.Template == nil {
		return badRequest("missing required member DefaultContent.Template")
	}
	switch n := len(req.BulkEmailEntries); {
	case n == 0:
		return badRequest("missing required member BulkEmailEntries")
	case n > maxBulkEntries:
		return badRequest("the request has %d BulkEmailEntries; the limit is %d", n, maxBulkEntries)
	}
	if _, err := parseAddress(deref(req.FromEmailAddress)); err != nil {
		return badRequest("FromEmailAddress: %v", err)
	}
	if err := checkTags(req.DefaultEmailTags); err != nil {
		return err
	}
	results := make([]bulkEmailEntryResult, len(req.BulkEmailEntries))
	entries := make([]*outgoing, len(req.BulkEmailEntries))
	for i, e := range req.BulkEmailEntries {
		o, err := s.bulkEntry(&req, e)
		if err != nil {
			results[i] = bulkEmailEntryResult{Status: err.bulkStatus(), Error: err.message}
			continue
		}
		o.sourceIP = clientIP(r)
		entries[i] = o
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for i, o := range entries {
		if o == nil {
			continue
		}
		id, err := s.sendLocked(o, now)
		if err != nil {
			results[i] = bulkEmailEntryResult{Status: err.bulkStatus(), Error: err.message}
			continue
		}
		results[i] = bulkEmailEntryResult{Status: "SUCCESS", MessageID: id}
	}
	return writeJSON(w, struct{ BulkEmailEntryResults []bulkEmailEntryResult }{results})
}

// bulkEntry builds the message for one entry of a SendBulkEmail call.
func (s *Server) bulkEntry(req *sendBulkEmailRequest, e bulkEmailEntry) (*outgoing, *apiError) {
	tmpl := *req.DefaultContent.Template
	if rc := e.ReplacementEmailContent; rc != nil && rc.ReplacementTemplate != nil && rc.ReplacementTemplate.ReplacementTemplateData != nil {
		tmpl.TemplateData = rc.ReplacementTemplate.ReplacementTemplateData
	}
	if len(e.ReplacementHeaders) > 0 {
		tmpl.Headers = e.ReplacementHeaders
	}
	se := sendEmailRequest{
		FromEmailAddress:     req.FromEmailAddress,
		Destination:          e.Destination,
		ReplyToAddresses:     req.ReplyToAddresses,
		Content:              &emailContent{Template: &tmpl},
		EmailTags:            mergeTags(req.DefaultEmailTags, e.ReplacementTags),
		ConfigurationSetName: req.ConfigurationSetName,
	}
	if e.Destination == nil {
		return nil, badRequest("missing required member Destination")
	}
	o, err := newOutgoing(&se)
	if err != nil {
		return nil, err
	}
	o.operation = "SendBulkEmail"
	if err := s.finish(o); err != nil {
		return nil, err
	}
	return o, nil
}

// mergeTags returns the default tags with the replacements laid over them.
func mergeTags(defaults, replacements []messageTag) []messageTag {
	out := append([]messageTag(nil), defaults...)
	for _, r := range replacements {
		replaced := false
		for i := range out {
			if out[i].Name == r.Name {
				out[i].Value, replaced = r.Value, true
			}
		}
		if !replaced {
			out = append(out, r)
		}
	}
	return out
}
