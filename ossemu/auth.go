package ossemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxSkew is how far a request's Date may be from the server clock.
const maxSkew = 15 * time.Minute

// signedParams are the query parameters a V1 signature covers (the SDK's
// signKeyList); others, such as prefix or max-keys, are not signed.
var signedParams = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range []string{"acl", "uploads", "location", "cors",
		"logging", "website", "referer", "lifecycle",
		"delete", "append", "tagging", "objectMeta",
		"uploadId", "partNumber", "security-token",
		"position", "img", "style", "styleName",
		"replication", "replicationProgress",
		"replicationLocation", "cname", "bucketInfo",
		"comp", "qos", "live", "status", "vod",
		"startTime", "endTime", "symlink",
		"x-oss-process", "response-content-type", "x-oss-traffic-limit",
		"response-content-language", "response-expires",
		"response-cache-control", "response-content-disposition",
		"response-content-encoding", "udf", "udfName", "udfImage",
		"udfId", "udfImageDesc", "udfApplication",
		"udfApplicationLog", "restore", "callback", "callback-var", "qosInfo",
		"policy", "stat", "encryption", "versions", "versioning", "versionId", "requestPayment",
		"x-oss-request-payer", "sequential",
		"inventory", "inventoryId", "continuation-token", "asyncFetch",
		"worm", "wormId", "wormExtend", "withHashContext",
		"x-oss-enable-md5", "x-oss-enable-sha1", "x-oss-enable-sha256",
		"x-oss-hash-ctx", "x-oss-md5-ctx", "transferAcceleration",
		"regionList", "cloudboxes", "x-oss-ac-source-ip", "x-oss-ac-subnet-mask", "x-oss-ac-vpc-id", "x-oss-ac-forward-allow",
		"metaQuery", "resourceGroup", "rtc", "x-oss-async-process", "responseHeader"} {
		m[k] = true
	}
	return m
}()

// queryPair is one query parameter, decoded, in request order.
type queryPair struct{ k, v string }

// parseQuery splits a raw query without merging duplicates; it is lenient
// (bad escapes are kept verbatim) because the signature check decides.
func parseQuery(raw string) []queryPair {
	var out []queryPair
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, queryPair{k, v})
	}
	return out
}

// authInfo is the parsed Authorization header.
type authInfo struct {
	version   int // 1 or 4
	keyID     string
	signature string
	// V4 only
	day, region, product string
	additional           []string
}

// parseAuthorization parses a V1 ("OSS id:sig") or V4 ("OSS4-HMAC-SHA256
// Credential=…,Signature=…") header.
func parseAuthorization(h string) (authInfo, *ossError) {
	switch {
	case strings.HasPrefix(h, "OSS "):
		id, sig, ok := strings.Cut(strings.TrimPrefix(h, "OSS "), ":")
		if !ok || id == "" || sig == "" {
			return authInfo{}, errf(http.StatusBadRequest, "InvalidArgument", "Authorization header is invalid.")
		}
		return authInfo{version: 1, keyID: id, signature: sig}, nil
	case strings.HasPrefix(h, "OSS4-HMAC-SHA256 "):
		a := authInfo{version: 4}
		for _, f := range strings.Split(strings.TrimPrefix(h, "OSS4-HMAC-SHA256 "), ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			switch k {
			case "Credential":
				parts := strings.Split(v, "/")
				if len(parts) != 5 || parts[4] != "aliyun_v4_request" || parts[0] == "" {
					return authInfo{}, errf(http.StatusBadRequest, "InvalidArgument", "Authorization header Credential is invalid.")
				}
				a.keyID, a.day, a.region, a.product = parts[0], parts[1], parts[2], parts[3]
			case "AdditionalHeaders":
				if v != "" {
					a.additional = strings.Split(strings.ToLower(v), ";")
				}
			case "Signature":
				a.signature = v
			}
		}
		if a.keyID == "" || a.signature == "" {
			return authInfo{}, errf(http.StatusBadRequest, "InvalidArgument", "Authorization header is invalid.")
		}
		return a, nil
	case strings.HasPrefix(h, "OSS2 "):
		return authInfo{}, errf(http.StatusBadRequest, "InvalidArgument", "Signature version 2 is not supported by this server; use V1 or V4.")
	}
	return authInfo{}, errf(http.StatusBadRequest, "InvalidArgument", "Authorization header is invalid.")
}

