package tlscert

import (
	"errors"
	"testing"
)

func TestSpellingsOfOneDNHaveOneKey(t *testing.T) {
	tests := []struct {
		name string
		a, b string
	}{
		{"case and spaces around separators", "CN=host.example.com,O=Acme", "cn = Host.Example.com , o=ACME"},
		{"long attribute names", "CN=x,O=y,OU=z,C=DE", "commonName=x,organizationName=y,organizationalUnitName=z,countryName=DE"},
		{"numeric attribute types", "CN=x,O=y", "2.5.4.3=x,2.5.4.10=y"},
		{"an escaped comma, and the same comma in hex", `CN=x,O=Acme\, Inc.`, `CN=x,O=Acme\2C Inc.`},
		{"runs of spaces inside a value", "CN=a  b", "CN=a b"},
		{"the values of a multi-valued RDN in any order", "CN=x+OU=y,O=z", "OU=y+CN=x,O=z"},
		{"semicolons as RFC 1779 wrote them", "CN=x;O=y", "CN=x,O=y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, err := DNKey(tt.a)
			if err != nil {
				t.Fatalf("DNKey(%q): %v", tt.a, err)
			}
			kb, err := DNKey(tt.b)
			if err != nil {
				t.Fatalf("DNKey(%q): %v", tt.b, err)
			}
			if ka != kb {
				t.Fatalf("%q has key %q, %q has %q", tt.a, ka, tt.b, kb)
			}
		})
	}
}

func TestDifferentDNsHaveDifferentKeys(t *testing.T) {
	pairs := [][2]string{
		{"CN=a,O=b", "O=b,CN=a"},       // order counts
		{`CN=a\,O=b`, "CN=a,O=b"},      // an escaped comma is part of the value
		{"CN=a+O=b", "CN=a,O=b"},       // one RDN or two
		{"CN=#0c0161", "CN=\\#0c0161"}, // hex value or text
		{"CN=a", "CN=a,O=b"},           // an RDN more
		{"CN=x.example.com", "CN=y.example.com"},
		{"CN=a=b", "CN=a"}, // '=' may stand unescaped in a value
	}
	for _, p := range pairs {
		ka, err1 := DNKey(p[0])
		kb, err2 := DNKey(p[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("DNKey(%q), DNKey(%q): %v, %v", p[0], p[1], err1, err2)
		}
		if ka == kb {
			t.Errorf("%q and %q share the key %q", p[0], p[1], ka)
		}
	}
}

func TestMalformedDNsAreRefusedSayingWhy(t *testing.T) {
	tests := []struct{ dn, why string }{
		{"", "empty"},
		{"   ", "empty"},
		{"example.com", "no '='"},
		{"CN=x,", "no '='"},
		{"=x", "not an attribute type"},
		{"C N=x", "not an attribute type"},
		{"1..2=x", "not an attribute type"},
		{`CN=x\`, "lone backslash"},
		{`CN=x\q`, "not an escape"},
		{`CN=a"b`, "must be escaped"},
		{"CN=a<b", "must be escaped"},
		{"CN=#abc", "hex pairs"},
		{"CN=#00 zz", "after the value"},
	}
	for _, tt := range tests {
		_, err := DNKey(tt.dn)
		if !errors.Is(err, ErrInvalidDN) || !contains(err.Error(), tt.why) {
			t.Errorf("DNKey(%q) = %v, want ErrInvalidDN saying %q", tt.dn, err, tt.why)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
