package sqlstore

import (
	"testing"
	"time"
)

// FuzzParseTime feeds the reader of stored times text it may meet in a
// column — sqlstore's own, a hand-written row, garbage — and checks that
// it fails cleanly or yields a UTC time that writing and reading again
// keep; and that any instant in range survives the round trip to the
// microsecond.
func FuzzParseTime(f *testing.F) {
	for _, seed := range []struct {
		text string
		us   int64
	}{
		{"2026-03-14 15:09:26.535123", 1773500966535123},
		{"0001-01-01 00:00:00.000000", -62135596800000000},
		{"9999-12-31 23:59:59.999999", 253402300799999999},
		{"2026-03-14T15:09:26Z", 0},
		{"2026-03-14T20:39:26.5+05:30", 1},
		{"2026-03-14 15:09:26", -1},
		{"2026-02-30 00:00:00.000000", 42},
		{"", 0},
		{"not a time", 0},
	} {
		f.Add(seed.text, seed.us)
	}
	f.Fuzz(func(t *testing.T, text string, us int64) {
		got, err := parseTime(text)
		if err != nil {
			if !got.IsZero() {
				t.Fatalf("parseTime(%q) failed (%v) but returned %v", text, err, got)
			}
		} else {
			if got.Location() != time.UTC {
				t.Fatalf("parseTime(%q) = %v, not in UTC", text, got)
			}
			if y := got.Year(); y >= 1 && y <= 9999 {
				back, err := parseTime(formatTime(got))
				if err != nil || !back.Equal(got.Truncate(time.Microsecond)) {
					t.Fatalf("parseTime(%q) = %v, which reads back as %v, %v", text, got, back, err)
				}
			}
		}
		var fromText, fromBytes time.Time
		errText, errBytes := timeCol{t: &fromText}.Scan(text), timeCol{t: &fromBytes}.Scan([]byte(text))
		if (errText == nil) != (errBytes == nil) || !fromText.Equal(fromBytes) {
			t.Fatalf("Scan of %q as string = %v, %v; as bytes = %v, %v", text, fromText, errText, fromBytes, errBytes)
		}

		in := time.UnixMicro(us)
		if y := in.UTC().Year(); y < 1 || y > 9999 {
			return
		}
		out, err := parseTime(formatTime(in))
		if err != nil || !out.Equal(in) {
			t.Fatalf("%v written as %q read back as %v, %v", in, formatTime(in), out, err)
		}
	})
}

func TestTimeColReadsWhatDriversReturn(t *testing.T) {
	want := time.Date(2026, 3, 14, 15, 9, 26, 535_123_000, time.UTC)
	kolkata := time.FixedZone("IST", 5*3600+1800)
	for _, tc := range []struct {
		name      string
		v         any
		wallClock bool
		want      time.Time
		fails     bool
	}{
		{"Null", nil, false, time.Time{}, false},
		{"InstantInAnyZone", want.In(kolkata), false, want, false},
		{"WallClockReadInAnotherZone", time.Date(2026, 3, 14, 15, 9, 26, 535_123_000, kolkata), true, want, false},
		{"Text", "2026-03-14 15:09:26.535123", false, want, false},
		{"Bytes", []byte("2026-03-14 15:09:26.535123"), false, want, false},
		{"Garbage", "yesterday", false, time.Time{}, true},
		{"Number", int64(1773500966), false, time.Time{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := time.Unix(1, 0)
			err := timeCol{&got, tc.wallClock}.Scan(tc.v)
			if tc.fails {
				if err == nil {
					t.Fatalf("Scan(%v) = %v, want an error", tc.v, got)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) || (!got.IsZero() && got.Location() != time.UTC) {
				t.Fatalf("Scan(%v) = %v, %v; want %v in UTC", tc.v, got, err, tc.want)
			}
		})
	}
}
