package job

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxPrefixLen is S3's limit on a key, and so on any prefix that can match
// one.
const maxPrefixLen = 1024

// Parameters every job type accepts (MAPI "jobParams by type", row "all").
const (
	ParamDryRun = "dryRun"
	ParamPrefix = "prefix"
)

// splitParams checks the parameters common to every type and returns the
// rest, which only the type's runner knows how to judge.
func splitParams(params map[string]string) (own map[string]string, err error) {
	own = make(map[string]string, len(params))
	for k, v := range params {
		switch k {
		case ParamDryRun:
			if _, err := ParseBool(k, v); err != nil {
				return nil, err
			}
		case ParamPrefix:
			if err := checkPrefix(v); err != nil {
				return nil, err
			}
		default:
			own[k] = v
		}
	}
	return own, nil
}

// ParseBool accepts exactly "true" and "false": the MAPI's spelling, so
// that "1" or "yes" is caught as a mistake rather than guessed at. The error
// wraps ErrInvalidParams and names key.
func ParseBool(key, value string) (bool, error) {
	switch value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%w: %s must be \"true\" or \"false\", not %q", ErrInvalidParams, key, value)
}

// BoolParam returns the boolean parameter key of params, false when absent.
// Create has validated the value, so a bad one also reads as false.
func BoolParam(params map[string]string, key string) bool {
	v, _ := ParseBool(key, params[key])
	return v
}

// UnknownParam is the error a Runner's Validate returns for a key it does
// not know, so that typos are caught at create time.
func UnknownParam(jobType, key string) error {
	return fmt.Errorf("%w: %s does not take the parameter %q", ErrInvalidParams, jobType, key)
}

// cloneParams copies params; nil becomes an empty map (MAPI: absent = {}).
func cloneParams(params map[string]string) map[string]string {
	out := make(map[string]string, len(params))
	for k, v := range params {
		out[k] = v
	}
	return out
}

// checkPrefix applies S3's key rules to a prefix (the empty one selects
// every key): at most 1024 bytes of UTF-8, no NUL. A prefix no key can
// have is a mistake worth reporting, not a job that finds nothing.
func checkPrefix(p string) error {
	switch {
	case len(p) > maxPrefixLen:
		return fmt.Errorf("%w: %s is %d bytes long; S3 keys, and so prefixes, are at most %d bytes", ErrInvalidParams, ParamPrefix, len(p), maxPrefixLen)
	case !utf8.ValidString(p):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidParams, ParamPrefix)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("%w: %s contains a NUL character, which no S3 key may hold", ErrInvalidParams, ParamPrefix)
	}
	return nil
}