// stringToSignV1 rebuilds what a V1 client signed.
// date fills the Date line: the Date header, x-oss-date, or a presigned
// URL's Expires.
func stringToSignV1(r *http.Request, date, bucket, key string, q []queryPair) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n" + r.Header.Get("Content-Md5") + "\n" + r.Header.Get("Content-Type") + "\n" + date + "\n")
	writeOSSHeaders(&b, r.Header, false, nil)
	b.WriteString("/")
	if bucket != "" {
		b.WriteString(bucket + "/" + key)
	}
	var sub []queryPair
	seen := map[string]bool{}
	for _, p := range q {
		// the SDKs also sign every x-oss-* parameter they send
		if (signedParams[p.k] || strings.HasPrefix(p.k, "x-oss-")) && !seen[p.k] {
			seen[p.k] = true
			sub = append(sub, p)
		}
	}
	sort.Slice(sub, func(i, j int) bool { return sub[i].k < sub[j].k })
	for i, p := range sub {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		if p.v != "" {
			b.WriteString("=" + p.v)
		}
	}
	return b.String()
}

// writeOSSHeaders writes the canonical header block: every x-oss-* header
// (plus, for V4, content-type, content-md5 and the additional headers) as
// "name:value\n", sorted, first value only, as the SDK signs them.
func writeOSSHeaders(b *strings.Builder, h http.Header, v4 bool, additional []string) {
	m := map[string]string{}
	extra := map[string]bool{}
	for _, a := range additional {
		extra[a] = true
	}
	if extra["host"] {
		// net/http moves Host out of the header map; the caller puts it back
		// under this key.
		if v := h.Get(hostHeaderKey); v != "" {
			m["host"] = strings.Trim(v, " ")
		}
	}
	for k, vs := range h {
		if len(vs) == 0 || k == hostHeaderKey || !v4 && !hasPrefixFold(k, "x-oss-") {
			continue // V1 signs x-oss-* only: no need to lower-case the rest
		}
		lk := strings.ToLower(k)
		switch {
		case strings.HasPrefix(lk, "x-oss-"):
		case v4 && (lk == "content-type" || lk == "content-md5" || extra[lk]):
		default:
			continue
		}
		v := vs[0]
		if v4 {
			v = strings.Trim(v, " ")
		}
		m[lk] = v
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k + ":" + m[k] + "\n")
	}
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func v4Escape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// hostHeaderKey carries r.Host into writeOSSHeaders for V4 signatures that
// list "host" among their additional headers.
const hostHeaderKey = "\x00host"

// canonicalRequestV4 rebuilds the V4 canonical request.
func canonicalRequestV4(r *http.Request, bucket, key string, q []queryPair, additional []string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n/")
	if bucket != "" {
		b.WriteString(bucket + "/")
		if key != "" {
			b.WriteString(strings.ReplaceAll(v4Escape(key), "%2F", "/"))
		}
	}
	b.WriteString("\n")
	type ep struct{ k, v string }
	params := make([]ep, 0, len(q))
	seen := map[string]bool{}
	for _, p := range q {
		k := url.QueryEscape(p.k)
		if seen[k] {
			continue
		}
		seen[k] = true
		params = append(params, ep{k, v4Escape(p.v)})
	}
	sort.Slice(params, func(i, j int) bool { return params[i].k < params[j].k })
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		if p.v != "" {
			b.WriteString("=" + p.v)
		}
	}
	b.WriteString("\n")
	hdr := r.Header
	for _, a := range additional {
		if a == "host" {
			hdr = r.Header.Clone()
			hdr[hostHeaderKey] = []string{r.Host}
		}
	}
	writeOSSHeaders(&b, hdr, true, additional)
	b.WriteString("\n" + strings.Join(additional, ";") + "\n")
	payload := r.Header.Get("X-Oss-Content-Sha256")
	if payload == "" {
		payload = "UNSIGNED-PAYLOAD"
	}
	b.WriteString(payload)
	return b.String()
}

