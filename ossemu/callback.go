package ossemu

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// callbackSpec is the decoded x-oss-callback header.
type callbackSpec struct {
	URLs     []string
	Host     string
	Body     string
	BodyType string
	Vars     map[string]string
}

// parseCallback decodes x-oss-callback and x-oss-callback-var; nil when absent.
func parseCallback(r *http.Request) (*callbackSpec, *ossError) {
	raw := r.Header.Get("X-Oss-Callback")
	if raw == "" {
		return nil, nil
	}
	bad := func(msg string) (*callbackSpec, *ossError) {
		return nil, errf(http.StatusBadRequest, "InvalidArgument", msg).with("ArgumentName", "x-oss-callback")
	}
	data, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return bad("The callback is not base64 encoded.")
	}
	var c struct {
		URL      string `json:"callbackUrl"`
		Host     string `json:"callbackHost"`
		Body     string `json:"callbackBody"`
		BodyType string `json:"callbackBodyType"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return bad("The callback configuration is not json format.")
	}
	if c.URL == "" {
		return bad("The callback configuration has no callbackUrl.")
	}
	if c.Body == "" {
		return bad("The callback configuration has no callbackBody.")
	}
	spec := &callbackSpec{Host: c.Host, Body: c.Body, BodyType: c.BodyType}
	if spec.BodyType == "" {
		spec.BodyType = "application/x-www-form-urlencoded"
	}
	if spec.BodyType != "application/x-www-form-urlencoded" && spec.BodyType != "application/json" {
		return bad("callbackBodyType must be application/x-www-form-urlencoded or application/json.")
	}
	for _, u := range strings.Split(c.URL, ";") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return bad("callbackUrl " + u + " is not a valid http(s) URL.")
		}
		spec.URLs = append(spec.URLs, u)
	}
	if len(spec.URLs) == 0 || len(spec.URLs) > 5 {
		return bad("callbackUrl must list 1 to 5 URLs.")
	}
	if v := r.Header.Get("X-Oss-Callback-Var"); v != "" {
		data, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, errf(http.StatusBadRequest, "InvalidArgument", "The callback-var is not base64 encoded.").with("ArgumentName", "x-oss-callback-var")
		}
		if err := json.Unmarshal(data, &spec.Vars); err != nil {
			return nil, errf(http.StatusBadRequest, "InvalidArgument", "The callback-var is not json format.").with("ArgumentName", "x-oss-callback-var")
		}
		for k := range spec.Vars {
			if !strings.HasPrefix(k, "x:") {
				return nil, errf(http.StatusBadRequest, "InvalidArgument", "callback-var names must start with x:, got "+k+".").with("ArgumentName", "x-oss-callback-var")
			}
		}
	}
	return spec, nil
}

var callbackVarRE = regexp.MustCompile(`\$\{([^}]*)\}`)

// render substitutes the system and custom variables into the body
// template, escaping values for the body type.
func (c *callbackSpec) render(bucket string, m *objMeta) string {
	return callbackVarRE.ReplaceAllStringFunc(c.Body, func(tok string) string {
		name := tok[2 : len(tok)-1]
		var v string
		switch name {
		case "bucket":
			v = bucket
		case "object":
			v = m.Key
		case "etag":
			v = m.ETag
		case "size":
			v = strconv.FormatInt(m.Size, 10)
		case "mimeType":
			v = m.ContentType
		case "crc64":
			v = strconv.FormatUint(m.CRC64, 10)
		default:
			if strings.HasPrefix(name, "x:") {
				v = c.Vars[name]
			}
		}
		if c.BodyType == "application/json" {
			q, _ := json.Marshal(v)
			return string(q[1 : len(q)-1])
		}
		return url.QueryEscape(v)
	})
}

// runCallback posts the callback after the object is stored and replies with
// the callback server's answer (200), or 203 CallbackFailed.
func (s *Server) runCallback(rq *request, c *callbackSpec, m *objMeta) int {
	body := c.render(rq.bucket, m)
	var lastErr string
	for _, u := range c.URLs {
		reply, err := s.postCallback(rq.r.Context(), u, c, body)
		if err != nil {
			lastErr = err.Error()
			s.log.Info("upload callback failed", "url", u, "err", err, "id", rq.id)
			continue
		}
		h := rq.w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(reply)))
		rq.w.WriteHeader(http.StatusOK)
		rq.w.Write(reply)
		return http.StatusOK
	}
	return s.fail(rq, errf(http.StatusNonAuthoritativeInfo, "CallbackFailed", "The object was stored but the upload callback failed: "+lastErr))
}

func (s *Server) postCallback(ctx context.Context, u string, c *callbackSpec, body string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", c.BodyType)
	if c.Host != "" {
		req.Host = c.Host
	}
	resp, err := s.cbClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("read callback reply: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("callback server replied %s", resp.Status)
	}
	if len(reply) > 1<<20 {
		return nil, fmt.Errorf("callback reply exceeds 1 MB")
	}
	if !json.Valid(bytes.TrimSpace(reply)) {
		return nil, fmt.Errorf("callback reply is not valid JSON")
	}
	return reply, nil
}
