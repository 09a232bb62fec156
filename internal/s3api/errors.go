package s3api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/quarrylabs/quarry/internal/blob"
	"github.com/quarrylabs/quarry/internal/object"
	"github.com/quarrylabs/quarry/internal/s3api/postpolicy"
	"github.com/quarrylabs/quarry/internal/s3api/sigv2"
	"github.com/quarrylabs/quarry/internal/s3api/sigv4"
)

// errorCode is an S3 error code, the <Code> of an error response.
type errorCode string

// The S3 error codes Quarry answers with.
const (
	codeAccessDenied                     errorCode = "AccessDenied"
	codeAccessForbidden                  errorCode = "AccessForbidden"
	codeAuthorizationHeaderMalformed     errorCode = "AuthorizationHeaderMalformed"
	codeAuthorizationQueryParams         errorCode = "AuthorizationQueryParametersError"
	codeBadDigest                        errorCode = "BadDigest"
	codeBadRequest                       errorCode = "BadRequest"
	codeBucketAlreadyExists              errorCode = "BucketAlreadyExists"
	codeBucketAlreadyOwnedByYou          errorCode = "BucketAlreadyOwnedByYou"
	codeBucketNotEmpty                   errorCode = "BucketNotEmpty"
	codeConditionalRequestConflict       errorCode = "ConditionalRequestConflict"
	codeEntityTooLarge                   errorCode = "EntityTooLarge"
	codeEntityTooSmall                   errorCode = "EntityTooSmall"
	codeIllegalLocationConstraint        errorCode = "IllegalLocationConstraintException"
	codeIncompleteBody                   errorCode = "IncompleteBody"
	codeInternalError                    errorCode = "InternalError"
	codeInvalidAccessKeyID               errorCode = "InvalidAccessKeyId"
	codeInvalidArgument                  errorCode = "InvalidArgument"
	codeInvalidBucketState               errorCode = "InvalidBucketState"
	codeInvalidBucketName                errorCode = "InvalidBucketName"
	codeInvalidDigest                    errorCode = "InvalidDigest"
	codeInvalidPart                      errorCode = "InvalidPart"
	codeInvalidPartNumber                errorCode = "InvalidPartNumber"
	codeInvalidPartOrder                 errorCode = "InvalidPartOrder"
	codeInvalidPolicyDocument            errorCode = "InvalidPolicyDocument"
	codeInvalidRange                     errorCode = "InvalidRange"
	codeInvalidRequest                   errorCode = "InvalidRequest"
	codeInvalidStorageClass              errorCode = "InvalidStorageClass"
	codeInvalidTag                       errorCode = "InvalidTag"
	codeKeyTooLong                       errorCode = "KeyTooLongError"
	codeMalformedACL                     errorCode = "MalformedACLError"
	codeMalformedPOSTRequest             errorCode = "MalformedPOSTRequest"
	codeMalformedTrailer                 errorCode = "MalformedTrailerError"
	codeMalformedXML                     errorCode = "MalformedXML"
	codeMaxPostPreDataLengthExceeded     errorCode = "MaxPostPreDataLengthExceededError"
	codeMetadataTooLarge                 errorCode = "MetadataTooLarge"
	codeMethodNotAllowed                 errorCode = "MethodNotAllowed"
	codeMissingContentLength             errorCode = "MissingContentLength"
	codeMissingSecurityHeader            errorCode = "MissingSecurityHeader"
	codeNoSuchBucket                     errorCode = "NoSuchBucket"
	codeNoSuchCORSConfiguration          errorCode = "NoSuchCORSConfiguration"
	codeNoSuchKey                        errorCode = "NoSuchKey"
	codeNoSuchLifecycleConfiguration     errorCode = "NoSuchLifecycleConfiguration"
	codeNoSuchTagSet                     errorCode = "NoSuchTagSet"
	codeNoSuchUpload                     errorCode = "NoSuchUpload"
	codeNoSuchVersion                    errorCode = "NoSuchVersion"
	codeNotImplemented                   errorCode = "NotImplemented"
	codeNotModified                      errorCode = "NotModified"
	codePreconditionFailed               errorCode = "PreconditionFailed"
	codeReplicationConfigurationNotFound errorCode = "ReplicationConfigurationNotFoundError"
	codeRequestTimeTooSkewed             errorCode = "RequestTimeTooSkewed"
	codeSSEConfigurationNotFound         errorCode = "ServerSideEncryptionConfigurationNotFoundError"
	codeRequestTimeout                   errorCode = "RequestTimeout"
	codeServiceUnavailable               errorCode = "ServiceUnavailable"
	codeSignatureDoesNotMatch            errorCode = "SignatureDoesNotMatch"
	codeUnexpectedContent                errorCode = "UnexpectedContent"
	codeUserKeyMustBeSpecified           errorCode = "UserKeyMustBeSpecified"
	codeXAmzContentSHA256Mismatch        errorCode = "XAmzContentSHA256Mismatch"
)

