package tlscert

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// ErrInvalidDN is returned (wrapped, with the reason after it) for a
// distinguished name that cannot be read.
var ErrInvalidDN = errors.New("invalid DN")

// dnAliases maps the long attribute names RFC 4519 gives to the short ones
// certificates print, so that "commonName=x" and "CN=x" name the same.
var dnAliases = map[string]string{
	"COMMONNAME":             "CN",
	"ORGANIZATIONNAME":       "O",
	"ORGANIZATIONALUNITNAME": "OU",
	"COUNTRYNAME":            "C",
	"LOCALITYNAME":           "L",
	"STATEORPROVINCENAME":    "ST",
	"S":                      "ST",
	"STREETADDRESS":          "STREET",
	"DOMAINCOMPONENT":        "DC",
	"2.5.4.3":                "CN",
	"2.5.4.10":               "O",
	"2.5.4.11":               "OU",
	"2.5.4.6":                "C",
	"2.5.4.7":                "L",
	"2.5.4.8":                "ST",
	"2.5.4.5":                "SERIALNUMBER",
}

// DNKey returns the canonical form of an RFC 4514 distinguished name
// ("CN=host,O=Acme\, Inc."): attribute types upper-cased and short,
// values unescaped, compared without regard to case and runs of spaces (as
// LDAP's caseIgnoreMatch does), and the values of a multi-valued RDN
// sorted. Two spellings of one DN have the same key; the RDN order counts.
func DNKey(dn string) (string, error) {
	rdns, err := parseDN(dn)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(rdns))
	for i, rdn := range rdns {
		attrs := make([]string, len(rdn))
		for j, a := range rdn {
			if a.hex {
				attrs[j] = a.typ + "=" + a.value // '#' stands unescaped only here
			} else {
				attrs[j] = a.typ + "=" + escapeDNValue(foldValue(a.value))
			}
		}
		sort.Strings(attrs)
		parts[i] = strings.Join(attrs, "+")
	}
	return strings.Join(parts, ","), nil
}

// dnAttr is one type=value; hex marks a value written as #hex (BER).
type dnAttr struct {
	typ, value string
	hex        bool
}

// parseDN splits dn into RDNs of attributes, RFC 4514 section 3, taking
// the spaces around separators that RFC 2253 writers leave.
func parseDN(dn string) ([][]dnAttr, error) {
	if strings.TrimSpace(dn) == "" {
		return nil, fmt.Errorf("%w: the DN is empty", ErrInvalidDN)
	}
	var (
		rdns [][]dnAttr
		rdn  []dnAttr
		i    int
	)
	for {
		a, next, sep, err := parseAttr(dn, i)
		if err != nil {
			return nil, err
		}
		rdn = append(rdn, a)
		i = next
		switch sep {
		case '+':
			continue
		case ',', ';':
			rdns = append(rdns, rdn)
			rdn = nil
			continue
		}
		return append(rdns, rdn), nil
	}
}

// parseAttr reads type=value from dn[i:] and returns where the next one
// starts and the separator that ended it (0 at the end).
func parseAttr(dn string, i int) (dnAttr, int, byte, error) {
	eq := strings.IndexByte(dn[i:], '=')
	if eq < 0 {
		return dnAttr{}, 0, 0, fmt.Errorf("%w: %q has no '=' (want TYPE=value, e.g. CN=example.com)", ErrInvalidDN, strings.TrimSpace(dn[i:]))
	}
	typ := strings.ToUpper(strings.TrimSpace(dn[i : i+eq]))
	if !validAttrType(typ) {
		return dnAttr{}, 0, 0, fmt.Errorf("%w: %q is not an attribute type", ErrInvalidDN, strings.TrimSpace(dn[i:i+eq]))
	}
	if alias, ok := dnAliases[typ]; ok {
		typ = alias
	}
	i += eq + 1
	for i < len(dn) && dn[i] == ' ' {
		i++
	}
	if i < len(dn) && dn[i] == '#' { // hex-encoded BER, kept as written
		j := i + 1
		for j < len(dn) && isHex(dn[j]) {
			j++
		}
		if (j-i-1)%2 != 0 || j == i+1 {
			return dnAttr{}, 0, 0, fmt.Errorf("%w: the value of %s is not whole hex pairs", ErrInvalidDN, typ)
		}
		value := strings.ToLower(dn[i:j])
		next, sep, err := afterValue(dn, j, typ)
		return dnAttr{typ: typ, value: value, hex: true}, next, sep, err
	}
	var b strings.Builder
	trailing := 0 // unescaped spaces at the end of b, which are not part of the value
	for i < len(dn) {
		c := dn[i]
		switch {
		case c == ',' || c == '+' || c == ';':
			value := b.String()
			value = value[:len(value)-trailing]
			return dnAttr{typ: typ, value: value}, i + 1, c, nil
		case c == '\\':
			if i+1 >= len(dn) {
				return dnAttr{}, 0, 0, fmt.Errorf("%w: the DN ends with a lone backslash", ErrInvalidDN)
			}
			n := dn[i+1]
			if isHex(n) && i+2 < len(dn) && isHex(dn[i+2]) {
				v, _ := hex.DecodeString(dn[i+1 : i+3])
				b.WriteByte(v[0])
				i += 3
			} else if strings.IndexByte(` "#+,;<=>\`, n) >= 0 {
				b.WriteByte(n)
				i += 2
			} else {
				return dnAttr{}, 0, 0, fmt.Errorf("%w: \\%c is not an escape", ErrInvalidDN, n)
			}
			trailing = 0
			continue
		case c == ' ':
			trailing++
		case c == '"' || c == '<' || c == '>':
			return dnAttr{}, 0, 0, fmt.Errorf("%w: %q in the value of %s must be escaped with a backslash", ErrInvalidDN, c, typ)
		default:
			trailing = 0
		}
		b.WriteByte(c)
		i++
	}
	value := b.String()
	return dnAttr{typ: typ, value: value[:len(value)-trailing]}, len(dn), 0, nil
}

// afterValue skips spaces after a hex value up to the separator.
func afterValue(dn string, i int, typ string) (int, byte, error) {
	for i < len(dn) && dn[i] == ' ' {
		i++
	}
	if i == len(dn) {
		return i, 0, nil
	}
	switch c := dn[i]; c {
	case ',', '+', ';':
		return i + 1, c, nil
	}
	return 0, 0, fmt.Errorf("%w: unexpected text after the value of %s", ErrInvalidDN, typ)
}

// validAttrType says whether t is a descriptor (a letter, then letters,
// digits and hyphens) or a dotted numeric OID.
func validAttrType(t string) bool {
	if t == "" {
		return false
	}
	if t[0] >= '0' && t[0] <= '9' {
		for _, part := range strings.Split(t, ".") {
			if part == "" || strings.Trim(part, "0123456789") != "" {
				return false
			}
		}
		return true
	}
	for i, r := range t {
		if !(r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '-')) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// foldValue lower-cases v and turns runs of spaces into one.
func foldValue(v string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(v), unicode.IsSpace), " ")
}

// escapeDNValue escapes what would make a key ambiguous.
func escapeDNValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if strings.IndexByte(`\,+;="<>#`, v[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
