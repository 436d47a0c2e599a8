package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sesguard/sesguard/store"
	"github.com/sesguard/sesguard/unsubscribe"
)

// axNode is what the test reads of a node of the accessibility tree:
// its role, its accessible name and description, as Chromium computes
// them for a screen reader.
type axNode struct{ role, name, description string }

func axValue(v *accessibility.Value) string {
	if v == nil {
		return ""
	}
	var s string
	if json.Unmarshal(v.Value, &s) != nil {
		return ""
	}
	return s
}

// TestUnsubscribePageInABrowser opens the link of an unsubscribe mail in
// headless Chromium, as a person does: the page must say what it does to
// assistive technology (a language, a form named by its heading, a button
// with a name and a description) and record nothing until the button is
// pressed; pressing it unsubscribes the address from the list only.
// SESGUARD_CHROMIUM names the browser; .ci/run installs Debian's chromium
// and sets it.
func TestUnsubscribePageInABrowser(t *testing.T) {
	chromium := os.Getenv("SESGUARD_CHROMIUM")
	if chromium == "" {
		t.Skip("SESGUARD_CHROMIUM is not set: no browser to open the unsubscribe page in (.ci/run installs chromium and sets it)")
	}
	a := startT(t, backends[0].storeConfig(t, demoConfig()), slog.New(slog.DiscardHandler))
	const addr = "reader@example.com"
	host := strings.TrimPrefix(a.url, "http://")
	links, err := unsubscribe.NewLinks("https://"+host+a.cfg.unsubPath, "", a.keys)
	require.NoError(t, err)
	link, err := links.URL(addr, "news", time.Now())
	require.NoError(t, err)
	page := "http://" + strings.TrimPrefix(link, "https://")

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.Flag("disable-dev-shm-usage", true),
	)...)
	defer cancel()
	browser, cancel := chromedp.NewContext(alloc)
	defer cancel()
	browser, cancel = context.WithTimeout(browser, 60*time.Second)
	defer cancel()

	require.NoError(t, chromedp.Do(browser, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("button"))))
	lang, err := chromedp.Run(browser, chromedp.Evaluate[string](`document.documentElement.lang`))
	require.NoError(t, err)
	assert.Equal(t, "en", lang, "the page names its language")
	title, err := chromedp.Run(browser, chromedp.Title())
	require.NoError(t, err)
	assert.Equal(t, "Unsubscribe", title)

	tree, err := chromedp.Call(browser, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	require.NoError(t, err)
	var nodes []axNode
	for _, n := range tree.Nodes {
		if !n.Ignored && n.Role != nil {
			nodes = append(nodes, axNode{axValue(n.Role), axValue(n.Name), axValue(n.Description)})
		}
	}
	assert.Contains(t, nodes, axNode{"heading", "Unsubscribe from news", ""})
	assert.Contains(t, nodes, axNode{"form", "Unsubscribe from news", ""}, "the form is labelled by its heading")
	assert.Contains(t, nodes, axNode{"button", "Unsubscribe",
		"r…@example.com will no longer receive mail from the list news. Other mail about your account is not affected."},
		"the button has a name and says what it does")

	found, err := a.client.Suppressions(context.Background(), addr)
	require.NoError(t, err)
	require.Empty(t, found, "opening the page must not unsubscribe")

	require.NoError(t, chromedp.Do(browser, chromedp.Click(chromedp.CSS("button")), chromedp.WaitVisible(chromedp.CSS(`[role="status"]`))))
	heading, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS("h1")))
	require.NoError(t, err)
	assert.Equal(t, "You are unsubscribed", heading)

	found, err = a.client.Suppressions(context.Background(), addr)
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, store.ReasonUnsubscribe, found[0].Reason)
	assert.Equal(t, store.Scope("news"), found[0].Scope, "the unsubscribe is for the list only")
}
