package job

import "fmt"

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
			if _, err := parseBool(k, v); err != nil {
				return nil, err
			}
		case ParamPrefix:
			// Any string is a prefix, the empty one included.
		default:
			own[k] = v
		}
	}
	return own, nil
}

// parseBool accepts exactly "true" and "false": the MAPI's spelling, so
// that "1" or "yes" is caught as a mistake rather than guessed at.
func parseBool(key, value string) (bool, error) {
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
	v, _ := parseBool(key, params[key])
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
