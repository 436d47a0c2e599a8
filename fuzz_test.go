package sesguard

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// FuzzParse holds Parse to an independent decoder on any input: it never
// panics, every error wraps ErrMalformed, it accepts only what
// encoding/json calls valid, and every field of the SES model it decodes
// is the one that encoding/json's map[string]any decoding, mapped by hand
// in refNotification, gives.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{filepath.Join("testdata", "ses", "*.json"), filepath.Join(snsTestdata, "*.json")} {
		paths, err := filepath.Glob(glob)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			f.Add(readFile(f, p))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ns, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		var top any
		if err := json.Unmarshal(data, &top); err != nil {
			t.Fatalf("Parse accepted what encoding/json rejects: %v", err)
		}
		docs := sesDocuments(t, top)
		if len(docs) != len(ns) {
			t.Fatalf("Parse found %d notifications, encoding/json %d", len(ns), len(docs))
		}
		for i, n := range ns {
			n.Records()
			want := refNotification(docs[i])
			if n.Type == "" {
				if want != nil && want.Type != "" {
					t.Fatalf("notification %d: not decoded, encoding/json has type %q", i, want.Type)
				}
				continue
			}
			got := *n
			got.SNS = nil
			if want == nil || !reflect.DeepEqual(&got, want) {
				t.Fatalf("notification %d:\ndecoded        %+v\nencoding/json  %+v", i, &got, want)
			}
		}
	})
}

// sesDocuments returns, in order, the SES JSON object each notification of
// a payload comes from (nil where there is none), found as Parse finds
// them: in Lambda records, SQS bodies, SNS envelopes' Message, or bare.
func sesDocuments(t *testing.T, v any) []map[string]any {
	m, _ := v.(map[string]any)
	if recs, ok := m["Records"].([]any); ok {
		var out []map[string]any
		for _, r := range recs {
			rm, _ := r.(map[string]any)
			if e, ok := rm["Sns"].(map[string]any); ok {
				out = append(out, message(e))
				continue
			}
			var body any
			if err := json.Unmarshal([]byte(rm["body"].(string)), &body); err != nil {
				t.Fatalf("an SQS body Parse accepted: %v", err)
			}
			out = append(out, sesDocuments(t, body)...)
		}
		return out
	}
	if _, ok := m["Type"]; ok {
		return []map[string]any{message(m)}
	}
	return []map[string]any{m}
}

// message decodes an SNS Notification's Message, or returns nil.
func message(e map[string]any) map[string]any {
	s, _ := e["Message"].(string)
	var m map[string]any
	if e["Type"] != "Notification" || json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}

// ref maps encoding/json's generic decoding of SES JSON to the model, the
// way SES documents it, collecting what the model does not know.
type ref struct{ unknown []string }

func (r *ref) obj(path string, v any, known ...string) map[string]any {
	m, _ := v.(map[string]any)
	for k := range m {
		if !slices.Contains(known, k) {
			r.unknown = append(r.unknown, path+k)
		}
	}
	return m
}

func str(v any) string { s, _ := v.(string); return s }

func strs(v any) []string {
	a, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, len(a))
	for i, s := range a {
		out[i] = str(s)
	}
	return out
}

func lists(v any) map[string][]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, l := range m {
		out[k] = strs(l)
	}
	return out
}

func each(v any, fn func(any)) {
	for _, e := range v.([]any) {
		fn(e)
	}
}

func (r *ref) time(path string, v any) time.Time {
	s := str(v)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999 -0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	r.unknown = append(r.unknown, path)
	return time.Time{}
}

func boolean(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		ok, _ := strconv.ParseBool(b)
		return ok
	}
	return false
}

