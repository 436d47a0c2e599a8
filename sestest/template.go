package sestest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
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

type templateContent struct {
	Subject *string `json:"Subject,omitempty"`
	Text    *string `json:"Text,omitempty"`
	HTML    *string `json:"Html,omitempty"`
}

func (c *templateContent) template() Template {
	if c == nil {
		return Template{}
	}
	return Template{Subject: deref(c.Subject), Text: deref(c.Text), HTML: deref(c.HTML)}
}

func templateNotFound(name string) *apiError {
	e := notFound("Template %s does not exist.", name)
	e.bulk = "TEMPLATE_NOT_FOUND"
	return e
}

func (s *Server) createEmailTemplate(w http.ResponseWriter, _ *http.Request, body []byte) *apiError {
	var req struct {
		TemplateName    *string          `json:"TemplateName"`
		TemplateContent *templateContent `json:"TemplateContent"`
	}
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	name, err := requireString(req.TemplateName, "TemplateName")
	if err != nil {
		return err
	}
	if req.TemplateContent == nil {
		return badRequest("missing required member TemplateContent")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.templates[name]; ok {
		return alreadyExists("Template %s already exists.", name)
	}
	s.templates[name] = req.TemplateContent.template()
	return writeJSON(w, struct{}{})
}

func (s *Server) updateEmailTemplate(w http.ResponseWriter, _ *http.Request, body []byte, params []string) *apiError {
	var req struct {
		TemplateContent *templateContent `json:"TemplateContent"`
	}
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	if req.TemplateContent == nil {
		return badRequest("missing required member TemplateContent")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.templates[params[0]]; !ok {
		return templateNotFound(params[0])
	}
	s.templates[params[0]] = req.TemplateContent.template()
	return writeJSON(w, struct{}{})
}

func (s *Server) getEmailTemplate(w http.ResponseWriter, _ *http.Request, _ []byte, params []string) *apiError {
	s.mu.Lock()
	t, ok := s.templates[params[0]]
	s.mu.Unlock()
	if !ok {
		return templateNotFound(params[0])
	}
	content := templateContent{Subject: &t.Subject}
	if t.Text != "" {
		content.Text = &t.Text
	}
	if t.HTML != "" {
		content.HTML = &t.HTML
	}
	return writeJSON(w, struct {
		TemplateName    string          `json:"TemplateName"`
		TemplateContent templateContent `json:"TemplateContent"`
	}{params[0], content})
}

func (s *Server) deleteEmailTemplate(w http.ResponseWriter, _ *http.Request, _ []byte, params []string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.templates[params[0]]; !ok {
		return templateNotFound(params[0])
	}
	delete(s.templates, params[0])
	return writeJSON(w, struct{}{})
}

func (s *Server) listEmailTemplates(w http.ResponseWriter, r *http.Request, body []byte) *apiError {
	s.mu.Lock()
	names := make([]string, 0, len(s.templates))
	for name := range s.templates {
		names = append(names, name)
	}
	s.mu.Unlock()
	slices.Sort(names)
	lo, hi, next, err := page(r, body, names)
	if err != nil {
		return err
	}
	type metadata struct {
		TemplateName string `json:"TemplateName"`
	}
	out := make([]metadata, 0, hi-lo)
	for _, n := range names[lo:hi] {
		out = append(out, metadata{n})
	}
	return writeJSON(w, struct {
		TemplatesMetadata []metadata `json:"TemplatesMetadata"`
		NextToken         string     `json:"NextToken,omitempty"`
	}{out, next})
}
