package s3api

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"strings"
)

// responseRecorder remembers the status for Observe. It forwards ReadFrom
// so that io.Copy from a file still reaches sendfile.
type responseRecorder struct {
	http.ResponseWriter
	status int
	// observed, when set, is the status Observe reports instead of the
	// one written (StatusClientClosedRequest for a client abort).
	observed int
}

func (w *responseRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseRecorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *responseRecorder) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(struct{ io.Writer }{w.ResponseWriter}, src)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseRecorder) statusCode() int {
	if w.observed != 0 {
		return w.observed
	}
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// newRequestID returns 16 upper-case hex digits, as AWS request ids look.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// newHostID returns an opaque x-amz-id-2 value.
func newHostID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// writeXML sends a 200 response with an XML document.
func writeXML(w http.ResponseWriter, v any) error {
	return writeXMLStatus(w, http.StatusOK, v)
}

func writeXMLStatus(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// writeError sends err as an S3 error response, and logs it once, as the
// MAPI logs its own with the same field names: a refused request (4xx) at
// info, an internal failure at error with its cause (the client only sees
// the generic message). A client that went away is no server failure: it
// is logged at info and observed as StatusClientClosedRequest. Nothing
// secret is logged: no signature, no Authorization header, no query.
func (h *Handler) writeError(w *responseRecorder, req *request, err error) {
	ae, aborted := connectionOutcome(req, toAPIError(err))
	status := ae.status()
	attrs := []any{"request_id", req.id, "op", req.op, "method", req.r.Method, "bucket", req.bucket, "key", req.key,
		"status", status, "code", string(ae.code), "user", req.principal.Username,
		"access_key", claimedAccessKey(req.r), "address", peerHost(req.r)}
	switch {
	case aborted:
		h.cfg.Logger.Info("s3 request aborted by the client", append(attrs, "err", err)...)
		if w.status == 0 {
			w.observed = StatusClientClosedRequest
		}
	case ae.code == codeInternalError:
		h.cfg.Logger.Error("s3 request failed", append(attrs, "err", err)...)
	case ae.code == codeRequestTimeout:
		h.cfg.Logger.Info("s3 request abandoned by client", append(attrs, "err", err)...)
	case status >= http.StatusBadRequest:
		h.cfg.Logger.Info("s3 request refused", append(attrs, "message", ae.messageText(), "err", err)...)
	default:
		// 304 Not Modified and the like: answers, not refusals.
		h.cfg.Logger.Debug("s3 request answered without a body", append(attrs, "err", err)...)
	}
	if w.status != 0 {
		// The response has started (a streamed body failed): nothing can be
		// sent any more; the logged error is all there is.
		return
	}
	hdr := w.Header()
	for name, values := range ae.header {
		hdr[name] = values
	}
	if req.r.Method == http.MethodHead || status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	hdr.Set("Content-Type", "application/xml")
	hdr.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(errorBody(ae, req))
}

// claimedAccessKey is the access key a request says it is signed with
// (from its Authorization header or presigned query), whether or not the
// signature holds: an access key id is no secret, and it names who was
// refused. Nothing else of the credential is read.
func claimedAccessKey(r *http.Request) string {
	cred := ""
	if h := r.Header.Get("Authorization"); h != "" {
		if _, rest, ok := strings.Cut(h, "Credential="); ok {
			cred = rest
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	key, _, ok := strings.Cut(cred, "/")
	if !ok || len(key) > maxLoggedAccessKey {
		return ""
	}
	return key
}

// peerHost is the address of the connection's peer, without its port.
func peerHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// maxLoggedAccessKey is the longest access key Quarry accepts.
const maxLoggedAccessKey = 128

// errorBody renders <Error> with the extra elements AWS adds.
func errorBody(ae *apiError, req *request) []byte {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: "Error"}}
	elem := func(name, value string) {
		_ = enc.EncodeElement(value, xml.StartElement{Name: xml.Name{Local: name}})
	}
	_ = enc.EncodeToken(start)
	elem("Code", string(ae.code))
	elem("Message", ae.messageText())
	for _, f := range ae.fields {
		elem(f.name, f.value)
	}
	if req.bucket != "" && hasBucketField(ae.code) {
		elem("BucketName", req.bucket)
	}
	if req.key != "" && hasKeyField(ae.code) {
		elem("Key", req.key)
	}
	elem("Resource", req.r.URL.Path)
	elem("RequestId", req.id)
	elem("HostId", "")
	_ = enc.EncodeToken(start.End())
	_ = enc.Flush()
	return buf.Bytes()
}

func hasBucketField(c errorCode) bool {
	switch c {
	case codeNoSuchBucket, codeBucketNotEmpty, codeBucketAlreadyExists,
		codeBucketAlreadyOwnedByYou, codeInvalidBucketName, codeNoSuchTagSet, codeNoSuchCORSConfiguration,
		codeSSEConfigurationNotFound:
		return true
	}
	return false
}

func hasKeyField(c errorCode) bool {
	switch c {
	case codeNoSuchKey, codeKeyTooLong:
		return true
	}
	return false
}
