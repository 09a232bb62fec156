package s3api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/quarrylabs/quarry/internal/auth"
	"github.com/quarrylabs/quarry/internal/cors"
	"github.com/quarrylabs/quarry/internal/object"
)

// BucketCORS stores bucket CORS configurations and answers cross-origin
// requests from them (implemented by *cors.Service).
type BucketCORS interface {
	Put(ctx context.Context, p auth.Principal, bucket string, cfg *cors.Config) error
	// Get returns cors.ErrNoConfig when the bucket has none.
	Get(ctx context.Context, p auth.Principal, bucket string) (*cors.Config, error)
	Delete(ctx context.Context, p auth.Principal, bucket string) error
	// Lookup returns the configuration whoever asks: object.ErrNoSuchBucket
	// when the bucket does not exist, cors.ErrNoConfig when it has none.
	Lookup(ctx context.Context, bucket string) (*cors.Config, error)
}

// maxCORSBody is the largest CORS configuration AWS accepts (64 KB).
const maxCORSBody = 64 << 10

// corsVary is the Vary of every response whose Access-Control-* headers
// depend on the request's: caches must not serve it to another origin.
const corsVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

func (h *Handler) corsService() (BucketCORS, error) {
	if h.cfg.CORS == nil {
		return nil, errorf(codeNotImplemented, "Bucket CORS configuration is not enabled on this server.")
	}
	return h.cfg.CORS, nil
}

