package ossemu

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// xmlTime formats times as OSS does in XML: RFC 3339 with milliseconds.
func xmlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// urlEncode percent-encodes a key for encoding-type=url replies; the SDK
// decodes with url.QueryUnescape, so '+' must be sent as %2B.
func urlEncode(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

func (s *Server) owner() owner { return owner{ID: "ossdrop-local", DisplayName: "ossdrop-local"} }

func (s *Server) location() string {
	if s.region != "" {
		return "oss-" + s.region
	}
	return "oss-local"
}

func intParam(rq *request, name string, def, maxV int) (int, *ossError) {
	v, ok := rq.param(name)
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxV {
		return 0, errf(http.StatusBadRequest, "InvalidArgument", name+" must be an integer between 0 and "+strconv.Itoa(maxV)+".").
			with("ArgumentName", name).with("ArgumentValue", v)
	}
	return n, nil
}

func (s *Server) listBuckets(rq *request) int {
	prefix, _ := rq.param("prefix")
	marker, _ := rq.param("marker")
	maxKeys, e := intParam(rq, "max-keys", 100, 1000)
	if e != nil {
		return s.fail(rq, e)
	}
	type bkt struct {
		Name             string `xml:"Name"`
		CreationDate     string `xml:"CreationDate"`
		ExtranetEndpoint string `xml:"ExtranetEndpoint"`
		IntranetEndpoint string `xml:"IntranetEndpoint"`
		Location         string `xml:"Location"`
		Region           string `xml:"Region"`
		StorageClass     string `xml:"StorageClass"`
	}
	type result struct {
		XMLName     xml.Name `xml:"ListAllMyBucketsResult"`
		Prefix      string   `xml:"Prefix,omitempty"`
		Marker      string   `xml:"Marker,omitempty"`
		MaxKeys     int      `xml:"MaxKeys,omitempty"`
		IsTruncated bool     `xml:"IsTruncated,omitempty"`
		NextMarker  string   `xml:"NextMarker,omitempty"`
		Owner       owner    `xml:"Owner"`
		Buckets     []bkt    `xml:"Buckets>Bucket"`
	}
	s.mu.RLock()
	names := make([]string, 0, len(s.buckets))
	for n := range s.buckets {
		names = append(names, n)
	}
	s.mu.RUnlock()
	sort.Strings(names)
	res := result{Owner: s.owner(), Prefix: prefix, Marker: marker}
	if _, ok := rq.param("max-keys"); ok {
		res.MaxKeys = maxKeys
	}
	host := strings.TrimPrefix(s.URL, "http://")
	for _, n := range names {
		if !strings.HasPrefix(n, prefix) || n <= marker {
			continue
		}
		if len(res.Buckets) == maxKeys {
			res.IsTruncated = true
			res.NextMarker = res.Buckets[len(res.Buckets)-1].Name
			break
		}
		b := s.bucket(n)
		res.Buckets = append(res.Buckets, bkt{Name: n, CreationDate: xmlTime(b.created), ExtranetEndpoint: host, IntranetEndpoint: host,
			Location: s.location(), Region: strings.TrimPrefix(s.location(), "oss-"), StorageClass: "Standard"})
	}
	return writeXML(rq, http.StatusOK, res)
}

func (s *Server) getBucketInfo(rq *request, b *bucket) int {
	type info struct {
		Name                   string `xml:"Name"`
		AccessMonitor          string `xml:"AccessMonitor"`
		Location               string `xml:"Location"`
		CreationDate           string `xml:"CreationDate"`
		ExtranetEndpoint       string `xml:"ExtranetEndpoint"`
		IntranetEndpoint       string `xml:"IntranetEndpoint"`
		Grant                  string `xml:"AccessControlList>Grant"`
		DataRedundancyType     string `xml:"DataRedundancyType"`
		Owner                  owner  `xml:"Owner"`
		StorageClass           string `xml:"StorageClass"`
		TransferAcceleration   string `xml:"TransferAcceleration"`
		CrossRegionReplication string `xml:"CrossRegionReplication"`
	}
	type result struct {
		XMLName xml.Name `xml:"BucketInfo"`
		Bucket  info     `xml:"Bucket"`
	}
	host := strings.TrimPrefix(s.URL, "http://")
	return writeXML(rq, http.StatusOK, result{Bucket: info{
		Name: b.name, AccessMonitor: "Disabled", Location: s.location(), CreationDate: xmlTime(b.created),
		ExtranetEndpoint: host, IntranetEndpoint: host, Grant: "private", DataRedundancyType: "LRS",
		Owner: s.owner(), StorageClass: "Standard", TransferAcceleration: "Disabled", CrossRegionReplication: "Disabled",
	}})
}

type listEntry struct {
	key      string // object key, or common prefix when isPrefix
	isPrefix bool
}

// listKeys walks sorted keys after marker with prefix and delimiter, as OSS
// lists them: up to max entries (objects plus common prefixes), and whether
// more follow.
func listKeys(keys []string, prefix, delim, marker string, limit int) (out []listEntry, truncated bool) {
	i := 0
	if marker != "" {
		i = sort.Search(len(keys), func(j int) bool { return keys[j] > marker })
	}
	if prefix > marker {
		i = max(i, sort.SearchStrings(keys, prefix))
	}
	// a marker that is itself a common prefix skips every key under it
	skipUnder := ""
	if delim != "" && strings.HasPrefix(marker, prefix) && strings.HasSuffix(marker, delim) &&
		strings.Contains(marker[len(prefix):], delim) {
		skipUnder = marker
	}
	lastPrefix := ""
	for ; i < len(keys); i++ {
		k := keys[i]
		if !strings.HasPrefix(k, prefix) {
			if k > prefix {
				break
			}
			continue
		}
		if skipUnder != "" && strings.HasPrefix(k, skipUnder) {
			continue
		}
		e := listEntry{key: k}
		if delim != "" {
			if ix := strings.Index(k[len(prefix):], delim); ix >= 0 {
				cp := k[:len(prefix)+ix+len(delim)]
				if cp == lastPrefix {
					continue
				}
				lastPrefix = cp
				e = listEntry{key: cp, isPrefix: true}
			}
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, e)
	}
	return out, false
}

func (s *Server) listObjects(rq *request, b *bucket) int {
	v2 := rq.op == OpListObjectsV2
	prefix, _ := rq.param("prefix")
	delim, _ := rq.param("delimiter")
	enc, _ := rq.param("encoding-type")
	if enc != "" && enc != "url" {
		return s.fail(rq, errf(http.StatusBadRequest, "InvalidArgument", "encoding-type must be url.").
			with("ArgumentName", "encoding-type").with("ArgumentValue", enc))
	}
	maxKeys, e := intParam(rq, "max-keys", 100, 1000)
	if e != nil {
		return s.fail(rq, e)
	}
	esc := escaperFor(enc)
	marker, _ := rq.param("marker")
	startAfter, _ := rq.param("start-after")
	token, hasToken := rq.param("continuation-token")
	if v2 {
		marker = startAfter
		if hasToken {
			raw, err := base64.RawURLEncoding.DecodeString(token)
			if err != nil {
				return s.fail(rq, errf(http.StatusBadRequest, "InvalidArgument", "The continuation token is not valid.").
					with("ArgumentName", "continuation-token").with("ArgumentValue", token))
			}
			if string(raw) > marker {
				marker = string(raw)
			}
		}
	}
	entries, truncated := listKeys(b.sortedKeys(), prefix, delim, marker, maxKeys)

	type contents struct {
		Key          string `xml:"Key"`
		LastModified string `xml:"LastModified"`
		ETag         string `xml:"ETag"`
		Type         string `xml:"Type"`
		Size         int64  `xml:"Size"`
		StorageClass string `xml:"StorageClass"`
		Owner        *owner `xml:"Owner,omitempty"`
	}
	type cprefix struct {
		Prefix string `xml:"Prefix"`
	}
	var objs []contents
	var cps []cprefix
	fetchOwner := !v2
	if v, _ := rq.param("fetch-owner"); v == "true" {
		fetchOwner = true
	}
	own := s.owner()
	for _, en := range entries {
		if en.isPrefix {
			cps = append(cps, cprefix{esc(en.key)})
			continue
		}
		m, ok := b.lookup(en.key)
		if !ok {
			continue // deleted while listing
		}
		c := contents{Key: esc(m.Key), LastModified: xmlTime(m.Modified), ETag: `"` + m.ETag + `"`, Type: m.Type, Size: m.Size, StorageClass: m.StorageClass}
		if fetchOwner {
			c.Owner = &own
		}
		objs = append(objs, c)
	}
	next := ""
	if truncated && len(entries) > 0 {
		next = entries[len(entries)-1].key
	}
	if v2 {
		type result struct {
			XMLName               xml.Name   `xml:"ListBucketResult"`
			Name                  string     `xml:"Name"`
			Prefix                string     `xml:"Prefix"`
			StartAfter            string     `xml:"StartAfter,omitempty"`
			ContinuationToken     string     `xml:"ContinuationToken,omitempty"`
			MaxKeys               int        `xml:"MaxKeys"`
			Delimiter             string     `xml:"Delimiter"`
			EncodingType          string     `xml:"EncodingType,omitempty"`
			IsTruncated           bool       `xml:"IsTruncated"`
			NextContinuationToken string     `xml:"NextContinuationToken,omitempty"`
			KeyCount              int        `xml:"KeyCount"`
			Contents              []contents `xml:"Contents"`
			CommonPrefixes        []cprefix  `xml:"CommonPrefixes"`
		}
		res := result{Name: b.name, Prefix: esc(prefix), StartAfter: esc(startAfter), ContinuationToken: token, MaxKeys: maxKeys,
			Delimiter: esc(delim), EncodingType: enc, IsTruncated: truncated, KeyCount: len(entries), Contents: objs, CommonPrefixes: cps}
		if truncated {
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(next))
		}
		return writeXML(rq, http.StatusOK, res)
	}
	type result struct {
		XMLName        xml.Name   `xml:"ListBucketResult"`
		Name           string     `xml:"Name"`
		Prefix         string     `xml:"Prefix"`
		Marker         string     `xml:"Marker"`
		MaxKeys        int        `xml:"MaxKeys"`
		Delimiter      string     `xml:"Delimiter"`
		EncodingType   string     `xml:"EncodingType,omitempty"`
		IsTruncated    bool       `xml:"IsTruncated"`
		NextMarker     string     `xml:"NextMarker,omitempty"`
		Contents       []contents `xml:"Contents"`
		CommonPrefixes []cprefix  `xml:"CommonPrefixes"`
	}
	return writeXML(rq, http.StatusOK, result{Name: b.name, Prefix: esc(prefix), Marker: esc(marker), MaxKeys: maxKeys,
		Delimiter: esc(delim), EncodingType: enc, IsTruncated: truncated, NextMarker: esc(next), Contents: objs, CommonPrefixes: cps})
}