// errorSpec is the HTTP status and default message of an error code.
type errorSpec struct {
	status  int
	message string
}

// errorSpecs is the one table of S3 error codes: every error response takes
// its status and default message from here. It is never written to.
var errorSpecs = map[errorCode]errorSpec{
	codeAccessDenied:                     {http.StatusForbidden, "Access Denied"},
	codeAccessForbidden:                  {http.StatusForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."},
	codeAuthorizationHeaderMalformed:     {http.StatusBadRequest, "The authorization header is malformed."},
	codeAuthorizationQueryParams:         {http.StatusBadRequest, "The authorization query parameters are malformed."},
	codeBadDigest:                        {http.StatusBadRequest, "The Content-MD5 or checksum you specified did not match what we received."},
	codeBadRequest:                       {http.StatusBadRequest, "Bad Request"},
	codeBucketAlreadyExists:              {http.StatusConflict, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."},
	codeBucketAlreadyOwnedByYou:          {http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it."},
	codeBucketNotEmpty:                   {http.StatusConflict, "The bucket you tried to delete is not empty"},
	codeConditionalRequestConflict:       {http.StatusConflict, "A conflicting operation occurred. If using PutObject you can retry the request. If using multipart upload you should initiate another CreateMultipartUpload request and re-upload each part."},
	codeEntityTooLarge:                   {http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size."},
	codeEntityTooSmall:                   {http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size."},
	codeIllegalLocationConstraint:        {http.StatusBadRequest, "The specified location-constraint is not valid for this endpoint."},
	codeIncompleteBody:                   {http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header."},
	codeInternalError:                    {http.StatusInternalServerError, "We encountered an internal error. Please try again."},
	codeInvalidAccessKeyID:               {http.StatusForbidden, "The AWS Access Key Id you provided does not exist in our records."},
	codeInvalidArgument:                  {http.StatusBadRequest, "Invalid Argument"},
	codeInvalidBucketState:               {http.StatusConflict, "The request is not valid with the current state of the bucket."},
	codeInvalidBucketName:                {http.StatusBadRequest, "The specified bucket is not valid."},
	codeInvalidDigest:                    {http.StatusBadRequest, "The Content-MD5 or checksum you specified is not valid."},
	codeInvalidPart:                      {http.StatusBadRequest, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."},
	codeInvalidPartNumber:                {http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable"},
	codeInvalidPartOrder:                 {http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number."},
	codeInvalidPolicyDocument:            {http.StatusBadRequest, "The content of the form does not meet the conditions specified in the policy document."},
	codeInvalidRange:                     {http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable"},
	codeInvalidRequest:                   {http.StatusBadRequest, "Invalid Request"},
	codeInvalidStorageClass:              {http.StatusBadRequest, "The storage class you specified is not valid"},
	codeInvalidTag:                       {http.StatusBadRequest, "The tag provided was not a valid tag."},
	codeKeyTooLong:                       {http.StatusBadRequest, "Your key is too long"},
	codeMalformedACL:                     {http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema"},
	codeMalformedPOSTRequest:             {http.StatusBadRequest, "The body of your POST request is not well-formed multipart/form-data."},
	codeMalformedTrailer:                 {http.StatusBadRequest, "The request contained trailing data that was not well-formed or did not conform to our published schema."},
	codeMalformedXML:                     {http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema"},
	codeMaxPostPreDataLengthExceeded:     {http.StatusBadRequest, "Your POST request fields preceding the upload file were too large."},
	codeMetadataTooLarge:                 {http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size."},
	codeMethodNotAllowed:                 {http.StatusMethodNotAllowed, "The specified method is not allowed against this resource."},
	codeMissingContentLength:             {http.StatusLengthRequired, "You must provide the Content-Length HTTP header."},
	codeMissingSecurityHeader:            {http.StatusBadRequest, "Your request was missing a required header."},
	codeNoSuchBucket:                     {http.StatusNotFound, "The specified bucket does not exist"},
	codeNoSuchCORSConfiguration:          {http.StatusNotFound, "The CORS configuration does not exist"},
	codeNoSuchKey:                        {http.StatusNotFound, "The specified key does not exist."},
	codeNoSuchLifecycleConfiguration:     {http.StatusNotFound, "The lifecycle configuration does not exist"},
	codeNoSuchTagSet:                     {http.StatusNotFound, "The TagSet does not exist"},
	codeNoSuchUpload:                     {http.StatusNotFound, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."},
	codeNoSuchVersion:                    {http.StatusNotFound, "The specified version does not exist."},
	codeNotImplemented:                   {http.StatusNotImplemented, "A header or query you provided implies functionality that is not implemented."},
	codeNotModified:                      {http.StatusNotModified, "Not Modified"},
	codePreconditionFailed:               {http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold"},
	codeReplicationConfigurationNotFound: {http.StatusNotFound, "The replication configuration was not found"},
	codeRequestTimeTooSkewed:             {http.StatusForbidden, "The difference between the request time and the server's time is too large."},
	codeSSEConfigurationNotFound:         {http.StatusNotFound, "The server side encryption configuration was not found"},
	codeRequestTimeout:                   {http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period."},
	codeServiceUnavailable:               {http.StatusServiceUnavailable, "The service is unable to handle the request: its storage is paused or read-only."},
	codeSignatureDoesNotMatch:            {http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method."},
	codeUnexpectedContent:                {http.StatusBadRequest, "This request does not support content."},
	codeUserKeyMustBeSpecified:           {http.StatusBadRequest, "The bucket POST must contain the specified field name. If it is specified, please check the order of the fields."},
	codeXAmzContentSHA256Mismatch:        {http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed."},
}

// sentinelCodes maps the errors of the object service, the signature
// verifiers and the POST policy checks to S3 codes, checked in order with errors.Is. Wrapping errors
// (a body read failing inside a PUT) keep their cause, so the first match
// of the most specific cause wins.
var sentinelCodes = []struct {
	err  error
	code errorCode
}{
	{sigv4.ErrAccessDenied, codeAccessDenied},
	{sigv4.ErrInvalidAccessKeyID, codeInvalidAccessKeyID},
	{sigv4.ErrSignatureDoesNotMatch, codeSignatureDoesNotMatch},
	{sigv4.ErrAuthorizationHeaderMalformed, codeAuthorizationHeaderMalformed},
	{sigv4.ErrAuthorizationQueryParamsError, codeAuthorizationQueryParams},
	{sigv4.ErrRequestTimeTooSkewed, codeRequestTimeTooSkewed},
	{sigv4.ErrXAmzContentSHA256Mismatch, codeXAmzContentSHA256Mismatch},
	{sigv4.ErrInvalidDigest, codeInvalidDigest},
	{sigv4.ErrIncompleteBody, codeIncompleteBody},
	{sigv4.ErrMissingSecurityHeader, codeMissingSecurityHeader},
	{sigv4.ErrMissingContentLength, codeMissingContentLength},
	{sigv4.ErrUnsupportedAlgorithm, codeNotImplemented},
	{sigv2.ErrAccessDenied, codeAccessDenied},
	{sigv2.ErrInvalidAccessKeyID, codeInvalidAccessKeyID},
	{sigv2.ErrSignatureDoesNotMatch, codeSignatureDoesNotMatch},
	{sigv2.ErrRequestTimeTooSkewed, codeRequestTimeTooSkewed},
	{sigv2.ErrInvalidArgument, codeInvalidArgument},
	{sigv2.ErrInvalidRequest, codeInvalidRequest},
	{postpolicy.ErrInvalidPolicyDocument, codeInvalidPolicyDocument},
	{postpolicy.ErrAccessDenied, codeAccessDenied},
	{object.ErrNoSuchBucket, codeNoSuchBucket},
	{object.ErrNoSuchKey, codeNoSuchKey},
	{object.ErrNoSuchVersion, codeNoSuchVersion},
	{object.ErrNoSuchUpload, codeNoSuchUpload},
	{object.ErrNoSuchTagSet, codeNoSuchTagSet},
	{object.ErrBucketNotEmpty, codeBucketNotEmpty},
	{object.ErrBucketAlreadyOwnedByYou, codeBucketAlreadyOwnedByYou},
	{object.ErrBucketAlreadyExists, codeBucketAlreadyExists},
	{object.ErrInvalidBucketName, codeInvalidBucketName},
	{object.ErrKeyTooLong, codeKeyTooLong},
	{object.ErrInvalidKey, codeInvalidArgument},
	{object.ErrAccessDenied, codeAccessDenied},
	{object.ErrPreconditionFailed, codePreconditionFailed},
	{object.ErrNotModified, codeNotModified},
	{object.ErrInvalidRange, codeInvalidRange},
	{object.ErrEntityTooSmall, codeEntityTooSmall},
	{object.ErrEntityTooLarge, codeEntityTooLarge},
	{object.ErrInvalidPart, codeInvalidPart},
	{object.ErrInvalidPartOrder, codeInvalidPartOrder},
	{object.ErrBadDigest, codeBadDigest},
	{object.ErrIncompleteBody, codeIncompleteBody},
	{object.ErrMethodNotAllowed, codeMethodNotAllowed},
	{object.ErrInvalidArgument, codeInvalidArgument},
	{object.ErrInvalidRequest, codeInvalidRequest},
	{object.ErrInvalidTag, codeInvalidTag},
	{object.ErrMalformedXML, codeMalformedXML},
	{object.ErrInvalidStorageClass, codeInvalidStorageClass},
	{object.ErrInvalidBucketState, codeInvalidBucketState},
	{object.ErrNoSuchEncryptionConfig, codeSSEConfigurationNotFound},
	{object.ErrNotImplemented, codeNotImplemented},
	{blob.ErrUnavailable, codeServiceUnavailable},
	{object.ErrConditionalRequestConflict, codeConditionalRequestConflict},
	{object.ErrMalformedTrailer, codeMalformedTrailer},
	{io.ErrUnexpectedEOF, codeIncompleteBody},
	{context.Canceled, codeRequestTimeout},
	{context.DeadlineExceeded, codeRequestTimeout},
}

// apiError is an error that knows the S3 response it becomes.
type apiError struct {
	code    errorCode
	message string // empty: the table's default
	// header holds response headers the error adds (x-amz-delete-marker).
	header http.Header
	// fields are extra elements of the <Error> body, in order.
	fields []errorField
	// cause is the underlying error, for logs only.
	cause error
}

type errorField struct{ name, value string }

func (e *apiError) Error() string {
	msg := string(e.code) + ": " + e.messageText()
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

func (e *apiError) Unwrap() error { return e.cause }

func (e *apiError) status() int {
	if spec, ok := errorSpecs[e.code]; ok {
		return spec.status
	}
	return http.StatusInternalServerError
}

func (e *apiError) messageText() string {
	if e.message != "" {
		return e.message
	}
	return errorSpecs[e.code].message
}

// errorf returns an S3 error with a specific message.
func errorf(code errorCode, message string) *apiError {
	return &apiError{code: code, message: message}
}

// argumentError is InvalidArgument naming the argument and its value, as
// S3 does for a bad request parameter.
func argumentError(message, name, value string) *apiError {
	ae := errorf(codeInvalidArgument, message)
	ae.fields = []errorField{{"ArgumentName", name}, {"ArgumentValue", value}}
	return ae
}

// toAPIError turns any error into the S3 error it means. Errors the table
// does not know become InternalError with the generic message; their text
// is never shown to the client.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	for _, s := range sentinelCodes {
		if errors.Is(err, s.err) {
			ae := &apiError{code: s.code, message: sigv4Message(err, s.code), cause: err}
			// As AWS does, a scope for the wrong region names the right
			// one: s3cmd and the SDKs read <Region> and sign again for it.
			var wrong *sigv4.WrongRegionError
			if errors.As(err, &wrong) {
				ae.fields = append(ae.fields, errorField{"Region", wrong.Want})
			}
			addPresignFields(ae, err)
			// The SigV2 and POST policy refusals carry AWS's message.
			var v2 *sigv2.Error
			if errors.As(err, &v2) {
				ae.message = v2.Message
			}
			var pe *postpolicy.Error
			if errors.As(err, &pe) {
				ae.message = pe.Message
			}
			// So do the object service's refusals that carry S3's words.
			var me *object.MessageError
			if errors.As(err, &me) {
				ae.message = me.Message
			}
			// A SigV2 mismatch shows the string the server signed, as
			// AWS's does, so that a client can see how it differs.
			var mismatch *sigv2.MismatchError
			if errors.As(err, &mismatch) {
				ae.fields = append(ae.fields,
					errorField{"AWSAccessKeyId", mismatch.AccessKey},
					errorField{"StringToSign", mismatch.StringToSign},
					errorField{"SignatureProvided", mismatch.SignatureProvided},
					errorField{"StringToSignBytes", mismatch.StringToSignBytes()})
			}
			return ae
		}
	}
	return &apiError{code: codeInternalError, cause: err}
}

// addPresignFields says what S3 says about a presigned URL's lifetime: the
// message for an X-Amz-Expires it refuses, and for an expired URL the
// lifetime, the expiry and the server's time.
func addPresignFields(ae *apiError, err error) {
	var bad *sigv4.ExpiresError
	if errors.As(err, &bad) {
		ae.message = bad.Message
	}
	var expired *sigv4.ExpiredError
	if errors.As(err, &expired) {
		ae.message = "Request has expired"
		ae.fields = append(ae.fields,
			errorField{"X-Amz-Expires", strconv.FormatInt(int64(expired.Lifetime/time.Second), 10)},
			errorField{"Expires", expired.Expired.UTC().Format(iso8601Seconds)},
			errorField{"ServerTime", expired.Now.UTC().Format(iso8601Seconds)})
	}
}

// iso8601Seconds is how S3 writes times in error bodies.
const iso8601Seconds = "2006-01-02T15:04:05Z"

// sigv4Message keeps the verifier's explanation where AWS gives one that
// helps a client (expired presigned URLs, wrong region); other messages are
// the table's defaults.
func sigv4Message(err error, code errorCode) string {
	text := err.Error()
	switch code {
	case codeAccessDenied:
		switch {
		case strings.Contains(text, "expired"):
			return "Request has expired"
		case strings.Contains(text, "not valid yet"), strings.Contains(text, "not yet valid"):
			return "Request is not valid yet"
		}
	case codeAuthorizationHeaderMalformed, codeAuthorizationQueryParams:
		if i := strings.Index(text, "the region"); i >= 0 {
			return "The authorization header is malformed; " + text[i:]
		}
	}
	return ""
}
