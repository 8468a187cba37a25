package ossemu

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// MaxKeyLen is the longest object key OSS accepts, in bytes.
const MaxKeyLen = 1023

// validKey reports why key is not a valid OSS object name, or "" when it is.
// Keys never become file paths (see keyFileName), so this only mirrors what
// OSS itself refuses.
func validKey(key string) string {
	switch {
	case key == "":
		return "The object name must not be empty."
	case len(key) > MaxKeyLen:
		return "The object name is longer than 1023 bytes."
	case !utf8.ValidString(key):
		return "The object name is not valid UTF-8."
	case strings.ContainsRune(key, 0):
		return "The object name contains a NUL character."
	case key[0] == '/' || key[0] == '\\':
		return "The object name must not start with '/' or '\\'."
	}
	return ""
}

// keyFileName maps a key to the base name of its metadata file: a hash, so
// no key (../, absolute paths, NUL, reserved device names, 1023 bytes) can
// reach outside the bucket directory or exceed file name limits.
func keyFileName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// validBucket reports whether name follows OSS bucket naming rules: 3-63
// characters of lower-case letters, digits and hyphens, not starting or
// ending with a hyphen. Bucket names do become directory names, so this also
// keeps them safe as paths.
func validBucket(name string) bool {
	if len(name) < 3 || len(name) > 63 || name[0] == '-' || name[len(name)-1] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