func (s *Server) listParts(rq *request, b *bucket) int {
	u, e := s.uploadFor(rq, b)
	if e != nil {
		return s.fail(rq, e)
	}
	maxParts, e := intParam(rq, "max-parts", 1000, 1000)
	if e != nil {
		return s.fail(rq, e)
	}
	marker, e := intParam(rq, "part-number-marker", 0, maxPartNumber)
	if e != nil {
		return s.fail(rq, e)
	}
	enc, _ := rq.param("encoding-type")
	type part struct {
		PartNumber    int    `xml:"PartNumber"`
		LastModified  string `xml:"LastModified"`
		ETag          string `xml:"ETag"`
		HashCrc64ecma uint64 `xml:"HashCrc64ecma"`
		Size          int64  `xml:"Size"`
	}
	type result struct {
		XMLName              xml.Name `xml:"ListPartsResult"`
		EncodingType         string   `xml:"EncodingType,omitempty"`
		Bucket               string   `xml:"Bucket"`
		Key                  string   `xml:"Key"`
		UploadID             string   `xml:"UploadId"`
		StorageClass         string   `xml:"StorageClass"`
		PartNumberMarker     int      `xml:"PartNumberMarker"`
		NextPartNumberMarker int      `xml:"NextPartNumberMarker"`
		MaxParts             int      `xml:"MaxParts"`
		IsTruncated          bool     `xml:"IsTruncated"`
		Parts                []part   `xml:"Part"`
	}
	u.mu.Lock()
	nums := make([]int, 0, len(u.parts))
	for n := range u.parts {
		if n > marker {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	res := result{EncodingType: enc, Bucket: b.name, Key: u.meta.Key, UploadID: u.meta.UploadID, StorageClass: u.meta.StorageClass,
		PartNumberMarker: marker, MaxParts: maxParts}
	for _, n := range nums {
		if len(res.Parts) == maxParts {
			res.IsTruncated = true
			break
		}
		p := u.parts[n]
		res.Parts = append(res.Parts, part{PartNumber: n, LastModified: xmlTime(p.Modified), ETag: `"` + p.MD5 + `"`, HashCrc64ecma: p.CRC64, Size: p.Size})
		res.NextPartNumberMarker = n
	}
	u.mu.Unlock()
	if enc == "url" {
		res.Key = urlEncode(res.Key)
	}
	return writeXML(rq, http.StatusOK, res)
}

func (s *Server) listUploads(rq *request, b *bucket) int {
	prefix, _ := rq.param("prefix")
	delim, _ := rq.param("delimiter")
	keyMarker, _ := rq.param("key-marker")
	idMarker, _ := rq.param("upload-id-marker")
	enc, _ := rq.param("encoding-type")
	maxUploads, e := intParam(rq, "max-uploads", 1000, 1000)
	if e != nil {
		return s.fail(rq, e)
	}
	esc := escaperFor(enc)
	b.mu.Lock()
	all := make([]uploadMeta, 0, len(b.uploads))
	for _, u := range b.uploads {
		all = append(all, u.meta)
	}
	b.mu.Unlock()
	sort.Slice(all, func(i, j int) bool {
		if all[i].Key != all[j].Key {
			return all[i].Key < all[j].Key
		}
		return all[i].UploadID < all[j].UploadID
	})
	type upl struct {
		Key          string `xml:"Key"`
		UploadID     string `xml:"UploadId"`
		StorageClass string `xml:"StorageClass"`
		Initiated    string `xml:"Initiated"`
	}
	type cprefix struct {
		Prefix string `xml:"Prefix"`
	}
	type result struct {
		XMLName            xml.Name  `xml:"ListMultipartUploadsResult"`
		EncodingType       string    `xml:"EncodingType,omitempty"`
		Bucket             string    `xml:"Bucket"`
		KeyMarker          string    `xml:"KeyMarker"`
		UploadIDMarker     string    `xml:"UploadIdMarker"`
		NextKeyMarker      string    `xml:"NextKeyMarker"`
		NextUploadIDMarker string    `xml:"NextUploadIdMarker"`
		Delimiter          string    `xml:"Delimiter"`
		Prefix             string    `xml:"Prefix"`
		MaxUploads         int       `xml:"MaxUploads"`
		IsTruncated        bool      `xml:"IsTruncated"`
		Uploads            []upl     `xml:"Upload"`
		CommonPrefixes     []cprefix `xml:"CommonPrefixes"`
	}
	res := result{EncodingType: enc, Bucket: b.name, KeyMarker: esc(keyMarker), UploadIDMarker: idMarker,
		Delimiter: esc(delim), Prefix: esc(prefix), MaxUploads: maxUploads}
	lastPrefix := ""
	count := 0
	var lastKey, lastID string
	skipUnder := ""
	if delim != "" && idMarker == "" && strings.HasPrefix(keyMarker, prefix) && strings.HasSuffix(keyMarker, delim) &&
		strings.Contains(keyMarker[len(prefix):], delim) {
		skipUnder = keyMarker // the marker is a common prefix returned by the previous page
	}
	for _, u := range all {
		if skipUnder != "" && strings.HasPrefix(u.Key, skipUnder) {
			continue
		}
		if keyMarker != "" {
			if idMarker == "" && u.Key <= keyMarker {
				continue
			}
			if idMarker != "" && (u.Key < keyMarker || u.Key == keyMarker && u.UploadID <= idMarker) {
				continue
			}
		}
		if !strings.HasPrefix(u.Key, prefix) {
			continue
		}
		if delim != "" {
			if ix := strings.Index(u.Key[len(prefix):], delim); ix >= 0 {
				cp := u.Key[:len(prefix)+ix+len(delim)]
				if cp == lastPrefix {
					continue
				}
				if count == maxUploads {
					res.IsTruncated = true
					break
				}
				lastPrefix = cp
				res.CommonPrefixes = append(res.CommonPrefixes, cprefix{esc(cp)})
				count++
				lastKey, lastID = cp, ""
				continue
			}
		}
		if count == maxUploads {
			res.IsTruncated = true
			break
		}
		res.Uploads = append(res.Uploads, upl{Key: esc(u.Key), UploadID: u.UploadID, StorageClass: u.StorageClass, Initiated: xmlTime(u.Initiated)})
		count++
		lastKey, lastID = u.Key, u.UploadID
	}
	if res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = esc(lastKey), lastID
	}
	return writeXML(rq, http.StatusOK, res)
}

// escaperFor percent-encodes keys, prefixes and markers in a listing when the
// request asked for encoding-type=url, and leaves them raw otherwise.
func escaperFor(enc string) func(string) string {
	if enc == "url" {
		return urlEncode
	}
	return func(s string) string { return s }
}
