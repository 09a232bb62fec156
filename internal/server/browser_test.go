package server

import (
	"net"
	"net/http"
	"testing"
)

func listeningOn(t *testing.T, b *browserS3, s3, mapi string) *browserS3 {
	t.Helper()
	s3Addr, err := net.ResolveTCPAddr("tcp", s3)
	if err != nil {
		t.Fatal(err)
	}
	mapiAddr, err := net.ResolveTCPAddr("tcp", mapi)
	if err != nil {
		t.Fatal(err)
	}
	b.listening(s3Addr, mapiAddr)
	return b
}

func TestTheConsolePresignsForTheHostItWasLoadedFromOnTheS3Port(t *testing.T) {
	b, err := newBrowserS3("", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	listeningOn(t, b, "0.0.0.0:9000", "0.0.0.0:9001")
	for host, want := range map[string]string{
		"quarry.example:9001": "http://quarry.example:9000",
		"quarry.example":      "http://quarry.example:9000",
		"[::1]:9001":          "http://[::1]:9000",
		"127.0.0.1:9001":      "http://127.0.0.1:9000",
	} {
		if got := b.URL(host).String(); got != want {
			t.Errorf("URL(%q) = %s, want %s", host, got, want)
		}
		r, _ := http.NewRequest(http.MethodGet, "http://"+host+"/", nil)
		if got := b.Origin(r); got != want {
			t.Errorf("Origin for %q = %s, want %s", host, got, want)
		}
	}
}

func TestTheS3APITakesTheConsolesOwnOriginAndTheNamedOnesOnly(t *testing.T) {
	b, err := newBrowserS3("", []string{"https://console.example.com:443/"}, false)
	if err != nil {
		t.Fatal(err)
	}
	listeningOn(t, b, "127.0.0.1:9000", "127.0.0.1:9001")
	cases := []struct {
		origin, host string
		want         bool
	}{
		{"http://quarry.example:9001", "quarry.example:9000", true},
		{"http://QUARRY.example:9001", "quarry.example:9000", true},
		{"http://127.0.0.1:9001", "127.0.0.1:9000", true},
		{"https://console.example.com", "anything:9000", true},
		{"http://quarry.example:9001", "other.example:9000", false},   // another host's page
		{"http://quarry.example:8080", "quarry.example:9000", false},  // another port on that host
		{"https://quarry.example:9001", "quarry.example:9000", false}, // the listeners are plain HTTP
		{"http://evil.example", "quarry.example:9000", false},
		{"null", "quarry.example:9000", false},
		{"", "quarry.example:9000", false},
	}
	for _, c := range cases {
		if got := b.AllowsOrigin(c.origin, c.host); got != c.want {
			t.Errorf("AllowsOrigin(%q, %q) = %v, want %v", c.origin, c.host, got, c.want)
		}
	}
}

func TestAPublicS3URLIsUsedAsGiven(t *testing.T) {
	b, err := newBrowserS3("https://s3.example.com", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	listeningOn(t, b, "127.0.0.1:9000", "127.0.0.1:9001")
	if got := b.URL("admin.example.com").String(); got != "https://s3.example.com" {
		t.Errorf("URL = %s, want the public URL", got)
	}
	for _, bad := range []string{"s3.example.com", "ftp://s3.example.com", "https://u:p@s3.example.com", "https://s3.example.com/path", "https://s3.example.com?x=1"} {
		if _, err := newBrowserS3(bad, nil, false); err == nil {
			t.Errorf("--s3-public-url %q was taken", bad)
		}
		if _, err := newBrowserS3("", []string{bad}, false); err == nil {
			t.Errorf("--console-origin %q was taken", bad)
		}
	}
}
