package sestest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Template is an email template as SES stores it. Its parts may hold
// {{name}} placeholders, filled from the send's TemplateData; a dotted name
// ({{user.first}}) reaches into nested objects. Only plain substitution is
// emulated, not Handlebars blocks.
type Template struct {
	Subject string
	Text    string
	HTML    string
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}`)

// renderError is a template that could not be filled in: SES accepts the
// send and publishes a Rendering Failure event instead of sending.
type renderError struct {
	template string
	message  string
}

// render fills t's placeholders from the JSON object data.
func (t Template) render(name, data string) (Template, *renderError) {
	var values map[string]any
	if err := json.Unmarshal([]byte(data), &values); err != nil || values == nil {
		return Template{}, &renderError{template: name, message: "Template data is not a valid JSON object."}
	}
	var missing string
	fill := func(s string) string {
		return placeholder.ReplaceAllStringFunc(s, func(m string) string {
			key := placeholder.FindStringSubmatch(m)[1]
			v, ok := lookup(values, key)
			if !ok {
				if missing == "" {
					missing = key
				}
				return ""
			}
			return v
		})
	}
	out := Template{Subject: fill(t.Subject), Text: fill(t.Text), HTML: fill(t.HTML)}
	if missing != "" {
		return Template{}, &renderError{template: name, message: fmt.Sprintf("Attribute '%s' is not present in the rendering data.", missing)}
	}
	return out, nil
}

func lookup(values map[string]any, key string) (string, bool) {
	var cur any = values
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = m[part]; !ok {
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	case nil:
		return "", true
	default:
		b, _ := json.Marshal(v)
		return string(b), true
	}
}

// SetTemplate adds or replaces the template called name.
func (s *Server) SetTemplate(name string, t Template) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates[name] = t
}