// putBucketCors is PutBucketCors. As with the lifecycle configuration, the
// caller's right to the bucket is checked before the document is read, and
// the document must come with Content-MD5 or an x-amz-checksum-* header.
func (h *Handler) putBucketCORS(w http.ResponseWriter, req *request) error {
	svc, err := h.corsService()
	if err != nil {
		return err
	}
	if _, err := h.cfg.Objects.HeadBucket(req.ctx(), req.principal, req.bucket); err != nil {
		return err
	}
	if !hasIntegrityHeader(req.r.Header) {
		return errorf(codeInvalidRequest, "Missing required header for this request: Content-MD5")
	}
	data, err := readSmallBody(req, maxCORSBody)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return errorf(codeMalformedXML, "")
	}
	var doc corsConfigurationXML
	if err := xmlUnmarshal(data, &doc); err != nil {
		return err
	}
	if err := svc.Put(req.ctx(), req.principal, req.bucket, doc.config()); err != nil {
		return corsError(req.bucket, err)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getBucketCORS(w http.ResponseWriter, req *request) error {
	svc, err := h.corsService()
	if err != nil {
		return err
	}
	cfg, err := svc.Get(req.ctx(), req.principal, req.bucket)
	if err != nil {
		return corsError(req.bucket, err)
	}
	return writeXML(w, corsXML(cfg))
}

func (h *Handler) deleteBucketCORS(w http.ResponseWriter, req *request) error {
	svc, err := h.corsService()
	if err != nil {
		return err
	}
	if err := svc.Delete(req.ctx(), req.principal, req.bucket); err != nil {
		return corsError(req.bucket, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// corsError gives the CORS service's errors their S3 codes; others
// (NoSuchBucket, AccessDenied) go through the table.
func corsError(bucket string, err error) error {
	var ve *cors.ValidationError
	switch {
	case errors.Is(err, cors.ErrNoConfig):
		return &apiError{code: codeNoSuchCORSConfiguration, cause: err}
	case errors.As(err, &ve):
		code := codeInvalidRequest
		switch {
		case errors.Is(ve, cors.ErrMalformed):
			code = codeMalformedXML
		case errors.Is(ve, cors.ErrInvalidArgument):
			code = codeInvalidArgument
		}
		return &apiError{code: code, message: ve.Message, cause: err}
	}
	return err
}

// preflight answers a CORS preflight (OPTIONS) request. It needs no
// credentials: a browser sends none. The order of the checks, and the
// Method and ResourceType the refusals carry, are S3's.
func (h *Handler) preflight(w http.ResponseWriter, req *request) error {
	hdr := req.r.Header
	origin := hdr.Get("Origin")
	if origin == "" {
		return errorf(codeBadRequest, "Insufficient information. Origin request header needed.")
	}
	method := hdr.Get("Access-Control-Request-Method")
	if h.fromConsole(req, origin) {
		return h.consolePreflight(w, req, origin, method)
	}
	named := method
	if named == "" {
		named = http.MethodOptions
	}
	forbidden := func(message, resourceType string) error {
		return &apiError{code: codeAccessForbidden, message: message,
			fields: []errorField{{"Method", named}, {"ResourceType", resourceType}}}
	}
	var cfg *cors.Config
	err := errors.New("no bucket")
	if req.bucket != "" && h.cfg.CORS != nil {
		cfg, err = h.cfg.CORS.Lookup(req.ctx(), req.bucket)
	}
	switch {
	case req.bucket == "" || errors.Is(err, object.ErrNoSuchBucket):
		return forbidden("CORSResponse: Bucket not found", "BUCKET")
	case h.cfg.CORS == nil || errors.Is(err, cors.ErrNoConfig):
		return forbidden("CORSResponse: CORS is not enabled for this bucket.", "BUCKET")
	case err != nil:
		return err
	}
	if !cors.IsMethod(method) {
		return errorf(codeBadRequest, "Invalid Access-Control-Request-Method: "+method)
	}
	headers, err := cors.ParseRequestHeaders(hdr.Get("Access-Control-Request-Headers"))
	if err != nil {
		return errorf(codeBadRequest, err.Error())
	}
	resourceType := "BUCKET"
	if req.key != "" {
		resourceType = "OBJECT"
	}
	allowed, ok := cfg.Preflight(origin, method, headers)
	if !ok {
		return forbidden("", resourceType)
	}
	setAllowanceHeaders(w.Header(), allowed)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// setCORSHeaders adds the Access-Control-* headers to the response of an
// actual request that carries an Origin, when a rule of the bucket allows
// its origin and method (Access-Control-Request-Method, when sent, names
// the method). They are set before the operation runs, so that an error
// response carries them too, as on S3: a browser shows the script the
// error instead of a network failure. Without a matching rule the response
// is the same as without an Origin.
func (h *Handler) setCORSHeaders(req *request, hdr http.Header) {
	origin := req.r.Header.Get("Origin")
	if h.fromConsole(req, origin) {
		setAllowanceHeaders(hdr, consoleAllowance(origin, nil))
		return
	}
	if origin == "" || req.bucket == "" || h.cfg.CORS == nil {
		return
	}
	cfg, err := h.cfg.CORS.Lookup(req.ctx(), req.bucket)
	if err != nil {
		if !errors.Is(err, cors.ErrNoConfig) && !errors.Is(err, object.ErrNoSuchBucket) {
			h.cfg.Logger.Warn("s3 CORS configuration unreadable", "request_id", req.id, "bucket", req.bucket, "err", err)
		}
		return
	}
	method := req.r.Header.Get("Access-Control-Request-Method")
	if method == "" {
		method = req.r.Method
	}
	if allowed, ok := cfg.Actual(origin, method); ok {
		setAllowanceHeaders(hdr, allowed)
	}
}

// setAllowanceHeaders sends what a matching rule allows.
func setAllowanceHeaders(hdr http.Header, a *cors.Allowance) {
	hdr.Set("Access-Control-Allow-Origin", a.Origin)
	if a.Credentials {
		hdr.Set("Access-Control-Allow-Credentials", "true")
	}
	hdr.Set("Access-Control-Allow-Methods", strings.Join(a.Methods, ", "))
	if len(a.Headers) > 0 {
		hdr.Set("Access-Control-Allow-Headers", strings.Join(a.Headers, ", "))
	}
	if len(a.Expose) > 0 {
		hdr.Set("Access-Control-Expose-Headers", strings.Join(a.Expose, ", "))
	}
	if a.MaxAge != nil {
		hdr.Set("Access-Control-Max-Age", strconv.Itoa(*a.MaxAge))
	}
	hdr.Set("Vary", corsVary)
}

// consoleMethods and consoleExpose are what the web console's pages may
// send and read: every method a presigned URL is made for, and the
// headers the console shows (an upload's ETag and version).
var (
	consoleMethods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}
	consoleExpose  = []string{"ETag", "x-amz-version-id", "x-amz-delete-marker", "x-amz-request-id",
		"x-amz-replication-status", "Content-Length", "Content-Type", "Last-Modified"}
	consoleMaxAge = 600
)

// fromConsole says whether a request carries the Origin of the web
// console. Such requests are answered as if every bucket had a rule
// allowing that origin: a browser sends S3 no ambient credentials (every
// request is signed by its URL or headers), so letting the console's
// scripts read the answers gives them nothing their signatures did not.
func (h *Handler) fromConsole(req *request, origin string) bool {
	return origin != "" && h.cfg.ConsoleOrigin != nil && h.cfg.ConsoleOrigin(origin, req.r.Host)
}

func consoleAllowance(origin string, headers []string) *cors.Allowance {
	return &cors.Allowance{Origin: origin, Methods: consoleMethods, Headers: headers,
		Expose: consoleExpose, MaxAge: &consoleMaxAge}
}

// consolePreflight answers the console's preflight: any of its methods,
// with the headers it asks for.
func (h *Handler) consolePreflight(w http.ResponseWriter, req *request, origin, method string) error {
	if !cors.IsMethod(method) {
		return errorf(codeBadRequest, "Invalid Access-Control-Request-Method: "+method)
	}
	headers, err := cors.ParseRequestHeaders(req.r.Header.Get("Access-Control-Request-Headers"))
	if err != nil {
		return errorf(codeBadRequest, err.Error())
	}
	for i, name := range headers {
		headers[i] = strings.ToLower(name) // as a bucket rule's allowance names them
	}
	setAllowanceHeaders(w.Header(), consoleAllowance(origin, headers))
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}
