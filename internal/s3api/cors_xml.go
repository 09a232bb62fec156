package s3api

import (
	"encoding/xml"

	"github.com/quarrylabs/quarry/internal/cors"
)

// corsConfigurationXML is a CORSConfiguration document. Requests are
// matched by local name; responses carry the S3 namespace.
type corsConfigurationXML struct {
	XMLName xml.Name      `xml:"CORSConfiguration"`
	Rules   []corsRuleXML `xml:"CORSRule"`
}

type corsConfigurationResponse struct {
	XMLName xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CORSConfiguration"`
	Rules   []corsRuleXML `xml:"CORSRule"`
}

// corsRuleXML is a CORSRule, its elements in the order of AWS's syntax.
// A MaxAgeSeconds that is not an integer fails to decode: MalformedXML.
type corsRuleXML struct {
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	ID             string   `xml:"ID,omitempty"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds"`
}

func (d *corsConfigurationXML) config() *cors.Config {
	cfg := &cors.Config{}
	for _, r := range d.Rules {
		cfg.Rules = append(cfg.Rules, cors.Rule{
			ID: r.ID, AllowedMethods: r.AllowedMethods, AllowedOrigins: r.AllowedOrigins,
			AllowedHeaders: r.AllowedHeaders, ExposeHeaders: r.ExposeHeaders, MaxAgeSeconds: r.MaxAgeSeconds,
		})
	}
	return cfg
}

func corsXML(cfg *cors.Config) corsConfigurationResponse {
	var out corsConfigurationResponse
	for _, r := range cfg.Rules {
		out.Rules = append(out.Rules, corsRuleXML{
			AllowedHeaders: r.AllowedHeaders, AllowedMethods: r.AllowedMethods, AllowedOrigins: r.AllowedOrigins,
			ExposeHeaders: r.ExposeHeaders, ID: r.ID, MaxAgeSeconds: r.MaxAgeSeconds,
		})
	}
	return out
}
