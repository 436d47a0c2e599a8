package main

import (
	"strconv"
	"strings"
)

// printChecks prints doctor's report for people: a heading per section and
// one ✔ or ✘ line per check, with the fix under a ✘.
func (a *app) printChecks(rep *doctorReport) {
	section := ""
	for _, c := range rep.Checks {
		if c.Section != section {
			if section != "" {
				a.printf("\n")
			}
			section = c.Section
			a.printf("%s\n", strings.ToUpper(section[:1])+section[1:])
		}
		mark := "✔"
		if !c.OK {
			mark = "✘"
		}
		a.printf("  %s %s: %s", mark, c.Name, c.Found)
		if !c.OK && c.Blocking {
			a.printf(" (blocks sending)")
		}
		a.printf("\n")
		if !c.OK && c.Fix != "" {
			a.printf("      fix: %s\n", c.Fix)
		}
	}
	a.printf("\n")
	if rep.OK {
		a.printf("Nothing blocks sending in %s.\n", rep.Region)
	} else {
		a.printf("Something blocks sending in %s: see the lines marked (blocks sending).\n", rep.Region)
	}
}

// number formats n with thousands separators, without a fraction when it
// has none.
func number(n float64) string {
	s := strconv.FormatFloat(n, 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}
