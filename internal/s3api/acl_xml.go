package s3api

import (
	"encoding/xml"

	"github.com/quarrylabs/quarry/internal/acl"
)

// aclRequest is an AccessControlPolicy document as PutBucketAcl and
// PutObjectAcl receive it.
type aclRequest struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Owner   *struct {
		ID          string `xml:"ID"`
		DisplayName string `xml:"DisplayName"`
	} `xml:"Owner"`
	Grants []aclGrantRequest `xml:"AccessControlList>Grant"`
}

type aclGrantRequest struct {
	Grantee struct {
		// Attrs holds xsi:type, read by its local name: clients differ in
		// how (and whether) they declare the xsi prefix.
		Attrs        []xml.Attr `xml:",any,attr"`
		ID           string     `xml:"ID"`
		URI          string     `xml:"URI"`
		EmailAddress string     `xml:"EmailAddress"`
	} `xml:"Grantee"`
	Permission string `xml:"Permission"`
}

// grants returns the document's grants as package acl has them.
func (d *aclRequest) grants() []acl.Grant {
	out := make([]acl.Grant, 0, len(d.Grants))
	for _, g := range d.Grants {
		var typ string
		for _, a := range g.Grantee.Attrs {
			if a.Name.Local == "type" {
				typ = a.Value
			}
		}
		out = append(out, acl.Grant{
			Grantee: acl.Grantee{
				Type: acl.GranteeType(typ), ID: g.Grantee.ID, URI: g.Grantee.URI, Email: g.Grantee.EmailAddress,
			},
			Permission: acl.Permission(g.Permission),
		})
	}
	return out
}
