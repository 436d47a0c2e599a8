package sestest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// EventDestination is where a configuration set publishes its events.
type EventDestination struct {
	// Name is the destination's name within its configuration set.
	Name string

	// Enabled turns publishing to the destination on.
	Enabled bool

	// MatchingEventTypes are the events published, as SES names them:
	// SEND, REJECT, BOUNCE, COMPLAINT, DELIVERY, OPEN, CLICK,
	// RENDERING_FAILURE, DELIVERY_DELAY, SUBSCRIPTION.
	MatchingEventTypes []string

	// TopicARN is the SNS topic of an SNS destination, "" for a destination
	// of another kind (CloudWatch, Firehose, EventBridge, Pinpoint), which
	// the server accepts and lists but does not publish to. The server has
	// one topic: every SNS destination publishes to [Server.TopicARN].
	TopicARN string

	// raw is the EventDestination object as a client created it, echoed
	// back by GetConfigurationSetEventDestinations.
	raw map[string]json.RawMessage
}

// AllEventTypes are every event type a configuration set can publish.
var AllEventTypes = []string{"SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK",
	"RENDERING_FAILURE", "DELIVERY_DELAY", "SUBSCRIPTION"}

// eventTypeName maps a notification's eventType to SES's EventType enum.
func eventTypeName(typ string) string {
	switch typ {
	case "Rendering Failure":
		return "RENDERING_FAILURE"
	case "DeliveryDelay":
		return "DELIVERY_DELAY"
	}
	return strings.ToUpper(typ)
}

type configSet struct {
	name         string
	destinations []*EventDestination
}

// publishes reports whether the set publishes events of type typ (as in
// eventType) to the server's topic.
func (c *configSet) publishes(typ string) bool {
	name := eventTypeName(typ)
	for _, d := range c.destinations {
		if d.Enabled && d.TopicARN != "" && slices.Contains(d.MatchingEventTypes, name) {
			return true
		}
	}
	return false
}

// SetConfigurationSet creates or replaces the configuration set name with
// the given event destinations. A set from [Options.ConfigurationSets]
// has one destination, "sestest", that publishes every event type to the
// server's topic.
func (s *Server) SetConfigurationSet(name string, destinations ...EventDestination) {
	c := &configSet{name: name}
	for _, d := range destinations {
		d.MatchingEventTypes = slices.Clone(d.MatchingEventTypes)
		c.destinations = append(c.destinations, &d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.configSets[name] = c
}

// defaultDestination is the event destination of the sets named in
// Options.ConfigurationSets.
func (s *Server) defaultDestination() EventDestination {
	return EventDestination{Name: "sestest", Enabled: true, MatchingEventTypes: AllEventTypes, TopicARN: s.TopicARN()}
}

func configSetNotFound(name string) *apiError {
	e := notFound("Configuration set %s does not exist.", name)
	e.bulk = "CONFIGURATION_SET_NOT_FOUND"
	return e
}

func (s *Server) createConfigurationSet(w http.ResponseWriter, _ *http.Request, body []byte) *apiError {
	var req struct {
		ConfigurationSetName *string `json:"ConfigurationSetName"`
	}
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	name, err := requireString(req.ConfigurationSetName, "ConfigurationSetName")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.configSets[name]; ok {
		return alreadyExists("Configuration set %s already exists.", name)
	}
	s.configSets[name] = &configSet{name: name}
	return writeJSON(w, struct{}{})
}

func (s *Server) listConfigurationSets(w http.ResponseWriter, r *http.Request, body []byte) *apiError {
	s.mu.Lock()
	names := make([]string, 0, len(s.configSets))
	for name := range s.configSets {
		names = append(names, name)
	}
	s.mu.Unlock()
	slices.Sort(names)
	lo, hi, next, err := page(r, body, names)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		ConfigurationSets []string `json:"ConfigurationSets"`
		NextToken         string   `json:"NextToken,omitempty"`
	}{names[lo:hi], next})
}

