package mapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// MaxBodySize is the largest request body the MAPI reads (1 MiB).
const MaxBodySize = 1 << 20

// readBody reads the whole request body, refusing one over MaxBodySize.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Code: CodePayloadTooLarge,
			Message: fmt.Sprintf("The request body is larger than %d bytes.", MaxBodySize)}
	}
	if err != nil {
		return nil, invalid("the request body could not be read")
	}
	return body, nil
}

// decodeJSON decodes body, a single JSON object, into v. An empty body is
// {}; unknown fields are ignored (clients send extra ones). Malformed JSON,
// trailing data and a value of the wrong type are 400s naming the problem.
func decodeJSON(body []byte, v any) error {
	return decode(body, v, false)
}

// decodeStrictJSON is decodeJSON for the calls that delete or revoke
// something (user/revoke_credentials, user/delete, jobs/cancel,
// replication_target/delete, certificates/delete): there a field Quarry
// does not know is a 400 naming it. Ignoring it would carry out a wider
// request than the caller meant (revoke_credentials without its "id"
// revokes the caller's own keys).
func decodeStrictJSON(body []byte, v any) error {
	return decode(body, v, true)
}

// unknownFieldPrefix starts encoding/json's error for a field that
// DisallowUnknownFields refuses; the quoted name follows.
const unknownFieldPrefix = "json: unknown field "

func decode(body []byte, v any, strict bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), unknownFieldPrefix); ok {
			return invalid("unknown field %s: this call deletes or revokes, so it refuses fields it does not know", name)
		}
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("the request body must hold a single JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var fieldErr *fieldTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &fieldErr):
		return invalid("%s must be %s", fieldErr.field, fieldErr.want)
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return invalid("the request body must be a JSON object")
	case errors.As(err, &typeErr):
		return invalid("%s must be %s", typeErr.Field, kindName(typeErr.Type))
	case errors.As(err, &syntaxErr):
		return invalid("malformed JSON at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("malformed JSON: the body ends too early")
	}
	return invalid("malformed JSON")
}

// kindName says in words what JSON a Go type takes.
func kindName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int32:
		return "a 32-bit integer"
	case reflect.Int, reflect.Int64, reflect.Int8, reflect.Int16,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "of another type"
}

// fieldTypeError names a nested value of the wrong type that
// json.UnmarshalTypeError cannot name (a map's value).
type fieldTypeError struct{ field, want string }

func (e *fieldTypeError) Error() string { return e.field + " must be " + e.want }

// stringMap is a JSON object of strings (jobParams) whose decoding error
// names the offending key: "jobParams.dryRun must be a string".
type stringMap map[string]string

// stringMapField is the JSON name of the field a stringMap decodes:
// every stringMap in the MAPI is jobParams.
const stringMapField = "jobParams"

// UnmarshalJSON implements json.Unmarshaler.
func (m *stringMap) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return &fieldTypeError{field: stringMapField, want: "an object of strings"}
	}
	out := make(stringMap, len(raw))
	for k, v := range raw {
		var s string
		if bytes.HasPrefix(bytes.TrimSpace(v), []byte("null")) || json.Unmarshal(v, &s) != nil {
			return &fieldTypeError{field: stringMapField + "." + k, want: "a string"}
		}
		out[k] = s
	}
	*m = out
	return nil
}
