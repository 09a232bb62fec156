package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The console tests drive the web console in a real headless Chromium
// through the DevTools protocol: the page, its scripts, its Content
// Security Policy and its cross-origin calls to S3 all run as they do for
// an operator.

// chromiumPath finds the browser or skips the test saying how to get it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found (Debian: apt-get install chromium); the web console tests drive a real browser")
	return ""
}

// newBrowser starts a headless browser for the test and returns its first
// context; tabs in other contexts (other users) come from (*tab).other.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // the tests may run as root
		chromedp.WindowSize(1280, 900),
		chromedp.DisableGPU,
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	return ctx
}

// tab is one browser tab on the console of a server, in a browser
// context of its own (cookies, session).
type tab struct {
	t *testing.T
	*tabState
}

type tabState struct {
	ctx  context.Context
	base string // the MAPI listener's URL, where the console is

	mu       sync.Mutex
	problems []string // script exceptions and policy violations
}

// as returns the tab reporting to t (a subtest).
func (b *tab) as(t *testing.T) *tab { return &tab{t: t, tabState: b.tabState} }

// openTab opens a tab in a new browser context of browser and loads the
// console from srv.
func openTab(t *testing.T, browser context.Context, srv *server, first bool) *tab {
	t.Helper()
	ctx := browser
	if !first {
		var cancel context.CancelFunc
		ctx, cancel = chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
	}
	b := &tab{t: t, tabState: &tabState{ctx: ctx, base: "http://" + srv.MAPIAddr}}
	// Subscribe before the first navigation, so nothing is missed.
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	entries := chromedp.Events(ctx, cdplog.EntryAdded)
	b.do(chromedp.Navigate("about:blank"))
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enable the browser log: %v", err)
	}
	// The page records what its policy refuses; the test reads it at the end.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.__violations = [];
			document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));`,
	}); err != nil {
		t.Fatalf("add the policy watcher: %v", err)
	}
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			b.problem("script exception: %s %s", ev.ExceptionDetails.Text, describeException(ev.ExceptionDetails))
		}
	}()
	go func() {
		for ev, err := range entries {
			if err != nil {
				return
			}
			// A refused request (a 404 the console expects) is a network
			// entry; what the policy blocks is a security entry.
			if ev.Entry.Source == cdplog.EntrySourceSecurity || ev.Entry.Source == cdplog.EntrySourceJavascript {
				b.problem("%s %s: %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text)
			}
		}
	}()
	b.do(chromedp.Navigate(b.base + "/"))
	return b
}

func describeException(d *runtime.ExceptionDetails) string {
	if d == nil || d.Exception == nil {
		return ""
	}
	return d.Exception.Description
}

func (b *tabState) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// wantNoProblems fails the test if a script threw or the page's policy
// blocked anything.
func (b *tab) wantNoProblems() {
	b.t.Helper()
	for _, v := range js[[]string](b, "window.__violations || ['the policy watcher is missing']") {
		b.problem("the page's policy refused %s", v)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("in the browser: %s", p)
	}
}

// fatal ends the test with what the page shows.
func (b *tab) fatal(format string, args ...any) {
	b.t.Helper()
	text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.hash + "\n" + document.body.innerText`))
	b.t.Fatalf("%s\n--- the page shows ---\n%s", fmt.Sprintf(format, args...), text)
}

func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatal("browser: %v", err)
	}
}

// js evaluates an expression and returns its value as JSON-decoded T.
func js[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fatal("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds.
func (b *tab) waitFor(what, cond string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond,
		chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.fatal("waiting %v for %s (%s): %v", timeout, what, cond, err)
	}
}

// q quotes a string for JavaScript.
func q(s string) string { return strconv.Quote(s) }

// exists is the JavaScript condition that sel matches an element.
func exists(sel string) string { return fmt.Sprintf("document.querySelector(%s) !== null", q(sel)) }

// pageReady is the condition that the console has drawn the page its
// hash names.
const pageReady = `(document.querySelector('#page') || {dataset: {}}).dataset.ready === location.hash`

// open shows a console page by its hash, as a click on a link does, and
// waits until it is drawn and ready matches.
func (b *tab) open(hash, ready string) {
	b.t.Helper()
	js[bool](b, fmt.Sprintf("(location.hash = %s, true)", q(hash)))
	b.waitFor(hash, fmt.Sprintf("location.hash === %s && %s && %s", q(hash), pageReady, exists(ready)), 10*time.Second)
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	return js[string](b, fmt.Sprintf("(document.querySelector(%s) || {}).textContent || ''", q(sel)))
}

func (b *tab) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)))
}

func (b *tab) typeInto(sel, text string) {
	b.t.Helper()
	b.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// choose picks an option of a <select>, as a person would: its change
// event fires.
func (b *tab) choose(sel, value string) {
	b.t.Helper()
	ok := js[bool](b, fmt.Sprintf(`(() => { const s = document.querySelector(%s);
		if (!s || ![...s.options].some((o) => o.value === %s)) return false;
		s.value = %s; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, q(sel), q(value), q(value)))
	if !ok {
		b.fatal("%s has no option %q", sel, value)
	}
}

// number reads a counter the page shows ("12,345").
func (b *tab) number(sel string) int64 {
	b.t.Helper()
	s := strings.ReplaceAll(strings.TrimSpace(b.text(sel)), ",", "")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		b.fatal("%s shows %q, not a number", sel, s)
	}
	return n
}

// shot saves a screenshot of the page as name.png when QUARRY_SCREENSHOTS
// names a directory.
func (b *tab) shot(name string) {
	b.t.Helper()
	dir := os.Getenv("QUARRY_SCREENSHOTS")
	if dir == "" {
		return
	}
	// Let the last poll and layout settle.
	time.Sleep(300 * time.Millisecond)
	img, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), img, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// login signs in through the login page.
func (b *tab) login(user, password string) {
	b.t.Helper()
	b.open("#/login", "#login-username")
	b.typeInto("#login-username", user)
	b.typeInto("#login-password", password)
	b.click("#login-submit")
	b.waitFor("the signed-in header", fmt.Sprintf("(document.querySelector('#whoami') || {}).textContent === %s", q(user)), 10*time.Second)
}
