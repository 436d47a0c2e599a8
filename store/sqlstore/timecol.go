package sqlstore

import (
	"fmt"
	"time"
)

// timeLayout is how MySQL and SQLite hold times: UTC, fixed width, to the
// microsecond, so that comparing the text orders the instants.
const timeLayout = "2006-01-02 15:04:05.000000"

// formatTime returns t in timeLayout.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// parseTime reads a time stored by sqlstore: timeLayout, or the same with a
// T separator or fewer fractional digits, as a hand-written row might hold.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("sqlstore: stored time %q is not in the form %q", s, timeLayout)
}

// timeCol scans a nullable time column into t, as UTC. NULL scans as the
// zero time.
type timeCol struct {
	t         *time.Time
	wallClock bool
}

// Scan implements sql.Scanner.
func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		if c.wallClock {
			v = time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), v.Nanosecond(), time.UTC)
		}
		*c.t = v.UTC()
	case string:
		t, err := parseTime(v)
		if err != nil {
			return err
		}
		*c.t = t
	case []byte:
		t, err := parseTime(string(v))
		if err != nil {
			return err
		}
		*c.t = t
	default:
		return fmt.Errorf("sqlstore: cannot read a time from %T", v)
	}
	return nil
}

// timeArg returns the query argument for t, in UTC to the microsecond, the
// precision every dialect keeps.
func (d *dialect) timeArg(t time.Time) any {
	return d.encodeTime(t.UTC().Truncate(time.Microsecond))
}

// nullTime returns the argument for an optional time: NULL for the zero
// time.
func (d *dialect) nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return d.timeArg(t)
}