func hmacSHA256(key []byte, s string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

func signV1(secret, stringToSign string) string {
	// a keyed HMAC is reused: keying one hashes two blocks and allocates
	m, _ := v1MACs.Get().(*v1MAC)
	if m == nil || m.secret != secret {
		m = &v1MAC{secret: secret, h: hmac.New(sha1.New, []byte(secret))}
	} else {
		m.h.Reset()
	}
	io.WriteString(m.h, stringToSign)
	var sum [sha1.Size]byte
	sig := base64.StdEncoding.EncodeToString(m.h.Sum(sum[:0]))
	v1MACs.Put(m)
	return sig
}

// v1MACs holds HMAC-SHA1s keyed with the secret they were made for.
var v1MACs sync.Pool

type v1MAC struct {
	secret string
	h      hash.Hash
}

func signV4(secret, day, region, product, stringToSign string) string {
	k := hmacSHA256([]byte("aliyun_v4"+secret), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, product)
	k = hmacSHA256(k, "aliyun_v4_request")
	return hex.EncodeToString(hmacSHA256(k, stringToSign))
}

// authenticate checks the request's signature (Authorization header, or a
// V1/V4 presigned URL), its date and the security token.
func (s *Server) authenticate(r *http.Request, bucket, key string, q []queryPair) *ossError {
	ah := r.Header.Get("Authorization")
	if ah == "" {
		if hasParam(q, "Signature") || hasParam(q, "OSSAccessKeyId") {
			return s.authQueryV1(r, bucket, key, q)
		}
		if hasParam(q, "x-oss-signature") || hasParam(q, "x-oss-credential") {
			return s.authQueryV4(r, bucket, key, q)
		}
		return errf(http.StatusForbidden, "AccessDenied", "You have no right to access this resource: the request is not signed.")
	}
	a, perr := parseAuthorization(ah)
	if perr != nil {
		return perr
	}
	id, secret, _, _ := s.credentials()
	if a.keyID != id {
		return errInvalidKeyID(a.keyID)
	}

	// OSS takes the request time from x-oss-date when present, else Date:
	// clients that cannot set Date (browsers, ali-oss) send only x-oss-date.
	httpDate := r.Header.Get("Date")
	dateStr := httpDate
	if d := r.Header.Get("X-Oss-Date"); d != "" {
		dateStr = d
	}
	if dateStr == "" {
		return errf(http.StatusForbidden, "AccessDenied", "The request has neither a Date nor an x-oss-date header.")
	}
	t, err := http.ParseTime(dateStr)
	if err != nil {
		t, err = time.Parse(v4TimeFormat, dateStr)
	}
	if err != nil {
		return errf(http.StatusForbidden, "AccessDenied", "The Date header is not a valid HTTP date.")
	}
	now := s.now()
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return errf(http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.").
			with("RequestTime", dateStr).with("ServerTime", now.UTC().Format(time.RFC3339))
	}

	switch a.version {
	case 1:
		// The Date line holds the Date header or, without one, x-oss-date;
		// ali-oss signs x-oss-date there even when it also sends Date.
		line := httpDate
		if line == "" {
			line = dateStr
		}
		sts := stringToSignV1(r, line, bucket, key, q)
		ok := hmac.Equal([]byte(signV1(secret, sts)), []byte(a.signature))
		if !ok && line != dateStr {
			alt := stringToSignV1(r, dateStr, bucket, key, q)
			ok = hmac.Equal([]byte(signV1(secret, alt)), []byte(a.signature))
		}
		if !ok {
			return errSignature(a.keyID, sts, "")
		}
	case 4:
		if e := s.checkScope(a, t); e != nil {
			return e
		}
		if e := checkV4(r, bucket, key, q, a, secret, dateStr); e != nil {
			return e
		}
	}
	return s.checkToken(r.Header.Get("X-Oss-Security-Token"), a.keyID, now)
}

const v4TimeFormat = "20060102T150405Z"

// maxPresignV4 is the longest validity OSS grants a V4 presigned URL, in seconds.
const maxPresignV4 = 7 * 24 * 3600

func hasParam(q []queryPair, k string) bool {
	for _, p := range q {
		if p.k == k {
			return true
		}
	}
	return false
}

func param(q []queryPair, k string) string {
	for _, p := range q {
		if p.k == k {
			return p.v
		}
	}
	return ""
}

func errInvalidKeyID(id string) *ossError {
	return errf(http.StatusForbidden, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.").with("OSSAccessKeyId", id)
}

func errSignature(id, sts, canon string) *ossError {
	e := errf(http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.").
		with("OSSAccessKeyId", id).with("StringToSign", sts)
	if canon != "" {
		e.with("CanonicalRequest", canon)
	}
	return e
}

func errExpiredURL() *ossError {
	return errf(http.StatusForbidden, "AccessDenied", "Request has expired.")
}

// checkScope validates a V4 credential scope against the signing time.
func (s *Server) checkScope(a authInfo, t time.Time) *ossError {
	if a.product != "oss" {
		return errf(http.StatusBadRequest, "InvalidArgument", "Authorization Credential names product "+a.product+", want oss.")
	}
	if s.region != "" && a.region != s.region {
		return errf(http.StatusBadRequest, "InvalidArgument", "Authorization Credential names region "+a.region+", this server is "+s.region+".")
	}
	if a.day != t.UTC().Format("20060102") {
		return errf(http.StatusForbidden, "SignatureDoesNotMatch", "The Credential date "+a.day+" does not match the request date.")
	}
	return nil
}

// checkV4 verifies a V4 signature; q must not include x-oss-signature.
func checkV4(r *http.Request, bucket, key string, q []queryPair, a authInfo, secret, dateStr string) *ossError {
	canon := canonicalRequestV4(r, bucket, key, q, a.additional)
	sum := sha256.Sum256([]byte(canon))
	sts := "OSS4-HMAC-SHA256\n" + dateStr + "\n" + a.day + "/" + a.region + "/" + a.product + "/aliyun_v4_request\n" + hex.EncodeToString(sum[:])
	if !hmac.Equal([]byte(signV4(secret, a.day, a.region, a.product, sts)), []byte(a.signature)) {
		return errSignature(a.keyID, sts, canon)
	}
	return nil
}

// checkToken enforces the configured STS token, if any.
func (s *Server) checkToken(got, keyID string, now time.Time) *ossError {
	_, _, token, exp := s.credentials()
	if token == "" {
		return nil
	}
	if got == "" {
		return errf(http.StatusForbidden, "InvalidAccessKeyId", "The request carries no security token; the access key id is a temporary one.").with("OSSAccessKeyId", keyID)
	}
	if !hmac.Equal([]byte(got), []byte(token)) {
		return errf(http.StatusForbidden, "InvalidSecurityToken", "The security token you provided is invalid.")
	}
	if !exp.IsZero() && !now.Before(exp) {
		return errf(http.StatusForbidden, "SecurityTokenExpired", "The security token you provided has expired.")
	}
	return nil
}

// authQueryV1 checks a V1 presigned URL (OSSAccessKeyId, Expires, Signature):
// Expires takes the place of Date in the string to sign.
func (s *Server) authQueryV1(r *http.Request, bucket, key string, q []queryPair) *ossError {
	keyID, expires, sig := param(q, "OSSAccessKeyId"), param(q, "Expires"), param(q, "Signature")
	if keyID == "" || expires == "" || sig == "" {
		return errf(http.StatusForbidden, "AccessDenied", "A presigned URL needs OSSAccessKeyId, Expires and Signature.")
	}
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return errf(http.StatusForbidden, "AccessDenied", "Expires is not a number.")
	}
	now := s.now()
	if now.Unix() > exp {
		return errExpiredURL()
	}
	id, secret, _, _ := s.credentials()
	if keyID != id {
		return errInvalidKeyID(keyID)
	}
	sts := stringToSignV1(r, expires, bucket, key, q)
	if !hmac.Equal([]byte(signV1(secret, sts)), []byte(sig)) {
		return errSignature(keyID, sts, "")
	}
	return s.checkToken(param(q, "security-token"), keyID, now)
}

// authQueryV4 checks a V4 presigned URL (x-oss-credential, x-oss-date,
// x-oss-expires, x-oss-signature).
func (s *Server) authQueryV4(r *http.Request, bucket, key string, q []queryPair) *ossError {
	if v := param(q, "x-oss-signature-version"); v != "OSS4-HMAC-SHA256" {
		return errf(http.StatusBadRequest, "InvalidArgument", "x-oss-signature-version must be OSS4-HMAC-SHA256.")
	}
	a, e := parseAuthorization("OSS4-HMAC-SHA256 Credential=" + param(q, "x-oss-credential") + ",Signature=" + param(q, "x-oss-signature"))
	if e != nil {
		return e
	}
	if h := param(q, "x-oss-additional-headers"); h != "" {
		a.additional = strings.Split(strings.ToLower(h), ";")
	}
	dateStr := param(q, "x-oss-date")
	t, err := time.Parse(v4TimeFormat, dateStr)
	if err != nil {
		return errf(http.StatusForbidden, "AccessDenied", "x-oss-date is not a valid time.")
	}
	secs, err := strconv.ParseInt(param(q, "x-oss-expires"), 10, 64)
	if err != nil || secs < 0 {
		return errf(http.StatusForbidden, "AccessDenied", "x-oss-expires is not a number of seconds.")
	}
	if secs > maxPresignV4 {
		return errf(http.StatusBadRequest, "InvalidArgument", "x-oss-expires may not exceed 604800 seconds (7 days) for a V4 signature.").
			with("ArgumentName", "x-oss-expires").with("ArgumentValue", strconv.FormatInt(secs, 10))
	}
	now := s.now()
	if now.After(t.Add(time.Duration(secs) * time.Second)) {
		return errExpiredURL()
	}
	id, secret, _, _ := s.credentials()
	if a.keyID != id {
		return errInvalidKeyID(a.keyID)
	}
	if e := s.checkScope(a, t); e != nil {
		return e
	}
	rest := make([]queryPair, 0, len(q))
	for _, p := range q {
		if p.k != "x-oss-signature" {
			rest = append(rest, p)
		}
	}
	if e := checkV4(r, bucket, key, rest, a, secret, dateStr); e != nil {
		return e
	}
	return s.checkToken(param(q, "x-oss-security-token"), a.keyID, now)
}