func (s *Server) getConfigurationSet(w http.ResponseWriter, _ *http.Request, _ []byte, params []string) *apiError {
	s.mu.Lock()
	_, ok := s.configSets[params[0]]
	s.mu.Unlock()
	if !ok {
		return configSetNotFound(params[0])
	}
	return writeJSON(w, struct {
		ConfigurationSetName string `json:"ConfigurationSetName"`
	}{params[0]})
}

func (s *Server) deleteConfigurationSet(w http.ResponseWriter, _ *http.Request, _ []byte, params []string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.configSets[params[0]]; !ok {
		return configSetNotFound(params[0])
	}
	delete(s.configSets, params[0])
	return writeJSON(w, struct{}{})
}

type eventDestinationDefinition struct {
	Enabled            bool     `json:"Enabled"`
	MatchingEventTypes []string `json:"MatchingEventTypes"`
	SnsDestination     *struct {
		TopicArn string `json:"TopicArn"`
	} `json:"SnsDestination"`
}

func (s *Server) createEventDestination(w http.ResponseWriter, _ *http.Request, body []byte, params []string) *apiError {
	var req struct {
		EventDestinationName *string                    `json:"EventDestinationName"`
		EventDestination     map[string]json.RawMessage `json:"EventDestination"`
	}
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	name, err := requireString(req.EventDestinationName, "EventDestinationName")
	if err != nil {
		return err
	}
	if req.EventDestination == nil {
		return badRequest("missing required member EventDestination")
	}
	raw, _ := json.Marshal(req.EventDestination)
	var def eventDestinationDefinition
	if err := decodeJSON(raw, &def); err != nil {
		return err
	}
	for _, t := range def.MatchingEventTypes {
		if !slices.Contains(AllEventTypes, t) {
			return badRequest("invalid event type %q", truncate(t, 32))
		}
	}
	d := &EventDestination{Name: name, Enabled: def.Enabled, MatchingEventTypes: def.MatchingEventTypes, raw: req.EventDestination}
	if def.SnsDestination != nil {
		d.TopicARN = def.SnsDestination.TopicArn
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.configSets[params[0]]
	if !ok {
		return configSetNotFound(params[0])
	}
	for _, old := range c.destinations {
		if old.Name == name {
			return alreadyExists("Event destination %s already exists.", name)
		}
	}
	c.destinations = append(c.destinations, d)
	return writeJSON(w, struct{}{})
}

func (s *Server) getEventDestinations(w http.ResponseWriter, _ *http.Request, _ []byte, params []string) *apiError {
	s.mu.Lock()
	c, ok := s.configSets[params[0]]
	var out []map[string]any
	if ok {
		for _, d := range c.destinations {
			m := map[string]any{}
			for k, v := range d.raw {
				m[k] = v
			}
			m["Name"], m["Enabled"], m["MatchingEventTypes"] = d.Name, d.Enabled, d.MatchingEventTypes
			if d.TopicARN != "" {
				m["SnsDestination"] = map[string]string{"TopicArn": d.TopicARN}
			}
			out = append(out, m)
		}
	}
	s.mu.Unlock()
	if !ok {
		return configSetNotFound(params[0])
	}
	if out == nil {
		out = []map[string]any{}
	}
	return writeJSON(w, struct {
		EventDestinations []map[string]any `json:"EventDestinations"`
	}{out})
}

func (s *Server) deleteEventDestination(w http.ResponseWriter, _ *http.Request, _ []byte, params []string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.configSets[params[0]]
	if !ok {
		return configSetNotFound(params[0])
	}
	n := len(c.destinations)
	c.destinations = slices.DeleteFunc(c.destinations, func(d *EventDestination) bool { return d.Name == params[1] })
	if len(c.destinations) == n {
		return notFound("Event destination %s does not exist.", params[1])
	}
	return writeJSON(w, struct{}{})
}