// refNotification maps one SES JSON document to the model; nil for none.
func refNotification(doc map[string]any) *Notification {
	if doc == nil {
		return nil
	}
	var r ref
	m := r.obj("", doc, "notificationType", "eventType", "mail", "bounce", "complaint", "delivery",
		"send", "reject", "failure", "deliveryDelay", "subscription", "open", "click")
	n := &Notification{Type: EventType(str(m["notificationType"]))}
	if et := str(m["eventType"]); et != "" {
		n.Type, n.EventPublishing = EventType(et), true
	}
	mail := r.obj("mail.", m["mail"], "timestamp", "messageId", "source", "sourceArn", "sourceIp", "sendingAccountId",
		"callerIdentity", "destination", "headersTruncated", "headers", "commonHeaders", "tags")
	n.Mail = Mail{
		Timestamp: r.time("mail.timestamp", mail["timestamp"]), MessageID: str(mail["messageId"]), Source: str(mail["source"]),
		SourceARN: str(mail["sourceArn"]), SourceIP: str(mail["sourceIp"]), SendingAccountID: str(mail["sendingAccountId"]),
		CallerIdentity: str(mail["callerIdentity"]), Destination: strs(mail["destination"]),
		HeadersTruncated: boolean(mail["headersTruncated"]), Tags: lists(mail["tags"]),
	}
	if hs, ok := mail["headers"].([]any); ok {
		n.Mail.Headers = make([]Header, 0, len(hs))
		each(hs, func(h any) {
			hm := r.obj("mail.headers[].", h, "name", "value")
			n.Mail.Headers = append(n.Mail.Headers, Header{Name: str(hm["name"]), Value: str(hm["value"])})
		})
	}
	ch := r.obj("mail.commonHeaders.", mail["commonHeaders"], "from", "to", "cc", "bcc", "sender", "replyTo", "returnPath", "date", "messageId", "subject")
	n.Mail.CommonHeaders = CommonHeaders{
		From: strs(ch["from"]), To: strs(ch["to"]), Cc: strs(ch["cc"]), Bcc: strs(ch["bcc"]), Sender: strs(ch["sender"]),
		ReplyTo: strs(ch["replyTo"]), ReturnPath: str(ch["returnPath"]), Date: str(ch["date"]), MessageID: str(ch["messageId"]), Subject: str(ch["subject"]),
	}
	keys := map[EventType]string{EventBounce: "bounce", EventComplaint: "complaint", EventDelivery: "delivery", EventSend: "send",
		EventReject: "reject", EventRenderingFailure: "failure", EventDeliveryDelay: "deliveryDelay",
		EventSubscription: "subscription", EventOpen: "open", EventClick: "click"}
	for t, k := range keys {
		if _, ok := m[k].(map[string]any); ok && t != n.Type {
			r.unknown = append(r.unknown, k)
		}
	}
	v := m[keys[n.Type]]
	switch n.Type {
	case EventBounce:
		o := r.obj("bounce.", v, "bounceType", "bounceSubType", "bouncedRecipients", "timestamp", "feedbackId", "remoteMtaIp", "reportingMTA")
		b := &Bounce{Type: BounceType(str(o["bounceType"])), SubType: str(o["bounceSubType"]), Timestamp: r.time("bounce.timestamp", o["timestamp"]),
			FeedbackID: str(o["feedbackId"]), RemoteMTAIP: str(o["remoteMtaIp"]), ReportingMTA: str(o["reportingMTA"])}
		if rs, ok := o["bouncedRecipients"].([]any); ok {
			b.Recipients = make([]BouncedRecipient, 0, len(rs))
			each(rs, func(e any) {
				rm := r.obj("bounce.bouncedRecipients[].", e, "emailAddress", "action", "status", "diagnosticCode")
				b.Recipients = append(b.Recipients, BouncedRecipient{str(rm["emailAddress"]), str(rm["action"]), str(rm["status"]), str(rm["diagnosticCode"])})
			})
		}
		n.Bounce = b
	case EventComplaint:
		o := r.obj("complaint.", v, "complainedRecipients", "timestamp", "feedbackId", "complaintSubType", "userAgent", "complaintFeedbackType", "arrivalDate")
		c := &Complaint{Timestamp: r.time("complaint.timestamp", o["timestamp"]), FeedbackID: str(o["feedbackId"]), SubType: str(o["complaintSubType"]),
			UserAgent: str(o["userAgent"]), FeedbackType: str(o["complaintFeedbackType"]), ArrivalDate: r.time("complaint.arrivalDate", o["arrivalDate"])}
		if rs, ok := o["complainedRecipients"].([]any); ok {
			c.Recipients = make([]ComplainedRecipient, 0, len(rs))
			each(rs, func(e any) {
				c.Recipients = append(c.Recipients, ComplainedRecipient{str(r.obj("complaint.complainedRecipients[].", e, "emailAddress")["emailAddress"])})
			})
		}
		n.Complaint = c
	case EventDelivery:
		o := r.obj("delivery.", v, "timestamp", "processingTimeMillis", "recipients", "smtpResponse", "reportingMTA", "remoteMtaIp")
		ms, _ := o["processingTimeMillis"].(float64)
		n.Delivery = &Delivery{Timestamp: r.time("delivery.timestamp", o["timestamp"]), ProcessingTime: time.Duration(ms * float64(time.Millisecond)),
			Recipients: strs(o["recipients"]), SMTPResponse: str(o["smtpResponse"]), ReportingMTA: str(o["reportingMTA"]), RemoteMTAIP: str(o["remoteMtaIp"])}
	case EventSend:
		r.obj("send.", v)
		n.Send = &SendEvent{}
	case EventReject:
		n.Reject = &Reject{Reason: str(r.obj("reject.", v, "reason")["reason"])}
	case EventRenderingFailure:
		o := r.obj("failure.", v, "templateName", "errorMessage")
		n.RenderingFailure = &RenderingFailure{TemplateName: str(o["templateName"]), ErrorMessage: str(o["errorMessage"])}
	case EventDeliveryDelay:
		o := r.obj("deliveryDelay.", v, "timestamp", "delayType", "expirationTime", "reportingMTA", "delayedRecipients")
		dd := &DeliveryDelay{Timestamp: r.time("deliveryDelay.timestamp", o["timestamp"]), DelayType: str(o["delayType"]),
			ExpirationTime: r.time("deliveryDelay.expirationTime", o["expirationTime"]), ReportingMTA: str(o["reportingMTA"])}
		if rs, ok := o["delayedRecipients"].([]any); ok {
			dd.DelayedRecipients = make([]DelayedRecipient, 0, len(rs))
			each(rs, func(e any) {
				rm := r.obj("deliveryDelay.delayedRecipients[].", e, "emailAddress", "status", "diagnosticCode")
				dd.DelayedRecipients = append(dd.DelayedRecipients, DelayedRecipient{str(rm["emailAddress"]), str(rm["status"]), str(rm["diagnosticCode"])})
			})
		}
		n.DeliveryDelay = dd
	case EventSubscription:
		o := r.obj("subscription.", v, "contactList", "timestamp", "source", "newTopicPreferences", "oldTopicPreferences")
		n.Subscription = &Subscription{ContactList: str(o["contactList"]), Timestamp: r.time("subscription.timestamp", o["timestamp"]), Source: str(o["source"]),
			NewTopicPreferences: r.prefs("subscription.newTopicPreferences.", o["newTopicPreferences"]),
			OldTopicPreferences: r.prefs("subscription.oldTopicPreferences.", o["oldTopicPreferences"])}
	case EventOpen:
		o := r.obj("open.", v, "ipAddress", "timestamp", "userAgent")
		n.Open = &Open{IPAddress: str(o["ipAddress"]), Timestamp: r.time("open.timestamp", o["timestamp"]), UserAgent: str(o["userAgent"])}
	case EventClick:
		o := r.obj("click.", v, "ipAddress", "timestamp", "userAgent", "link", "linkTags")
		n.Click = &Click{IPAddress: str(o["ipAddress"]), Timestamp: r.time("click.timestamp", o["timestamp"]), UserAgent: str(o["userAgent"]),
			Link: str(o["link"]), LinkTags: lists(o["linkTags"])}
	}
	if len(r.unknown) > 0 {
		slices.Sort(r.unknown)
		n.Unknown = slices.Compact(r.unknown)
	}
	return n
}

func (r *ref) prefs(p string, v any) TopicPreferences {
	o := r.obj(p, v, "unsubscribeAll", "topicSubscriptionStatus", "topicDefaultSubscriptionStatus")
	statuses := func(p string, v any) []TopicStatus {
		a, ok := v.([]any)
		if !ok {
			return nil
		}
		out := make([]TopicStatus, 0, len(a))
		each(a, func(e any) {
			s := r.obj(p, e, "topicName", "subscriptionStatus")
			out = append(out, TopicStatus{str(s["topicName"]), str(s["subscriptionStatus"])})
		})
		return out
	}
	return TopicPreferences{UnsubscribeAll: boolean(o["unsubscribeAll"]),
		TopicSubscriptionStatus:        statuses(p+"topicSubscriptionStatus[].", o["topicSubscriptionStatus"]),
		TopicDefaultSubscriptionStatus: statuses(p+"topicDefaultSubscriptionStatus[].", o["topicDefaultSubscriptionStatus"])}
}
