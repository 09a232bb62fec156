package meta

// PrefixUpperBound returns the smallest string that sorts (byte-wise) after
// every string starting with prefix, so that "key starts with prefix" can be
// asked of an index as the range key >= prefix AND key < bound instead of a
// LIKE, which databases cannot always serve from an index and which treats
// '%' and '_' in keys as wildcards.
//
// It increments the last byte that is not 0xFF and drops the 0xFF bytes
// after it. ok is false when no bound exists (an empty prefix, or one made
// only of 0xFF bytes): every key at or after prefix then matches.
func PrefixUpperBound(prefix string) (bound string, ok bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
